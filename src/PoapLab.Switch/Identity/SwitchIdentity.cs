using System.Net.NetworkInformation;

namespace PoapLab.Switch.Identity;

/// <summary>What a switch is: fixed for its life, read from its scenario.</summary>
/// <param name="Name">The scenario's name for it (used in reports, not the device hostname).</param>
/// <param name="Model">Chassis model, e.g. <c>N9K-C93108TC-EX</c>.</param>
/// <param name="Serial">Chassis serial (<c>Processor Board ID</c>), e.g. <c>FDO23490570</c>.</param>
/// <param name="SystemMac">The chassis MAC; mgmt0's MAC is the same here.</param>
/// <param name="BiosVersion">e.g. <c>07.69</c>.</param>
/// <param name="BiosCompileTime">e.g. <c>04/08/2021</c>.</param>
/// <param name="BootflashKilobytes">Bootflash size as <c>show version</c> prints it (kB).</param>
/// <param name="ChassisFamily">e.g. <c>Fretta</c> or <c>Nexus9000</c> (<c>show chassis-family</c>).</param>
/// <param name="Ports">Front-panel ports on the module (for <c>show module</c>).</param>
/// <param name="ModuleType">e.g. <c>48x10GT + 6x40/100G Ethernet Module</c>.</param>
public sealed record SwitchIdentity(
    string Name,
    string Model,
    string Serial,
    PhysicalAddress SystemMac,
    string BiosVersion,
    string BiosCompileTime,
    long BootflashKilobytes,
    string ChassisFamily,
    int Ports,
    string ModuleType)
{
    /// <summary>POAP_MAC form: 12 upper-case hex digits, no separators.</summary>
    public string MacPlain => SystemMac.ToString().ToUpperInvariant();

    /// <summary><c>D4:C9:3C:85:7D:BF</c>: the form in POAP's syslog tag (<c>[FOX2249PGK1-D4:C9:3C:85:7D:BF]</c>).</summary>
    public string MacColons => string.Join(':', SystemMac.GetAddressBytes().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary><c>d4c9.3c85.7d80</c> form used in NX-OS show output.</summary>
    public string MacDotted
    {
        get
        {
            var s = SystemMac.ToString().ToLowerInvariant();
            return $"{s[..4]}.{s[4..8]}.{s[8..12]}";
        }
    }

    /// <summary>The chassis line of <c>show version</c>: <c>cisco Nexus9000 C93108TC-EX chassis</c>.</summary>
    public string ChassisDescription =>
        Model.StartsWith("N3K-", StringComparison.Ordinal)
            ? $"cisco Nexus3000 {Model[4..]} chassis"
            : $"cisco Nexus9000 {(Model.StartsWith("N9K-", StringComparison.Ordinal) ? Model[4..] : Model)} chassis";
}
