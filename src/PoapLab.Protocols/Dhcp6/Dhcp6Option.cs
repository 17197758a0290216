namespace PoapLab.Protocols.Dhcp6;

/// <summary>
/// DHCPv6 message types (RFC 8415 §7.3). Other values are kept as they are and treated
/// as client/server messages.
/// </summary>
public enum Dhcp6MessageType : byte
{
    Solicit = 1,
    Advertise,
    Request,
    Confirm,
    Renew,
    Rebind,
    Reply,
    Release,
    Decline,
    Reconfigure,
    InformationRequest,
    RelayForward,
    RelayReply,
}

/// <summary>
/// DHCPv6 option codes (RFC 8415 §21 and the RFCs named beside each). Any other code is
/// kept as a raw option with its number.
/// </summary>
public enum Dhcp6Option : ushort
{
    /// <summary>RFC 8415 §21.2: the client's DUID.</summary>
    ClientId = 1,
    /// <summary>RFC 8415 §21.3: the server's DUID.</summary>
    ServerId = 2,
    /// <summary>RFC 8415 §21.4: identity association for non-temporary addresses.</summary>
    IaNa = 3,
    /// <summary>RFC 8415 §21.5: identity association for temporary addresses.</summary>
    IaTa = 4,
    /// <summary>RFC 8415 §21.6: one address inside an IA_NA or IA_TA.</summary>
    IaAddress = 5,
    /// <summary>RFC 8415 §21.7.</summary>
    OptionRequest = 6,
    /// <summary>RFC 8415 §21.8.</summary>
    Preference = 7,
    /// <summary>RFC 8415 §21.9: hundredths of a second.</summary>
    ElapsedTime = 8,
    /// <summary>RFC 8415 §21.10: a whole DHCPv6 message inside a relay message.</summary>
    RelayMessage = 9,
    /// <summary>RFC 8415 §21.13.</summary>
    StatusCode = 13,
    /// <summary>RFC 8415 §21.14.</summary>
    RapidCommit = 14,
    /// <summary>RFC 8415 §21.15.</summary>
    UserClass = 15,
    /// <summary>RFC 8415 §21.16.</summary>
    VendorClass = 16,
    /// <summary>RFC 8415 §21.17: vendor-specific information (Secure POAP on IPv6).</summary>
    VendorOpts = 17,
    /// <summary>RFC 8415 §21.18.</summary>
    InterfaceId = 18,
    /// <summary>RFC 8415 §21.19.</summary>
    ReconfigureMessage = 19,
    /// <summary>RFC 8415 §21.20.</summary>
    ReconfigureAccept = 20,
    /// <summary>RFC 3319 §3.1.</summary>
    SipServersDomain = 21,
    /// <summary>RFC 3319 §3.2.</summary>
    SipServersAddress = 22,
    /// <summary>RFC 3646 §3.</summary>
    DnsServers = 23,
    /// <summary>RFC 3646 §4.</summary>
    DomainList = 24,
    /// <summary>RFC 8415 §21.21: identity association for prefix delegation.</summary>
    IaPd = 25,
    /// <summary>RFC 8415 §21.22: one prefix inside an IA_PD.</summary>
    IaPrefix = 26,
    /// <summary>RFC 4075 §4.</summary>
    SntpServers = 31,
    /// <summary>RFC 8415 §21.23.</summary>
    InformationRefreshTime = 32,
    /// <summary>RFC 4704 §4.</summary>
    ClientFqdn = 39,
    /// <summary>RFC 5908 §4.</summary>
    NtpServer = 56,
    /// <summary>RFC 5970 §3.1: the boot file URL; POAP over IPv6 reads its script location here.</summary>
    BootfileUrl = 59,
    /// <summary>RFC 5970 §3.2.</summary>
    BootfileParam = 60,
    /// <summary>RFC 6334 §3.</summary>
    AftrName = 64,
    /// <summary>RFC 8415 §21.24.</summary>
    SolMaxRt = 82,
    /// <summary>RFC 8415 §21.25.</summary>
    InfMaxRt = 83,
    /// <summary>RFC 8520 §10.</summary>
    MudUrl = 112,
    /// <summary>RFC 8572 §8.2.</summary>
    SztpRedirect = 136,
    /// <summary>
    /// Cisco POAP next hop: an IPv6 address (the layout of draft-ietf-mif-dhcpv6-route-option
    /// §5.1, OPTION_NEXT_HOP, on a private code). POAP says <c>Missing Nexthop information, Option(242)</c> without it.
    /// </summary>
    NextHop = 242,
    /// <summary>
    /// Cisco POAP route prefix (draft-ietf-mif-dhcpv6-route-option §5.2, OPTION_RTPREFIX:
    /// lifetime, prefix length, metric, prefix). POAP says <c>Missing RT Prefix information, Option(243)</c> without it.
    /// </summary>
    RoutePrefix = 243,
}

/// <summary>Status codes of the Status Code option (RFC 8415 §21.13).</summary>
public enum Dhcp6StatusCode : ushort
{
    Success = 0,
    UnspecFail = 1,
    NoAddrsAvail = 2,
    NoBinding = 3,
    NotOnLink = 4,
    UseMulticast = 5,
    NoPrefixAvail = 6,
}

/// <summary>DUID types (RFC 8415 §11.1; type 4 from RFC 6355 §4).</summary>
public enum Dhcp6DuidType : ushort
{
    /// <summary>DUID-LLT: hardware type, time, link-layer address (RFC 8415 §11.2).</summary>
    LinkLayerPlusTime = 1,
    /// <summary>DUID-EN: enterprise number and identifier (RFC 8415 §11.3).</summary>
    Enterprise = 2,
    /// <summary>DUID-LL: hardware type and link-layer address (RFC 8415 §11.4).</summary>
    LinkLayer = 3,
    /// <summary>DUID-UUID: a 16-byte UUID (RFC 6355 §4).</summary>
    Uuid = 4,
}
