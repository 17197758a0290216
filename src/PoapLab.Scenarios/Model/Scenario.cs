using System.Net;

namespace PoapLab.Scenarios.Model;

/// <summary>A place in a scenario file, for error messages and reports.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One scenario: switches, servers, files they serve, and what must happen.</summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    public required string FilePath { get; init; }
    public DateTimeOffset ClockStart { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public int Seed { get; init; } = 1;
    public required IReadOnlyList<SwitchModel> Switches { get; init; }
    public required ServersModel Servers { get; init; }
    public IReadOnlyList<FileModel> Files { get; init; } = [];
    public ExpectModel Expect { get; init; } = new();
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Whether a server is one of the user's real ones (these need a real segment).</summary>
    public bool HasRealServers => Servers.Dhcp.Any(d => d.Real is not null) || Servers.Dhcp6.Any(d => d.Real is not null) || Servers.Tftp.Any(t => t.Real is not null)
        || Servers.Http.Any(h => h.Real is not null) || Servers.Ftp.Any(f => f.Real is not null) || Servers.Relay is not null;
    /// <summary>Why the scenario makes sense only in the virtual transport (switch time, no real segment); null: in every transport.</summary>
    public string? VirtualOnly { get; init; }
    /// <summary>The real switch's reset and console (<c>device:</c>, for <c>poaplab serve</c>); null when the scenario has none.</summary>
    public DeviceModel? Device { get; init; }
}

/// <summary><c>device:</c>: how <c>poaplab serve</c> brings a real switch to day 0 and watches its console.</summary>
/// <param name="Reset">The shell command that resets it, or null.</param>
/// <param name="ResetTimeout">How long that command may run, or null (the default).</param>
/// <param name="Console">Its console: a serial device under /dev or <c>telnet HOST PORT</c>, or null.</param>
/// <param name="ConsoleAnswer">What the POAP abort prompt is answered (<c>no</c> unless given, or <c>yes</c> when a switch has an abort fault).</param>
public sealed record DeviceModel(string? Reset, TimeSpan? ResetTimeout, string? Console, PoapLab.Lab.Hardware.ConsoleAnswer ConsoleAnswer)
{
    /// <summary>The active probes once the switch is back (<c>device.probe</c>), or null.</summary>
    public DeviceProbeModel? Probe { get; init; }
}

/// <summary><c>device.probe:</c> <c>show version</c> over NX-API and/or SSH once the wire shows the switch back after its reload.</summary>
/// <param name="NxApi"><c>http</c> or <c>https</c>, or null (no NX-API probe).</param>
/// <param name="NxApiPort">NX-API's port, or null (80/443).</param>
/// <param name="TlsInsecure">Accept the switch's self-signed HTTPS certificate.</param>
/// <param name="Ssh">Probe over SSH too.</param>
/// <param name="SshPort">SSH's port, or null (22).</param>
/// <param name="User">The login's user, or null (the served configuration's first user with a clear-text password).</param>
/// <param name="Password">Its password, or null (from the served configuration).</param>
/// <param name="Timeout">How long the probe may keep trying, or null (2 minutes).</param>
public sealed record DeviceProbeModel(string? NxApi, int? NxApiPort, bool TlsInsecure, bool Ssh, int? SshPort, string? User, string? Password, TimeSpan? Timeout)
{
    /// <inheritdoc />
    public override string ToString() => $"probe {NxApi ?? "-"} ssh={Ssh} user {User ?? "(from the configuration)"}";
}

