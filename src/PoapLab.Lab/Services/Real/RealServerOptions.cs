using System.Collections.Immutable;

namespace PoapLab.Lab.Services.Real;

/// <summary>The Debian daemons PoapLab can start as lab servers.</summary>
public enum RealServerKind
{
    /// <summary>dnsmasq (package dnsmasq-base): DHCP.</summary>
    Dnsmasq,

    /// <summary>in.tftpd from tftpd-hpa: TFTP.</summary>
    TftpdHpa,

    /// <summary>nginx: HTTP.</summary>
    Nginx,

    /// <summary>kea-dhcp4 (kea-dhcp4-server): DHCPv4.</summary>
    KeaDhcp4,

    /// <summary>dhcpd (isc-dhcp-server): DHCPv4.</summary>
    IscDhcpd,

    /// <summary>dhcrelay (isc-dhcp-relay): a DHCPv4 relay on a lab router; <see cref="RealServerOptions.Arguments"/> are the servers' addresses.</summary>
    IscDhcpRelay,

    /// <summary>vsftpd: FTP.</summary>
    Vsftpd,

    /// <summary>kea-dhcp6 (kea-dhcp6-server): DHCPv6.</summary>
    KeaDhcp6,
}

/// <summary>What a scenario does to a user's real server (a server-side fault).</summary>
public enum RealServerFaultKind
{
    /// <summary>Stopped (SIGTERM, as its service manager would) once ready, before any switch starts: the server is down.</summary>
    Stop,

    /// <summary>Killed (SIGKILL) once it has sent <see cref="RealServerFault.AfterBytes"/> of a transfer whose path matches <see cref="RealServerFault.File"/>: a crash mid-transfer.</summary>
    Kill,

    /// <summary>Its port blocked on its host's interface once ready (datagrams and segments dropped, as a firewall would).</summary>
    BlockPort,
}

/// <summary>A server-side fault of a real server.</summary>
/// <param name="Kind">What happens to it.</param>
/// <param name="File">For <see cref="RealServerFaultKind.Kill"/>: the transfers' paths that trigger it (<c>*</c> and <c>?</c> wildcards; null: any).</param>
/// <param name="AfterBytes">For <see cref="RealServerFaultKind.Kill"/>: how many bytes the daemon writes after the transfer started before it is killed (its processes' <c>wchar</c>, proc(5)).</param>
public sealed record RealServerFault(RealServerFaultKind Kind, string? File = null, long AfterBytes = 1);

/// <summary>How to start one real server: which daemon, the user's files, where its state and log go.</summary>
public sealed record RealServerOptions
{
    public required RealServerKind Kind { get; init; }

    /// <summary>The user's configuration file, passed to the daemon unmodified (all but tftpd-hpa).</summary>
    public string? ConfigPath { get; init; }

    /// <summary>
    /// A directory the server serves, visible read-only inside its sandbox at the same path:
    /// tftpd-hpa's root (required), nginx's web root when it lies outside what the
    /// sandbox shows anyway (e.g. under /tmp).
    /// </summary>
    public string? RootPath { get; init; }

    /// <summary>
    /// nginx and vsftpd: the absolute path at which <see cref="RootPath"/> appears, read-only,
    /// inside the server's sandbox (the path the user's configuration names in <c>root</c> or
    /// <c>anon_root</c>, e.g. <c>/srv/poap</c>); null: at its own path. A path that would hide a
    /// folder the daemon needs (<c>/</c>, <c>/usr</c>, <c>/etc</c>, <c>/proc</c>, <c>/dev</c>...) is refused.
    /// </summary>
    public string? ServeAt { get; init; }

    /// <summary>
    /// Extra arguments (tftpd-hpa: e.g. <c>--secure</c>, <c>--blocksize 1468</c>; default
    /// <c>--secure</c>); for the relay, the DHCP servers' addresses (at least one).
    /// </summary>
    public ImmutableArray<string> Arguments { get; init; } = [];

    /// <summary>The port whose binding tells the server is ready (default: the kind's own, 67, 69 or 80).</summary>
    public int? Port { get; init; }

    /// <summary>
    /// An existing directory PoapLab owns (e.g. <c>out/&lt;scenario&gt;/servers</c>); the server's
    /// private state directories and its log are made in a new folder under it.
    /// </summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Real time the server gets to bind its port before it is killed and reported.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Real time a stopped server (SIGTERM) gets to exit before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Server-side faults (stop it, kill it mid-transfer, block its port), applied by <see cref="RealServiceFactory"/>.</summary>
    public ImmutableArray<RealServerFault> Faults { get; init; } = [];

    /// <summary>The executable (default the Debian package's, e.g. <c>/usr/sbin/dnsmasq</c>); for tests.</summary>
    public string? Executable { get; init; }
}
