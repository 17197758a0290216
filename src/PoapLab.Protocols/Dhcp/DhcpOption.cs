namespace PoapLab.Protocols.Dhcp;

/// <summary>
/// DHCPv4 option codes (RFC 2132 and the RFCs named beside each). Any other byte value
/// is kept as a raw option with its number.
/// </summary>
public enum DhcpOption : byte
{
    /// <summary>RFC 2132 §3.1.</summary>
    Pad = 0,
    /// <summary>RFC 2132 §3.3.</summary>
    SubnetMask = 1,
    /// <summary>RFC 2132 §3.5.</summary>
    Router = 3,
    /// <summary>RFC 2132 §3.8.</summary>
    DomainNameServer = 6,
    /// <summary>RFC 2132 §3.14.</summary>
    HostName = 12,
    /// <summary>RFC 2132 §3.17.</summary>
    DomainName = 15,
    /// <summary>RFC 2132 §8.4 (Secure POAP puts its sub-options here).</summary>
    VendorSpecific = 43,
    /// <summary>RFC 2132 §9.1.</summary>
    RequestedIpAddress = 50,
    /// <summary>RFC 2132 §9.2.</summary>
    LeaseTime = 51,
    /// <summary>RFC 2132 §9.3.</summary>
    OptionOverload = 52,
    /// <summary>RFC 2132 §9.6.</summary>
    MessageType = 53,
    /// <summary>RFC 2132 §9.7.</summary>
    ServerIdentifier = 54,
    /// <summary>RFC 2132 §9.8.</summary>
    ParameterRequestList = 55,
    /// <summary>RFC 2132 §9.9.</summary>
    Message = 56,
    /// <summary>RFC 2132 §9.10.</summary>
    MaxMessageSize = 57,
    /// <summary>RFC 2132 §9.11.</summary>
    RenewalTime = 58,
    /// <summary>RFC 2132 §9.12.</summary>
    RebindingTime = 59,
    /// <summary>RFC 2132 §9.13.</summary>
    VendorClassIdentifier = 60,
    /// <summary>RFC 2132 §9.14; POAP sends 0x00 followed by the chassis serial number.</summary>
    ClientIdentifier = 61,
    /// <summary>RFC 2132 §9.4.</summary>
    TftpServerName = 66,
    /// <summary>RFC 2132 §9.5.</summary>
    BootfileName = 67,
    /// <summary>RFC 3004 §4; POAP sends <c>Cisco-POAP</c>.</summary>
    UserClass = 77,
    /// <summary>RFC 5859 §3: TFTP server addresses, the Cisco option.</summary>
    TftpServerAddress = 150,
    /// <summary>RFC 2132 §3.2.</summary>
    End = 255,
}

/// <summary>DHCP message types, option 53 (RFC 2132 §9.6; lease query types from RFC 4388 §6.1).</summary>
public enum DhcpMessageType : byte
{
    Discover = 1,
    Offer,
    Request,
    Decline,
    Ack,
    Nak,
    Release,
    Inform,
    LeaseQuery = 10,
    LeaseUnassigned,
    LeaseUnknown,
    LeaseActive,
}

/// <summary>BOOTP <c>op</c> field (RFC 951 §3, RFC 2131 §2).</summary>
public enum BootpOperation : byte
{
    Request = 1,
    Reply = 2,
}
