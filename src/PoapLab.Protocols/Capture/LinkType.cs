namespace PoapLab.Protocols.Capture;

/// <summary>
/// Link-layer header types of capture files (tcpdump.org LINKTYPE_ values, the same
/// numbers in pcap's global header and pcapng's interface description block).
/// Values not named here are kept as their number.
/// </summary>
public enum LinkType : ushort
{
    /// <summary>BSD loopback: a 4-byte address family in the writer's byte order.</summary>
    Null = 0,
    Ethernet = 1,
    Raw = 101,
    /// <summary>OpenBSD loopback: a 4-byte address family in network byte order.</summary>
    Loop = 108,
    LinuxSll = 113,
    Ipv4 = 228,
    Ipv6 = 229,
    LinuxSll2 = 276,
}