/// <summary>A switch as the scenario describes it.</summary>
public sealed record SwitchModel
{
    public required string Name { get; init; }
    public string Model { get; init; } = "N9K-C93108TC-EX";
    public required string Serial { get; init; }
    public required string Mac { get; init; }
    public string Version { get; init; } = "9.3(8)";
    public string? Image { get; init; }
    public string Flavour { get; init; } = "cs";
    public string BiosVersion { get; init; } = "07.69";
    public long? BootflashBytes { get; init; }
    public long BootflashUsedBytes { get; init; }
    public IReadOnlyList<FileModel> BootflashFiles { get; init; } = [];
    public int MaxAttempts { get; init; } = 3;
    public string Interface { get; init; } = "mgmt0";
    public TimeSpan ScriptTimeout { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);
    public int DiscoverTries { get; init; } = 3;
    public int MaxReloads { get; init; } = 4;
    public string? Python { get; init; }
    /// <summary>The host name its DHCP reservation gives it (option 12) when the server's reservations come from the switches; null: none.</summary>
    public string? Hostname { get; init; }
    public int TftpBlockSize { get; init; } = 512;
    public int TftpWindowSize { get; init; } = 1;
    public double LinkMbps { get; init; } = 1000;
    public IReadOnlyList<CdpModel> Cdp { get; init; } = [];
    public PoapLab.Switch.Network.LinkFaults LinkFaults { get; init; } = PoapLab.Switch.Network.LinkFaults.None;
    public IReadOnlyList<PoapLab.Switch.Poap.SwitchFault> Faults { get; init; } = [];
    public bool Ipv6 { get; init; } = true;
    public ExpectModel? Expect { get; init; }
    public SourceLocation Location { get; init; }
}

public sealed record CdpModel(string DeviceId, string LocalInterface, string PortId, string Platform);

/// <summary>The embedded servers of a scenario.</summary>
/// <summary>
/// <c>servers.relay</c>: a router between the switches' subnet and the servers' one, running
/// dhcrelay (isc-dhcp-relay) towards <see cref="Servers"/>; servers at upstream addresses sit
/// behind it, with a route back through it unless <see cref="RouteBack"/> is false.
/// </summary>
public sealed record RelayModel
{
    public required IPAddress Address { get; init; }
    public required int PrefixLength { get; init; }
    public required IPAddress Upstream { get; init; }
    public required int UpstreamPrefixLength { get; init; }
    public required IReadOnlyList<IPAddress> Servers { get; init; }
    public bool RouteBack { get; init; } = true;
    public SourceLocation Location { get; init; }
}

public sealed record ServersModel
{
    public IReadOnlyList<DhcpServerModel> Dhcp { get; init; } = [];
    public IReadOnlyList<FileServerModel> Tftp { get; init; } = [];
    public IReadOnlyList<FileServerModel> Http { get; init; } = [];
    public IReadOnlyList<LoginServerModel> Ssh { get; init; } = [];
    public IReadOnlyList<LoginServerModel> Ftp { get; init; } = [];
    public IReadOnlyList<Dhcp6ServerModel> Dhcp6 { get; init; } = [];
    /// <summary>A router with a DHCP relay (isc-dhcp-relay) between the switches and the servers, or null: one segment.</summary>
    public RelayModel? Relay { get; init; }
    /// <summary>Link rules every switch's link gets from server faults (a DHCP server answering late).</summary>
    public IReadOnlyList<PoapLab.Switch.Network.LinkRule> LinkRules { get; init; } = [];
}

/// <summary>A DHCPv6 server (POAP over IPv6: option 59 bootfile URL, 242 next hop, 243 route prefix).</summary>
public sealed record Dhcp6ServerModel
{
    public required IPAddress Address { get; init; }
    public required IPAddress PoolStart { get; init; }
    public required IPAddress PoolEnd { get; init; }
    public string? BootfileUrl { get; init; }
    public IPAddress? NextHop { get; init; }
    public string? RoutePrefix { get; init; }
    public IReadOnlyList<IPAddress> Dns { get; init; } = [];
    public TimeSpan Lease { get; init; } = TimeSpan.FromDays(1);
    /// <summary>Option 17's data as sent (<c>secure_poap:</c>, enterprise 9 and Secure POAP's sub-options, or raw bytes), or null.</summary>
    public byte[]? Option17 { get; init; }
    public SourceLocation Location { get; init; }
    /// <summary>The user's own DHCPv6 server (Kea) with its configuration, or null for the embedded one.</summary>
    public RealServerModel? Real { get; init; }
}

