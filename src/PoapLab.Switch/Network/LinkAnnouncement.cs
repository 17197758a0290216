using System.Net;
using System.Net.NetworkInformation;

namespace PoapLab.Switch.Network;

/// <summary>
/// What a Nexus switch tells its link neighbours once it is up (CDP, and LLDP when
/// <c>feature lldp</c> is configured): the texts of the CDP TLVs and LLDP's system name and
/// description, taken from the switch's running state after its reload.
/// </summary>
/// <param name="DeviceId">CDP Device-ID: NX-OS's default is the system name followed by the serial in parentheses, e.g. <c>leaf-101(FDO23490570)</c>.</param>
/// <param name="Hostname">The system name (<c>hostname</c> of the running configuration).</param>
/// <param name="Serial">The chassis serial number.</param>
/// <param name="SoftwareVersion">The CDP Version text, e.g. <c>Cisco Nexus Operating System (NX-OS) Software, Version 10.3(6)</c>.</param>
/// <param name="Platform">The chassis model, e.g. <c>N9K-C93108TC-EX</c>.</param>
/// <param name="PortId">The interface the announcement leaves by, e.g. <c>mgmt0</c>.</param>
/// <param name="Mac">The interface's MAC (the frames' source).</param>
/// <param name="ManagementAddress">mgmt0's IPv4 address, or null when it has none.</param>
/// <param name="Lldp">Whether LLDP is enabled too (<c>feature lldp</c>).</param>
public sealed record LinkAnnouncement(
    string DeviceId,
    string Hostname,
    string Serial,
    string SoftwareVersion,
    string Platform,
    string PortId,
    PhysicalAddress Mac,
    IPAddress? ManagementAddress,
    bool Lldp)
{
    /// <summary>
    /// The version text NX-OS puts in CDP's Version TLV (as <c>show cdp neighbors detail</c>
    /// prints under "Version:").
    /// </summary>
    public static string NxosVersionText(string version) => $"Cisco Nexus Operating System (NX-OS) Software, Version {version}";
}
