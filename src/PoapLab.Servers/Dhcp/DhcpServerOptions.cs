using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Dhcp;

/// <summary>Configuration of the embedded DHCP server: one subnet, one pool, fixed hosts.</summary>
public sealed record DhcpServerOptions
{
    /// <summary>The lab address sent as server identifier (option 54), e.g. 10.0.0.1.</summary>
    public required IPAddress ServerAddress { get; init; }

    public required IPAddress SubnetMask { get; init; }

    public IPAddress? Router { get; init; }

    public ImmutableArray<IPAddress> DnsServers { get; init; } = [];

    public string? DomainName { get; init; }

    public required IPAddress PoolStart { get; init; }

    public required IPAddress PoolEnd { get; init; }

    /// <summary>Option 51; POAP does not complete negotiation below 3600 s.</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Option 66 (may carry <c>http://host</c> to switch POAP to HTTP).</summary>
    public string? TftpServerName { get; init; }

    /// <summary>Option 150 (RFC 5859).</summary>
    public IPAddress? TftpServerAddress { get; init; }

    /// <summary>Option 67: the POAP script name.</summary>
    public string? BootfileName { get; init; }

    public ImmutableArray<DhcpReservation> Reservations { get; init; } = [];

    /// <summary>Options added to every OFFER and ACK (after the standard ones; same code replaces).</summary>
    public ImmutableArray<DhcpOptionValue> ExtraOptions { get; init; } = [];

    /// <summary>Faults to inject, first match wins (empty: a correct server).</summary>
    public ImmutableArray<DhcpFault> Faults { get; init; } = [];

    /// <summary>Seed of the generator behind probabilistic faults, so a run is reproducible.</summary>
    public int FaultSeed { get; init; } = 1;

    /// <summary>Tells the POAP attempt of a client for attempt-keyed faults (null: none known).</summary>
    public IFaultContext? FaultContext { get; init; }

    /// <summary>Where the server's sockets are made (default: this process's network namespace; a lab host's namespace in the namespace transport).</summary>
    public ISocketFactory Sockets { get; init; } = SystemSocketFactory.Instance;

    /// <summary>Where replies go (default: back to the request's source, as on the loopback map).</summary>
    public DhcpReplyRouting ReplyRouting { get; init; } = DhcpReplyRouting.ToSender;
}

/// <summary>Where a DHCP server sends its replies.</summary>
public enum DhcpReplyRouting
{
    /// <summary>Back to the UDP source of the request (the virtual transport: every client has an address of its own).</summary>
    ToSender,

    /// <summary>
    /// As RFC 2131 §4.1 says on a real segment: to the relay at giaddr port 67 when giaddr is
    /// set; else to ciaddr port 68 when the client has an address; else (and always for a
    /// NAK) broadcast to 255.255.255.255 port 68, since a client without an address cannot
    /// be reached by unicast without writing the ARP cache.
    /// </summary>
    Rfc2131,
}

/// <summary>
/// A fixed address for one client, matched by client identifier (exact bytes of option
/// 61, so a reservation written without the leading 0x00 does not match a switch that
/// sends 0x00 + serial) and otherwise by MAC.
/// </summary>
public sealed record DhcpReservation
{
    public required IPAddress Address { get; init; }

    /// <summary>Exact bytes of option 61 to match.</summary>
    public ImmutableArray<byte>? ClientId { get; init; }

    public PhysicalAddress? Mac { get; init; }

    /// <summary>Option 12 for this host.</summary>
    public string? HostName { get; init; }

    public string? BootfileName { get; init; }

    public string? TftpServerName { get; init; }

    public IPAddress? TftpServerAddress { get; init; }

    public TimeSpan? LeaseTime { get; init; }

    public ImmutableArray<DhcpOptionValue> ExtraOptions { get; init; } = [];
}

/// <summary>State of an address in the server's table.</summary>
public enum DhcpLeaseState
{
    Offered,
    Bound,
    /// <summary>The client said the address is in use elsewhere (DHCPDECLINE); not handed out again.</summary>
    Declined,
}

/// <summary>One entry of the server's lease table.</summary>
/// <param name="Address">The address.</param>
/// <param name="Mac">The client's hardware address (empty for a declined address).</param>
/// <param name="ClientId">Option 61 of the client in hex, or null.</param>
/// <param name="State">Offered, bound or declined.</param>
/// <param name="Expires">When the offer or lease runs out (server clock).</param>
public sealed record DhcpLeaseRecord(IPAddress Address, PhysicalAddress Mac, string? ClientId, DhcpLeaseState State, DateTimeOffset Expires);
