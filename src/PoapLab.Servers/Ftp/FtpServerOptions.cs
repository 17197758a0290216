using System.Net;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Ftp;

/// <summary>How an <see cref="EmbeddedFtpServer"/> serves files.</summary>
public sealed record FtpServerOptions
{
    /// <summary>The directory served; it is <c>/</c> to the client.</summary>
    public required string RootPath { get; init; }

    /// <summary>The one account that may log in.</summary>
    public required string User { get; init; }

    public required string Password { get; init; }

    /// <summary>Also accept <c>anonymous</c>/<c>ftp</c> with any password.</summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>
    /// The address PASV replies name (vsftpd's <c>pasv_address</c>): the server's lab address,
    /// since it is the lab address the client knows the server by. Null: the bound address.
    /// </summary>
    public IPAddress? AdvertisedAddress { get; init; }

    /// <summary>
    /// Called with the real endpoint of each passive data listener before the reply names
    /// its port, so the lab network can route the lab host's new port to it.
    /// </summary>
    public Action<IPEndPoint>? DataListenerOpened { get; init; }

    /// <summary>Real time a client gets to connect to a data listener, and to send its next command.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Control connections served at once; more get 421.</summary>
    public int MaxSessions { get; init; } = 32;

    /// <summary>Where the server's sockets are made (default: this process's network namespace; a lab host's namespace in the namespace transport).</summary>
    public ISocketFactory Sockets { get; init; } = SystemSocketFactory.Instance;
}