public sealed record DhcpServerModel
{
    public required IPAddress Address { get; init; }
    public required IPAddress SubnetMask { get; init; }
    public required IPAddress PoolStart { get; init; }
    public required IPAddress PoolEnd { get; init; }
    public IPAddress? Router { get; init; }
    public IReadOnlyList<IPAddress> Dns { get; init; } = [];
    public string? DomainName { get; init; }
    public TimeSpan Lease { get; init; } = TimeSpan.FromDays(1);
    public string? TftpServerName { get; init; }
    public IPAddress? TftpServerAddress { get; init; }
    public string? Bootfile { get; init; }
    public IReadOnlyList<ReservationModel> Reservations { get; init; } = [];
    /// <summary><c>reservations: from-switches</c>: <see cref="Reservations"/> were made one per switch (by serial, from the pool's first address on).</summary>
    public bool ReservationsFromSwitches { get; init; }
    /// <summary>The user's real DHCP server (dnsmasq, kea, isc-dhcpd) instead of the embedded one; null: embedded.</summary>
    public RealServerModel? Real { get; init; }
    public System.Collections.Immutable.ImmutableArray<PoapLab.Servers.Faults.DhcpFault> Faults { get; init; } = [];
    /// <summary>Option 43 as sent (<c>secure_poap:</c>, Secure POAP's sub-options or raw bytes), or null.</summary>
    public byte[]? Option43 { get; init; }
    public SourceLocation Location { get; init; }
}

/// <summary>A user's own server (a Debian daemon) in place of the embedded one: which, and its configuration, unmodified.</summary>
public sealed record RealServerModel
{
    public required PoapLab.Lab.Services.Real.RealServerKind Kind { get; init; }
    /// <summary>The configuration file (absolute), read by the daemon as it is.</summary>
    public string? ConfigPath { get; init; }
    /// <summary>Extra command-line options (tftpd-hpa), from a fixed list.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];
    /// <summary>nginx, vsftpd: where the served files appear in the server's sandbox (<c>serve_at:</c>, the path its configuration names); null: their own path.</summary>
    public string? ServeAt { get; init; }
    /// <summary>Server-side faults (<c>faults:</c> stop, kill, block-port).</summary>
    public System.Collections.Immutable.ImmutableArray<PoapLab.Lab.Services.Real.RealServerFault> Faults { get; init; } = [];
}

public sealed record ReservationModel
{
    public required IPAddress Address { get; init; }
    /// <summary>Option 61 bytes to match, exactly.</summary>
    public byte[]? ClientId { get; init; }
    public string? Mac { get; init; }
    public string? Hostname { get; init; }
    public string? Bootfile { get; init; }
    public string? TftpServerName { get; init; }
    public IPAddress? TftpServerAddress { get; init; }
    public TimeSpan? Lease { get; init; }
}

/// <summary>A TFTP or HTTP server: a lab address, a port, and the files under <c>root</c>.</summary>
public sealed record FileServerModel
{
    public required IPAddress Address { get; init; }
    public int Port { get; init; }
    /// <summary>Sub-directory of the scenario's file area it serves ("" = all of it).</summary>
    public string Root { get; init; } = "";
    /// <summary>HTTPS with a certificate made for this run (http only).</summary>
    public bool Tls { get; init; }
    /// <summary>Where, under its root, the server also serves its per-run certificate (PEM), or null.</summary>
    public string? CertificateFile { get; init; }
    /// <summary>The user's real server (tftpd-hpa, nginx) instead of the embedded one; null: embedded.</summary>
    public RealServerModel? Real { get; init; }
    public System.Collections.Immutable.ImmutableArray<PoapLab.Servers.Faults.TftpFault> TftpFaults { get; init; } = [];
    public System.Collections.Immutable.ImmutableArray<PoapLab.Servers.Faults.HttpFault> HttpFaults { get; init; } = [];
    public SourceLocation Location { get; init; }
}

