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

    /// <summary>The executable (default the Debian package's, e.g. <c>/usr/sbin/dnsmasq</c>); for tests.</summary>
    public string? Executable { get; init; }
}
