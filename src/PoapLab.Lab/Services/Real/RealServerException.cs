namespace PoapLab.Lab.Services.Real;

/// <summary>
/// A real server could not be started or stopped as asked: the message names the server and
/// says why; <see cref="LogTail"/> holds the last lines of its log when it ran at all.
/// </summary>
public sealed class RealServerException : Exception
{
    public RealServerException(string server, string message, string? logTail)
        : base(logTail is null or "" ? message : $"{message}\n--- last lines of its log ---\n{logTail}")
    {
        Server = server;
        LogTail = logTail;
    }

    public RealServerException()
    {
        Server = "";
    }

    public RealServerException(string message)
        : base(message)
    {
        Server = "";
    }

    public RealServerException(string message, Exception innerException)
        : base(message, innerException)
    {
        Server = "";
    }

    /// <summary>The server's name (e.g. <c>dnsmasq (dhcp:10.0.0.1)</c>).</summary>
    public string Server { get; }

    /// <summary>
    /// The daemon ran and exited by itself before it served: it refused its configuration (as
    /// it would on the user's machine), not a failure of PoapLab's to start it.
    /// </summary>
    public bool ExitedBeforeReady { get; init; }

    /// <summary>The last lines of its log, or null when it never ran.</summary>
    public string? LogTail { get; }
}