/// <summary>An SSH (scp/sftp) or FTP server: a lab address, a port, the account scripts log in with, the files under <c>root</c>.</summary>
public sealed record LoginServerModel
{
    public required IPAddress Address { get; init; }
    public int Port { get; init; }
    public required string User { get; init; }
    public required string Password { get; init; }
    /// <summary>Sub-directory of the scenario's file area it serves ("" = all of it).</summary>
    public string Root { get; init; } = "";
    /// <summary>FTP only: also let <c>anonymous</c> in.</summary>
    public bool Anonymous { get; init; }
    /// <summary>FTP only: the user's real server (vsftpd) instead of the embedded one; null: embedded.</summary>
    public RealServerModel? Real { get; init; }
    public SourceLocation Location { get; init; }
}

/// <summary>How a served file's <c>.md5</c> companion is written (md5sum output, key=value, a bare hash: docs/nxos-commands.md).</summary>
public enum Md5CompanionKind
{
    /// <summary>No companion.</summary>
    None,
    /// <summary><c>&lt;hash&gt;  &lt;file&gt;</c>, as md5sum prints it.</summary>
    Md5sum,
    /// <summary><c>md5sum=&lt;hash&gt;</c>.</summary>
    KeyValue,
    /// <summary>A bare hash (the reference script refuses it for images).</summary>
    Bare,
    /// <summary>md5sum format with a wrong hash.</summary>
    Wrong,
}

/// <summary>How a script's <c>#md5sum</c> line is treated when the scenario serves it.</summary>
public enum ScriptMd5Handling
{
    /// <summary>Recompute it after editing the options, as the user should.</summary>
    Fix,
    /// <summary>Leave it as the file has it (stale after an edit: a real failure mode).</summary>
    Keep,
}

/// <summary>
/// One replacement on a script's text (<c>edit:</c>): every occurrence of the literal
/// <see cref="Replace"/>, or every match of the regular expression <see cref="Regex"/> (.NET
/// syntax, multiline: <c>^</c> and <c>$</c> at each line; <c>$1</c> in <see cref="With"/> is a group).
/// </summary>
public sealed record ScriptEdit
{
    /// <summary>The literal text to replace, or null for a regex edit.</summary>
    public string? Replace { get; init; }
    /// <summary>The regular expression to replace, or null for a literal edit.</summary>
    public string? Regex { get; init; }
    /// <summary>What each occurrence becomes.</summary>
    public required string With { get; init; }

    /// <summary>How the edit is named in an error: its kind and the start of its text.</summary>
    public string Describe()
    {
        var (kind, text) = Regex is null ? ("replace", Replace ?? "") : ("regex", Regex);
        text = text.ReplaceLineEndings("\\n");
        return $"{kind} '{(text.Length <= 60 ? text : text[..60] + "...")}'";
    }
}

