namespace PoapLab.Servers.Http;

/// <summary>How an <see cref="EmbeddedHttpServer"/> serves files.</summary>
public sealed record HttpServerOptions
{
    /// <summary>The directory served; URL paths are taken relative to it.</summary>
    public required string RootPath { get; init; }
}
