using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Http;

/// <summary>How an <see cref="EmbeddedHttpServer"/> serves files.</summary>
public sealed record HttpServerOptions
{
    /// <summary>The directory served; URL paths are taken relative to it.</summary>
    public required string RootPath { get; init; }

    /// <summary>Serve HTTPS with this certificate (and its private key); null serves plain HTTP.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// With a <see cref="Certificate"/>: also serve it (PEM, the public part) at this path relative to
    /// <see cref="RootPath"/>, written when the server starts (a CA list entry for Secure POAP). It must
    /// not exist yet; no folder on the way may be a link; null: not served.
    /// </summary>
    public string? CertificateFile { get; init; }

    /// <summary>Faults to inject into GET and HEAD requests, first match wins (empty: a correct server).</summary>
    public ImmutableArray<HttpFault> Faults { get; init; } = [];

    /// <summary>Seed of the generator behind probabilistic faults, so a run is reproducible.</summary>
    public int FaultSeed { get; init; } = 1;

    /// <summary>Tells the POAP attempt of a client for attempt-keyed faults (null: none known).</summary>
    public IFaultContext? FaultContext { get; init; }

    /// <summary>Where the server's sockets are made (default: this process's network namespace; a lab host's namespace in the namespace transport).</summary>
    public ISocketFactory Sockets { get; init; } = SystemSocketFactory.Instance;
}