/// <summary>A file a server serves or a switch has on bootflash.</summary>
public sealed record FileModel
{
    /// <summary>Path relative to the server's file area (or to bootflash).</summary>
    public required string Path { get; init; }
    /// <summary>A POAP script to serve: path on the host, relative to the scenario file.</summary>
    public string? Script { get; init; }
    /// <summary>Keys of the script's options dict to set, as an engineer edits them.</summary>
    public IReadOnlyDictionary<string, object?> ScriptOptions { get; init; } = new Dictionary<string, object?>();
    public ScriptMd5Handling ScriptMd5 { get; init; } = ScriptMd5Handling.Fix;
    /// <summary>Replacements made on the script's text before its options are edited and its <c>#md5sum</c> fixed.</summary>
    public IReadOnlyList<ScriptEdit> ScriptEdits { get; init; } = [];
    /// <summary>A generated NX-OS image of this release.</summary>
    public string? ImageVersion { get; init; }
    public string? ImageFlavour { get; init; }
    public long ImageBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>Literal content.</summary>
    public string? Content { get; init; }
    /// <summary>A file on the host to copy, relative to the scenario file.</summary>
    public string? Source { get; init; }
    public Md5CompanionKind Md5Companion { get; init; } = Md5CompanionKind.None;
    /// <summary>Bytes of the file are damaged after its <c>.md5</c> was written (a corrupted image).</summary>
    public bool Corrupt { get; init; }
    /// <summary>Made from a <c>per_switch</c> file for this switch (its name); null: a file of the scenario.</summary>
    public string? ForSwitch { get; init; }
    public SourceLocation Location { get; init; }
}

/// <summary>What the scenario expects of each switch.</summary>
public sealed record ExpectModel
{
    public string? Outcome { get; init; }
    public int? Attempts { get; init; }
    public int? MinAttempts { get; init; }
    public int? Reloads { get; init; }
    public string? Version { get; init; }
    public string? Image { get; init; }
    public IReadOnlyList<string> RunningConfig { get; init; } = [];
    public IReadOnlyList<string> Phases { get; init; } = [];
    public IReadOnlyList<string> NotPhases { get; init; } = [];
    public string? Reason { get; init; }
    public IReadOnlyList<EventExpectation> Events { get; init; } = [];
    public IReadOnlyList<string> BootflashHas { get; init; } = [];
    public IReadOnlyList<string> BootflashLacks { get; init; } = [];
    public IReadOnlyList<string> Syslog { get; init; } = [];
    /// <summary>Bounds on the whole fleet (the scenario's <c>expect:</c> only); null: every switch is judged alone.</summary>
    public FleetExpectation? Fleet { get; init; }
    public SourceLocation Location { get; init; }
}

/// <summary>
/// How many of a scenario's switches must (at least) and may (at most) end provisioned. With it, a
/// switch that did not end provisioned is judged by these bounds alone, not by the per-switch keys.
/// </summary>
public sealed record FleetExpectation(FleetShare? MinProvisioned, FleetShare? MaxProvisioned, SourceLocation Location);

/// <summary>A number of switches given as a count (<c>950</c>) or a share of the scenario's switches (<c>95%</c>).</summary>
/// <param name="Count">The count, or null when a share was given.</param>
/// <param name="Percent">The share in percent (0 to 100), or null when a count was given.</param>
public readonly record struct FleetShare(int? Count, double? Percent)
{
    /// <summary>The count this stands for in a fleet of <paramref name="total"/> switches; a share is rounded up for a lower bound and down for an upper one.</summary>
    public int Of(int total, bool lowerBound)
    {
        if (Count is { } count)
        {
            return count;
        }
        var exact = Percent!.Value * total / 100;
        // 95% of 20 is exactly 19; floating point must not make it 19.000000000000004 and so 20.
        var rounded = Math.Round(exact, 9);
        return (int)(lowerBound ? Math.Ceiling(rounded) : Math.Floor(rounded));
    }

    /// <summary>As the scenario wrote it: 950 or 95%.</summary>
    public override string ToString() =>
        Count is { } count ? count.ToString(System.Globalization.CultureInfo.InvariantCulture) : Percent!.Value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%";
}

/// <summary>An event that must (or must not) have been recorded.</summary>
/// <param name="Kind">An event kind, e.g. <c>poap.script.md5-failed</c>.</param>
/// <param name="Where">Data fields that must match (value substring).</param>
/// <param name="Count">Exact count; null = at least one; 0 = none.</param>
public sealed record EventExpectation(string Kind, IReadOnlyDictionary<string, string> Where, int? Count, SourceLocation Location);
