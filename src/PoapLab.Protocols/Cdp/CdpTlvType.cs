namespace PoapLab.Protocols.Cdp;

/// <summary>
/// CDP TLV types (Cisco Discovery Protocol version 2; the numbers Wireshark's CDP dissector,
/// <c>epan/dissectors/packet-cdp.c</c>, decodes). Any other value is kept as a raw TLV.
/// </summary>
public enum CdpTlvType : ushort
{
    /// <summary>The device's name (NX-OS: its system name, then its serial number in parentheses).</summary>
    DeviceId = 0x0001,
    /// <summary>The addresses it can be managed at (NLPID/802.2 protocol, address).</summary>
    Addresses = 0x0002,
    /// <summary>The port the frame left by, e.g. <c>mgmt0</c>.</summary>
    PortId = 0x0003,
    /// <summary>A 32-bit capability bit map (router, switch, IGMP...).</summary>
    Capabilities = 0x0004,
    /// <summary>The software version text (<c>show version</c>'s first lines).</summary>
    SoftwareVersion = 0x0005,
    /// <summary>The hardware platform, e.g. <c>N9K-C93108TC-EX</c>.</summary>
    Platform = 0x0006,
    /// <summary>The management addresses (same layout as <see cref="Addresses"/>).</summary>
    ManagementAddresses = 0x0016,
}

/// <summary>CDP capability bits (the Capabilities TLV).</summary>
[Flags]
public enum CdpCapabilities : uint
{
    /// <summary>No capability announced.</summary>
    None = 0,
    /// <summary>Routes layer 3.</summary>
    Router = 0x01,
    /// <summary>Switches layer 2.</summary>
    Switch = 0x08,
    /// <summary>Snoops IGMP.</summary>
    Igmp = 0x20,
}
