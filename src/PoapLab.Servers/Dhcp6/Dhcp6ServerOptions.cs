using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Dhcp6;

/// <summary>Configuration of the embedded DHCPv6 server: one link, one address pool, fixed hosts.</summary>
public sealed record Dhcp6ServerOptions
{
    /// <summary>The lab IPv6 address of the server, e.g. 2001:db8::1; the server DUID is derived from it.</summary>
    public required IPAddress ServerAddress { get; init; }

    /// <summary>First address of the IA_NA pool (IPv6).</summary>
    public required IPAddress PoolStart { get; init; }

    /// <summary>Last address of the IA_NA pool (IPv6).</summary>
    public required IPAddress PoolEnd { get; init; }

    /// <summary>Preferred lifetime of assigned addresses (RFC 8415 §21.6); T1/T2 are 0.5 and 0.8 of it (§21.4).</summary>
    public TimeSpan PreferredLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Valid lifetime of assigned addresses (RFC 8415 §21.6).</summary>
    public TimeSpan ValidLifetime { get; init; } = TimeSpan.FromDays(2);

    /// <summary>Option 59 (RFC 5970), e.g. <c>tftp://[2001:db8::1]/poap.py</c>.</summary>
    public string? BootfileUrl { get; init; }

    /// <summary>Option 242, the Cisco POAP next hop.</summary>
    public IPAddress? NextHop { get; init; }

    /// <summary>Option 243, the Cisco POAP route prefix, e.g. <c>2001:db8::/64</c>.</summary>
    public string? RoutePrefix { get; init; }

    /// <summary>Option 23 (RFC 3646).</summary>
    public ImmutableArray<IPAddress> DnsServers { get; init; } = [];

    public ImmutableArray<Dhcp6Reservation> Reservations { get; init; } = [];

    /// <summary>Answer a Solicit carrying Rapid Commit with a Reply at once (RFC 8415 §18.3.1).</summary>
    public bool RapidCommit { get; init; } = true;

    /// <summary>The server DUID; by default a DUID-LL of a locally administered MAC made from <see cref="ServerAddress"/>.</summary>
    public Dhcp6Duid? ServerDuid { get; init; }

    /// <summary>Options added to every Advertise and Reply (after the standard ones; same code replaces).</summary>
    public ImmutableArray<Dhcp6OptionValue> ExtraOptions { get; init; } = [];

    /// <summary>Where the server's sockets are made (default: this process's network namespace; a lab host's namespace in the namespace transport).</summary>
    public ISocketFactory Sockets { get; init; } = SystemSocketFactory.Instance;
}

/// <summary>
/// A fixed address for one client, matched by the exact bytes of its DUID (option 1) and
/// otherwise by the link-layer address inside a DUID-LL or DUID-LLT.
/// </summary>
public sealed record Dhcp6Reservation
{
    public required IPAddress Address { get; init; }

    /// <summary>Exact DUID bytes to match.</summary>
    public ImmutableArray<byte>? ClientDuid { get; init; }

    public PhysicalAddress? Mac { get; init; }

    /// <summary>Option 59 for this host.</summary>
    public string? BootfileUrl { get; init; }
}

/// <summary>State of an address in the DHCPv6 server's table.</summary>
public enum Dhcp6LeaseState
{
    Advertised,
    Bound,
    /// <summary>The client said the address is in use elsewhere (Decline); not handed out again.</summary>
    Declined,
}

/// <summary>One entry of the DHCPv6 server's lease table.</summary>
/// <param name="Address">The address.</param>
/// <param name="ClientDuid">The client's DUID in hex (empty for a declined address).</param>
/// <param name="Iaid">The IA_NA the address belongs to.</param>
/// <param name="State">Advertised, bound or declined.</param>
/// <param name="Expires">When the advertisement or binding runs out (server clock).</param>
public sealed record Dhcp6LeaseRecord(IPAddress Address, string ClientDuid, uint Iaid, Dhcp6LeaseState State, DateTimeOffset Expires);
