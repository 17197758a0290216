using System.Net;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;

namespace PoapLab.Switch.State;

/// <summary>A CDP neighbour as the scenario describes it (for location mode).</summary>
/// <param name="DeviceId">e.g. <c>oob-sw1(FOC213230KP)</c> — NX-OS prints the serial in brackets.</param>
/// <param name="LocalInterface">e.g. <c>mgmt0</c> or <c>Ethernet1/1</c>.</param>
/// <param name="PortId">e.g. <c>Eth1/48</c> or <c>Ethernet1/48</c>.</param>
/// <param name="Platform">e.g. <c>N3K-C3172PQ-XL</c>.</param>
/// <param name="Capability">e.g. <c>R S I s</c>.</param>
/// <param name="HoldTime">Seconds, e.g. 138.</param>
public sealed record CdpNeighbor(string DeviceId, string LocalInterface, string PortId, string Platform, string Capability = "R S I s", int HoldTime = 138);

/// <summary>What <c>personality restore</c> staged.</summary>
/// <param name="Archive">The flash name of the tar, e.g. <c>bootflash:personality.tar</c>.</param>
/// <param name="UserName">The <c>user-name</c> argument (for fetching the personality's packages), or null.</param>
/// <param name="Server">The <c>hostname</c> argument: the server the packages come from, or null.</param>
/// <param name="Vrf">The <c>vrf</c> argument, or null.</param>
/// <param name="ConfigLines">The configuration lines taken from the archive's <c>running-config</c>.</param>
/// <param name="DataFiles">Other regular files of the archive, extracted to bootflash (flash names).</param>
public sealed record PersonalityRestore(
    string Archive, string? UserName, string? Server, string? Vrf, IReadOnlyList<string> ConfigLines, IReadOnlyList<string> DataFiles);

/// <summary>What DHCP gave the switch.</summary>
public sealed record DhcpLease(
    string Interface,
    string Vrf,
    IPAddress Address,
    IPAddress SubnetMask,
    IPAddress? Gateway,
    IReadOnlyList<IPAddress> DnsServers,
    string? DomainName,
    string? HostName,
    IPAddress ServerIdentifier,
    TimeSpan LeaseTime);

/// <summary>
/// Everything about a switch that changes while it runs: what it booted, its configs,
/// its boot variable, the terminal's settings, its lease. One instance per switch,
/// shared by the POAP agent and the CLI.
/// </summary>
public sealed class SwitchState
{
    public SwitchState(SwitchIdentity identity, SwitchFilesystem filesystem, Bootflash bootflash, NxosVersion version, string imageName)
    {
        Identity = identity;
        Filesystem = filesystem;
        Bootflash = bootflash;
        Filesystems = new NxosFilesystems(filesystem, bootflash);
        RunningVersion = version;
        RunningImage = imageName;
        Hostname = "switch";
    }

    public SwitchIdentity Identity { get; }
    public SwitchFilesystem Filesystem { get; }
    public Bootflash Bootflash { get; }

    /// <summary>The filesystems as the CLI names them (<c>bootflash:</c>, <c>volatile:</c>, <c>usb1:</c>, <c>logflash:</c>).</summary>
    public NxosFilesystems Filesystems { get; }

    /// <summary>The release the switch is running now.</summary>
    public NxosVersion RunningVersion { get; set; }

    /// <summary>What the running release can do, asked by name.</summary>
    public NxosFeatures Features => new(RunningVersion, Identity.Model);

    /// <summary>The image file it booted (file name on bootflash), e.g. <c>nxos.9.3.8.bin</c>.</summary>
    public string RunningImage { get; set; }

    /// <summary>The device hostname (<c>Device name:</c> in show version).</summary>
    public string Hostname { get; set; }

    /// <summary>The boot variable: the flash path of the image to boot next, or null.</summary>
    public string? BootVariable { get; set; }

    /// <summary>
    /// 6.x dual-image boot variable (N3K/N5K): the kickstart image to boot next
    /// (<c>boot kickstart bootflash:/...</c>), or null. Modern images use <see cref="BootVariable"/>.
    /// </summary>
    public string? KickstartBootVariable { get; set; }

    /// <summary>6.x dual-image boot variable: the system image to boot next (<c>boot system bootflash:/...</c>), or null.</summary>
    public string? SystemBootVariable { get; set; }

    /// <summary>
    /// What <c>personality restore</c> staged last: the archive it read, and the server it
    /// names for packages (null until a restore ran). The configuration itself goes to
    /// <see cref="ScheduledConfig"/>.
    /// </summary>
    public PersonalityRestore? Personality { get; set; }

    /// <summary>The running configuration, one line per entry, as entered.</summary>
    public List<string> RunningConfig { get; } = [];

    /// <summary>The startup configuration; null when there is none (POAP then runs at boot).</summary>
    public List<string>? StartupConfig { get; set; }

    /// <summary>Configuration staged with <c>copy ... scheduled-config</c>, replayed at the next boot.</summary>
    public List<string> ScheduledConfig { get; } = [];

    /// <summary><c>boot poap enable</c>: POAP runs at boot even with a startup-config.</summary>
    public bool BootPoapEnabled { get; set; }

    /// <summary>CDP neighbours seen on the switch's ports.</summary>
    public List<CdpNeighbor> CdpNeighbors { get; } = [];

    /// <summary>The DHCP lease POAP holds, or null.</summary>
    public DhcpLease? Lease { get; set; }

    /// <summary><c>terminal dont-ask</c> in effect for the session.</summary>
    public bool TerminalDontAsk { get; set; }

    /// <summary><c>terminal password X</c>: the password copy uses for scp/sftp/ftp.</summary>
    public string? TerminalPassword { get; set; }

    /// <summary>Image flavour: <c>cs</c> (cloud-scale, <c>/isan/etc/cs.txt</c>) or <c>msll</c>.</summary>
    public string ImageFlavour { get; set; } = "cs";

    /// <summary>How many times the switch has booted in this run (1 for the first boot).</summary>
    public int BootCount { get; set; }
}
