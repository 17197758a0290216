using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Protocols;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Dhcp6;

/// <summary>
/// A small DHCPv6 server for the lab (RFC 8415 §18.3). It runs on loopback (IPv4 or IPv6)
/// for a simulated switch, so it answers by unicast to the UDP source endpoint of each
/// request instead of the link-local multicast dance of a real link. Every message in and
/// out is an event. Relayed messages are not served.
/// </summary>
public sealed partial class EmbeddedDhcp6Server : IAsyncDisposable
{
    private const int MaxDatagram = 65_535;

    private readonly Dhcp6ServerOptions _options;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly TimeProvider _time;
    private readonly Dhcp6RoutePrefix? _routePrefix;
    private readonly Lock _gate = new();
    // Keyed by address; one entry per address advertised, bound or declined.
    private readonly Dictionary<IPAddress, Dhcp6LeaseRecord> _leases = [];
    private readonly UdpServerLoop _udp;

    public EmbeddedDhcp6Server(Dhcp6ServerOptions options, IEventSink events, string eventSource, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        RequireV6(options.ServerAddress, "ServerAddress");
        RequireV6(options.PoolStart, "PoolStart");
        RequireV6(options.PoolEnd, "PoolEnd");
        if (ToUInt128(options.PoolStart) > ToUInt128(options.PoolEnd))
        {
            throw new ArgumentException("PoolStart is after PoolEnd", nameof(options));
        }
        if (options.NextHop is not null)
        {
            RequireV6(options.NextHop, "NextHop");
        }
        foreach (var dns in options.DnsServers.IsDefault ? [] : options.DnsServers)
        {
            RequireV6(dns, "DnsServers");
        }
        foreach (var reservation in options.Reservations.IsDefault ? [] : options.Reservations)
        {
            RequireV6(reservation.Address, "Reservations");
        }
        if (options.PreferredLifetime < TimeSpan.Zero || options.PreferredLifetime > options.ValidLifetime)
        {
            throw new ArgumentException("PreferredLifetime must be between 0 and ValidLifetime (RFC 8415 §21.6)", nameof(options));
        }
        _routePrefix = options.RoutePrefix is { } prefix ? Dhcp6RoutePrefix.Parse(prefix) : null;
        _options = options;
        _events = events;
        _source = eventSource;
        _time = timeProvider ?? TimeProvider.System;
        ServerDuid = options.ServerDuid ?? DefaultDuid(options.ServerAddress);
        _udp = new UdpServerLoop(MaxDatagram, (datagram, from) => Handle(datagram.Span, from)) { Sockets = options.Sockets, Ipv6Group = AllDhcpRelayAgentsAndServers };
    }

    /// <summary>All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1): where clients on the link send.</summary>
    private static readonly IPAddress AllDhcpRelayAgentsAndServers = IPAddress.Parse("ff02::1:2");

    /// <summary>The DUID this server sends in option 2 and expects back in Request, Renew, Release, Decline.</summary>
    public Dhcp6Duid ServerDuid { get; }

    /// <summary>The bound endpoint once started.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint?)_udp.Socket?.LocalEndPoint ?? throw new InvalidOperationException("the server is not started");

    /// <summary>A snapshot of the lease table.</summary>
    public IReadOnlyCollection<Dhcp6LeaseRecord> Leases
    {
        get { lock (_gate) { return [.. _leases.Values]; } }
    }

    /// <summary>Binds (e.g. [::1]:0 or 127.77.0.1:0) and starts answering; returns the bound endpoint.</summary>
    public Task<IPEndPoint> StartAsync(IPEndPoint bind, CancellationToken cancellationToken) => Task.FromResult(_udp.Start(bind, cancellationToken));

    /// <summary>Stops the receive loop and closes the socket.</summary>
    public ValueTask DisposeAsync() => _udp.DisposeAsync();

    /// <summary>Handles one datagram; returns the reply bytes or null.</summary>
    private byte[]? Handle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        Dhcp6Message request;
        try
        {
            request = Dhcp6Message.Decode(datagram);
        }
        catch (ProtocolException ex)
        {
            _events.Record(_source, EventKinds.Dhcp6ServerMalformed, $"malformed DHCPv6 datagram from {from}: {ex.Message}",
                ("from", from.ToString()), ("length", datagram.Length), ("offset", ex.Offset), ("error", ex.Message));
            return null;
        }

        var clientDuid = request.ClientId;
        _events.Record(_source, EventKinds.Dhcp6ServerReceived, $"received {request.Describe()} from {from}",
            ("from", from.ToString()),
            ("xid", Dhcp6Format.Xid(request.TransactionId)),
            ("type", request.MessageType.ToString()),
            ("clientDuid", clientDuid?.Hex),
            ("serverDuid", request.ServerId?.Hex),
            ("addresses", Addresses(request)),
            ("rapidCommit", request.RapidCommit),
            ("options", Describe(request.Options)));

        if (request.IsRelay)
        {
            return Ignore(request, "relayed messages are not served");
        }
        lock (_gate)
        {
            return request.MessageType switch
            {
                Dhcp6MessageType.Solicit => Solicit(request, clientDuid),
                Dhcp6MessageType.Request => Request(request, clientDuid),
                Dhcp6MessageType.Confirm => Confirm(request, clientDuid),
                Dhcp6MessageType.Renew => Renew(request, clientDuid),
                Dhcp6MessageType.Rebind => Rebind(request, clientDuid),
                Dhcp6MessageType.Release => Release(request, clientDuid),
                Dhcp6MessageType.Decline => Decline(request, clientDuid),
                Dhcp6MessageType.InformationRequest => InformationRequest(request, clientDuid),
                _ => Ignore(request, $"message type {request.MessageType} is not sent by clients"),
            };
        }
    }

    private byte[]? Ignore(Dhcp6Message request, string reason)
    {
        _events.Record(_source, EventKinds.Dhcp6ServerIgnored, $"ignored {request.MessageType} xid {Dhcp6Format.Xid(request.TransactionId)}: {reason}",
            ("xid", Dhcp6Format.Xid(request.TransactionId)),
            ("type", request.MessageType.ToString()),
            ("clientDuid", request.ClientId?.Hex),
            ("reason", reason));
        return null;
    }

    private static string Addresses(Dhcp6Message message) =>
        string.Join(',', message.IaNa.SelectMany(ia => ia.Addresses).Select(a => a.Address.ToString()));

    private static string Describe(IEnumerable<Dhcp6OptionValue> options) => string.Join(';', options.Select(o => o.ToString()));

    // A locally administered unicast MAC (first byte 0x02) from the last 5 bytes of the
    // server address, so two lab servers on different addresses have different DUIDs.
    private static Dhcp6Duid DefaultDuid(IPAddress serverAddress)
    {
        var bytes = serverAddress.GetAddressBytes();
        return Dhcp6Duid.FromMac(new PhysicalAddress([0x02, .. bytes.AsSpan(11, 5)]));
    }

    private static void RequireV6(IPAddress? address, string field)
    {
        if (address is null || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"{field} must be an IPv6 address (got {address?.ToString() ?? "null"})", "options");
        }
    }

    private static UInt128 ToUInt128(IPAddress address) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(address.GetAddressBytes());

    private static IPAddress FromUInt128(UInt128 value)
    {
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    private ImmutableArray<Dhcp6Reservation> Reservations => _options.Reservations.IsDefault ? [] : _options.Reservations;
}
