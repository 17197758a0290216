using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Protocols;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Dhcp;

/// <summary>
/// A small DHCPv4 server for the lab (RFC 2131 §4.3). It runs on loopback for a
/// simulated switch, so it answers by unicast to the UDP source endpoint of each
/// request rather than broadcasting. Every message in and out is an event.
/// </summary>
public sealed class EmbeddedDhcpServer : IAsyncDisposable
{
    private const int MaxDatagram = 65_535;
    // A fleet's DISCOVERs arrive in bursts: room for a few thousand while a reply is made
    // (the kernel caps it at net.core.rmem_max).
    private const int ReceiveBuffer = 4 * 1024 * 1024;

    private readonly DhcpServerOptions _options;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly TimeProvider _time;
    private readonly FaultPlan<DhcpFault> _faults;
    private readonly Lock _gate = new();
    // Keyed by address; one entry per address in use, offered or declined. Changed only
    // through SetLease and RemoveLease, which keep the indexes below in step.
    private readonly Dictionary<IPAddress, DhcpLeaseRecord> _leases = [];
    // The addresses of each client's records (by client identifier, else by chaddr; RFC 2131 §4.2),
    // so that finding a client's lease does not scan the table.
    private readonly Dictionary<string, List<IPAddress>> _byClient = new(StringComparer.Ordinal);
    // Pool addresses known to be free below or above _nextUntouched: released, forgotten or expired.
    private readonly SortedSet<uint> _freed = [];
    // Every record set, by expiry: when one is due, its address joins _freed (if still that record).
    private readonly PriorityQueue<DhcpLeaseRecord, DateTimeOffset> _expiries = new();
    // Reservations by client identifier and by MAC, first one wins as in the option list's order.
    private readonly Dictionary<string, DhcpReservation> _reservedById = new(StringComparer.Ordinal);
    private readonly Dictionary<PhysicalAddress, DhcpReservation> _reservedByMac = [];
    private readonly HashSet<uint> _reservedAddresses = [];
    private readonly uint _poolStart;
    private readonly uint _poolEnd;
    // The lowest pool address that may never have had a record: from it up, the first address
    // without a record (and not reserved) is free. Past the pool end when the pool is used up.
    private ulong _nextUntouched;
    private readonly UdpServerLoop _udp;
    // CommonOptions, by reply type and whether it carries a lease; read and written under _gate.
    private readonly Dictionary<int, ImmutableArray<DhcpOptionValue>> _commonOptions = [];

    public EmbeddedDhcpServer(DhcpServerOptions options, IEventSink events, string eventSource, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        if (ToUInt32(options.PoolStart) > ToUInt32(options.PoolEnd))
        {
            throw new ArgumentException("PoolStart is after PoolEnd", nameof(options));
        }
        _options = options;
        _events = events;
        _source = eventSource;
        _time = timeProvider ?? TimeProvider.System;
        _faults = options.Faults.IsDefaultOrEmpty ? FaultPlan<DhcpFault>.None : new FaultPlan<DhcpFault>(options.Faults, options.FaultContext, options.FaultSeed);
        _poolStart = ToUInt32(options.PoolStart);
        _poolEnd = ToUInt32(options.PoolEnd);
        _nextUntouched = _poolStart;
        foreach (var r in options.Reservations)
        {
            if (r.ClientId is { } id)
            {
                _reservedById.TryAdd(DhcpFormat.Hex(id.AsSpan()), r);
            }
            if (r.Mac is { } mac)
            {
                _reservedByMac.TryAdd(mac, r);
            }
            if (r.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            {
                _reservedAddresses.Add(ToUInt32(r.Address));
            }
        }
        _udp = options.ReplyRouting == DhcpReplyRouting.ToSender
            ? new UdpServerLoop(MaxDatagram, (datagram, from) => Handle(datagram.Span, from)) { Sockets = options.Sockets, ReceiveBufferSize = ReceiveBuffer }
            : new UdpServerLoop(MaxDatagram, Route) { Sockets = options.Sockets, EnableBroadcast = true, ReceiveBufferSize = ReceiveBuffer };
    }

    /// <summary>The bound endpoint once started.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint?)_udp.Socket?.LocalEndPoint ?? throw new InvalidOperationException("the server is not started");

    /// <summary>A snapshot of the lease table.</summary>
    public IReadOnlyCollection<DhcpLeaseRecord> Leases
    {
        get { lock (_gate) { return [.. _leases.Values]; } }
    }

    /// <summary>Binds (e.g. 127.77.0.1:0) and starts answering; returns the bound endpoint.</summary>
    public Task<IPEndPoint> StartAsync(IPEndPoint bind, CancellationToken cancellationToken) => Task.FromResult(_udp.Start(bind, cancellationToken));

    /// <summary>Stops the receive loop and closes the socket.</summary>
    public ValueTask DisposeAsync() => _udp.DisposeAsync();

    /// <summary>Handles one datagram; the reply and where RFC 2131 §4.1 sends it, or null.</summary>
    private (byte[] Reply, IPEndPoint To)? Route(ReadOnlyMemory<byte> datagram, IPEndPoint from)
    {
        var reply = Handle(datagram.Span, from);
        if (reply is null)
        {
            return null;
        }
        if (ReplyDestination(reply, from) is not { } to)
        {
            _events.Record(_source, EventKinds.DhcpServerIgnored, $"reply not sent: giaddr {new IPAddress(reply.AsSpan(24, 4))} from {from} is no relay's address",
                ("from", from.ToString()), ("reason", "giaddr is not a unicast address"));
            return null;
        }
        return (reply, to);
    }

    /// <summary>
    /// RFC 2131 §4.1 ("If the 'giaddr' field in a DHCP message from a client is non-zero...");
    /// null when giaddr cannot be a relay's address (loopback, broadcast, multicast, 0/8): a
    /// forged giaddr must not turn the server against itself or the whole segment.
    /// </summary>
    internal static IPEndPoint? ReplyDestination(ReadOnlySpan<byte> reply, IPEndPoint from)
    {
        // The reply echoes the request's giaddr (offset 24) and ciaddr (offset 12) (RFC 2131 §2, table 1).
        var giaddr = new IPAddress(reply.Slice(24, 4));
        if (!giaddr.Equals(IPAddress.Any))
        {
            var first = reply[24];
            return first is 0 or 127 or >= 224 ? null : new IPEndPoint(giaddr, 67);
        }
        var nak = MessageTypeOf(reply) == DhcpMessageType.Nak;
        var ciaddr = new IPAddress(reply.Slice(12, 4));
        if (!nak && !ciaddr.Equals(IPAddress.Any))
        {
            if (reply[12] is 0 or 127 or >= 224)
            {
                return null;
            }
            return new IPEndPoint(ciaddr, from.Port == 0 ? 68 : from.Port);
        }
        return new IPEndPoint(IPAddress.Broadcast, 68);
    }

    /// <summary>
    /// Option 53 of a reply this server encoded (RFC 2132 §9.6), found by walking the options
    /// after the magic cookie (RFC 2131 §3) rather than decoding the whole message again for
    /// every reply; null when absent.
    /// </summary>
    internal static DhcpMessageType? MessageTypeOf(ReadOnlySpan<byte> reply)
    {
        const int optionsStart = DhcpMessage.FixedHeaderLength + 4;
        for (var i = optionsStart; i < reply.Length;)
        {
            var code = reply[i];
            if (code == (byte)DhcpOption.Pad)
            {
                i++;
                continue;
            }
            if (code == (byte)DhcpOption.End || i + 1 >= reply.Length)
            {
                return null;
            }
            var length = reply[i + 1];
            if (code == (byte)DhcpOption.MessageType && length == 1 && i + 2 < reply.Length)
            {
                return (DhcpMessageType)reply[i + 2];
            }
            i += 2 + length;
        }
        return null;
    }

    /// <summary>Handles one datagram; returns the reply bytes or null.</summary>
    private byte[]? Handle(ReadOnlySpan<byte> datagram, IPEndPoint from)
    {
        DhcpMessage request;
        try
        {
            request = DhcpMessage.Decode(datagram);
        }
        catch (ProtocolException ex)
        {
            _events.Record(_source, EventKinds.DhcpServerMalformed, $"malformed DHCP datagram from {from}: {ex.Message}",
                ("from", from.ToString()), ("length", datagram.Length), ("offset", ex.Offset), ("error", ex.Message));
            return null;
        }

        var clientId = request.GetRaw(DhcpOption.ClientIdentifier);
        var clientIdHex = clientId is { } id ? DhcpFormat.Hex(id.AsSpan()) : null;
        var fromText = from.ToString();
        // The message (the whole request described) is made when the timeline is read, not per packet,
        // from a copy of the datagram: one flat array to keep, not the decoded message's objects.
        var raw = datagram.ToArray();
        _events.Record(_source, EventKinds.DhcpServerReceived, new EventText(() => $"received {DhcpMessage.Decode(raw).Describe()} from {fromText}"),
            ("from", fromText),
            ("xid", Xid(request)),
            ("mac", Mac(request)),
            ("clientId", clientIdHex),
            ("type", request.MessageType),
            ("requested", SafeAddress(request, DhcpOption.RequestedIpAddress)?.ToString()),
            ("serverId", SafeAddress(request, DhcpOption.ServerIdentifier)?.ToString()),
            ("ciaddr", request.ClientAddress.ToString()));

        if (request.Operation != BootpOperation.Request)
        {
            return Ignore(request, "not a BOOTREQUEST");
        }
        var fault = request.MessageType is DhcpMessageType.Discover or DhcpMessageType.Request ? NextFault(request, from) : null;
        if (fault is { Kind: DhcpFaultKind.NoAnswer })
        {
            RecordFault(fault, request, from);
            WillNotAnswer(request, from, "injected fault: no answer");
            return null;
        }
        lock (_gate)
        {
            return request.MessageType switch
            {
                DhcpMessageType.Discover => Discover(request, clientIdHex, fault, from),
                DhcpMessageType.Request => Request(request, clientIdHex, fault, from),
                DhcpMessageType.Release => Release(request, clientIdHex),
                DhcpMessageType.Decline => Decline(request, clientIdHex),
                DhcpMessageType.Inform => Inform(request),
                null => Ignore(request, "no DHCP message type (plain BOOTP is not served)"),
                _ => Ignore(request, $"message type {request.MessageType} is not handled"),
            };
        }
    }

    // Counted per client and message type, so "the first REQUEST" means the first REQUEST
    // even after several DISCOVERs; a NAK means nothing for a DISCOVER.
    private DhcpFault? NextFault(DhcpMessage request, IPEndPoint from) =>
        _faults.IsEmpty
            ? null
            : _faults.Next(from, file: null, DhcpFormat.Hex(request.ClientMac.GetAddressBytes()) + request.MessageType,
                f => f.Kind != DhcpFaultKind.Nak || request.MessageType == DhcpMessageType.Request, request.ClientMac);

    private void RecordFault(DhcpFault fault, DhcpMessage request, IPEndPoint from) =>
        FaultEvents.Record(_events, _source, _faults, fault, from, request.ClientMac, null, null,
            ("xid", Xid(request)), ("mac", Mac(request)), ("type", request.MessageType));

    // RFC 2131 §4.3.1: choose an address and offer it.
    private byte[]? Discover(DhcpMessage request, string? clientIdHex, DhcpFault? fault, IPEndPoint from)
    {
        var reservation = FindReservation(request);
        var address = ChooseAddress(request, clientIdHex, reservation);
        if (address is null)
        {
            return Ignore(request, "address pool exhausted");
        }
        var lease = LeaseTime(reservation, fault);
        SetLease(new DhcpLeaseRecord(address, request.ClientMac, clientIdHex, DhcpLeaseState.Offered, _time.GetUtcNow() + lease));
        if (fault is not null)
        {
            RecordFault(fault, request, from);
        }
        return Reply(request, DhcpMessageType.Offer, address, reservation, EventKinds.DhcpServerOffered, clientIdHex, fault);
    }

    // RFC 2131 §4.3.2: SELECTING (server id present), INIT-REBOOT (requested address),
    // RENEWING/REBINDING (ciaddr).
    private byte[]? Request(DhcpMessage request, string? clientIdHex, DhcpFault? fault, IPEndPoint from)
    {
        var reservation = FindReservation(request);
        var serverId = SafeAddress(request, DhcpOption.ServerIdentifier);
        var requested = SafeAddress(request, DhcpOption.RequestedIpAddress)
            ?? (request.ClientAddress.Equals(IPAddress.Any) ? null : request.ClientAddress);
        if (serverId is not null && !serverId.Equals(_options.ServerAddress))
        {
            // The client chose another server: forget our offer.
            ForgetOffers(request, clientIdHex);
            return Ignore(request, $"client selected server {serverId}");
        }
        if (fault is { Kind: DhcpFaultKind.Nak })
        {
            // The client goes back to INIT (RFC 2131 §4.4.1): our offer is void.
            RecordFault(fault, request, from);
            ForgetOffers(request, clientIdHex);
            return Nak(request, clientIdHex, "injected fault");
        }
        if (requested is null)
        {
            return Nak(request, clientIdHex, "no requested address");
        }
        var ours = _leases.TryGetValue(requested, out var existing) && IsSameClient(existing, request, clientIdHex) && existing.State != DhcpLeaseState.Declined;
        if (!ours && serverId is null)
        {
            // INIT-REBOOT/RENEWING without a record: still ours if it is what we would give this client.
            ours = ChooseAddress(request, clientIdHex, reservation)?.Equals(requested) == true;
        }
        if (!ours)
        {
            return Nak(request, clientIdHex, $"{requested} is not leased to this client");
        }
        SetLease(new DhcpLeaseRecord(requested, request.ClientMac, clientIdHex, DhcpLeaseState.Bound, _time.GetUtcNow() + LeaseTime(reservation, fault)));
        if (fault is not null)
        {
            RecordFault(fault, request, from);
        }
        return Reply(request, DhcpMessageType.Ack, requested, reservation, EventKinds.DhcpServerAcked, clientIdHex, fault);
    }

    // RFC 2131 §4.3.4: the client gives the address back.
    private byte[]? Release(DhcpMessage request, string? clientIdHex)
    {
        if (_leases.TryGetValue(request.ClientAddress, out var lease) && IsSameClient(lease, request, clientIdHex) && lease.State != DhcpLeaseState.Declined)
        {
            RemoveLease(request.ClientAddress);
            _events.Record(_source, EventKinds.DhcpServerReleased, $"released {request.ClientAddress}",
                ("xid", Xid(request)), ("mac", Mac(request)), ("clientId", clientIdHex), ("type", "Release"), ("address", request.ClientAddress.ToString()));
            return null;
        }
        return Ignore(request, $"release of {request.ClientAddress}, which this client does not hold");
    }

    // RFC 2131 §4.3.3: the address is in use elsewhere; mark it and never offer it again.
    private byte[]? Decline(DhcpMessage request, string? clientIdHex)
    {
        var address = SafeAddress(request, DhcpOption.RequestedIpAddress);
        if (address is null)
        {
            return Ignore(request, "decline without a requested address");
        }
        SetLease(new DhcpLeaseRecord(address, new PhysicalAddress([]), null, DhcpLeaseState.Declined, DateTimeOffset.MaxValue));
        _events.Record(_source, EventKinds.DhcpServerReleased, $"declined {address}: marked unusable",
            ("xid", Xid(request)), ("mac", Mac(request)), ("clientId", clientIdHex), ("type", "Decline"), ("address", address.ToString()));
        return null;
    }

    // RFC 2131 §4.3.5: configuration only, no yiaddr and no lease time.
    private byte[]? Inform(DhcpMessage request) =>
        Reply(request, DhcpMessageType.Ack, null, FindReservation(request), EventKinds.DhcpServerAcked, request.GetRaw(DhcpOption.ClientIdentifier) is { } id ? DhcpFormat.Hex(id.AsSpan()) : null);

    private byte[] Nak(DhcpMessage request, string? clientIdHex, string reason)
    {
        // RFC 2131 §4.3.2 / table 3: DHCPNAK carries 53, 54 and optionally 56.
        ImmutableArray<DhcpOptionValue> options =
        [
            DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Nak),
            DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, _options.ServerAddress),
            DhcpOptionValue.FromString(DhcpOption.Message, reason),
        ];
        var reply = BaseReply(request) with { Options = options };
        var mac = Mac(request);
        _events.Record(_source, EventKinds.DhcpServerNaked, $"NAK to {mac}: {reason}",
            ("xid", Xid(request)), ("mac", Mac(request)), ("clientId", clientIdHex), ("type", "Nak"),
            ("reason", reason), ("options", Describe(options)));
        return reply.Encode();
    }

    private byte[] Reply(DhcpMessage request, DhcpMessageType type, IPAddress? address, DhcpReservation? reservation, string kind, string? clientIdHex, DhcpFault? fault = null)
    {
        var options = reservation is null && fault is null
            ? CommonOptions(type, includeLease: address is not null)
            : BuildOptions(type, reservation, includeLease: address is not null, fault);
        var reply = BaseReply(request) with
        {
            YourAddress = address ?? IPAddress.Any,
            ClientAddress = type == DhcpMessageType.Ack && address is null ? request.ClientAddress : IPAddress.Any,
            Options = options,
        };
        var mac = Mac(request);
        var yiaddr = reply.YourAddress.ToString();
        // Message and option list made when the timeline is read: both only read immutable values.
        _events.Record(_source, kind, new EventText(() => $"{type.ToString().ToUpperInvariant()} {(address is null ? "(inform)" : yiaddr)} to {mac}"),
            ("xid", Xid(request)),
            ("mac", mac),
            ("clientId", clientIdHex),
            ("type", type),
            ("yiaddr", yiaddr),
            ("hostname", reservation?.HostName),
            ("options", new EventText(() => Describe(options))));
        return reply.Encode();
    }

    private DhcpMessage BaseReply(DhcpMessage request) => new()
    {
        // RFC 2131 §4.3.1 table 3: xid, flags, giaddr and chaddr from the client; siaddr is us.
        Operation = BootpOperation.Reply,
        HardwareType = request.HardwareType,
        HardwareAddressLength = request.HardwareAddressLength,
        TransactionId = request.TransactionId,
        Broadcast = request.Broadcast,
        RelayAgentAddress = request.RelayAgentAddress,
        ClientHardwareAddress = request.ClientHardwareAddress,
        NextServerAddress = _options.ServerAddress,
    };

    // The options of a reply to a client without a reservation and without a fault depend on its
    // type only: made once per type (they are immutable), not per packet.
    private ImmutableArray<DhcpOptionValue> CommonOptions(DhcpMessageType type, bool includeLease)
    {
        var key = ((int)type * 2) + (includeLease ? 1 : 0);
        if (!_commonOptions.TryGetValue(key, out var options))
        {
            options = BuildOptions(type, null, includeLease, null);
            _commonOptions[key] = options;
        }
        return options;
    }

    private ImmutableArray<DhcpOptionValue> BuildOptions(DhcpMessageType type, DhcpReservation? reservation, bool includeLease, DhcpFault? fault)
    {
        var list = new List<DhcpOptionValue>
        {
            DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type),
            DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, _options.ServerAddress),
        };
        if (includeLease)
        {
            // RFC 2131 §4.4.5 defaults: T1 = 0.5 and T2 = 0.875 of the lease.
            var lease = (uint)Math.Min(uint.MaxValue, LeaseTime(reservation, fault).TotalSeconds);
            list.Add(DhcpOptionValue.FromUInt32(DhcpOption.LeaseTime, lease));
            list.Add(DhcpOptionValue.FromUInt32(DhcpOption.RenewalTime, lease / 2));
            list.Add(DhcpOptionValue.FromUInt32(DhcpOption.RebindingTime, (uint)(lease * 7UL / 8)));
        }
        list.Add(DhcpOptionValue.FromAddress(DhcpOption.SubnetMask, _options.SubnetMask));
        if (_options.Router is { } router)
        {
            list.Add(DhcpOptionValue.FromAddress(DhcpOption.Router, router));
        }
        if (!_options.DnsServers.IsDefaultOrEmpty)
        {
            list.Add(DhcpOptionValue.FromAddresses(DhcpOption.DomainNameServer, _options.DnsServers));
        }
        if (_options.DomainName is { } domain)
        {
            list.Add(DhcpOptionValue.FromString(DhcpOption.DomainName, domain));
        }
        if (reservation?.HostName is { } host)
        {
            list.Add(DhcpOptionValue.FromString(DhcpOption.HostName, host));
        }
        // POAP needs 66/150 and 67 whether or not the client listed them in option 55.
        if ((reservation?.TftpServerName ?? _options.TftpServerName) is { } tftpName)
        {
            list.Add(DhcpOptionValue.FromString(DhcpOption.TftpServerName, tftpName));
        }
        if ((reservation?.TftpServerAddress ?? _options.TftpServerAddress) is { } tftpAddress)
        {
            list.Add(DhcpOptionValue.FromAddress(DhcpOption.TftpServerAddress, tftpAddress));
        }
        if ((reservation?.BootfileName ?? _options.BootfileName) is { } bootfile)
        {
            list.Add(DhcpOptionValue.FromString(DhcpOption.BootfileName, bootfile));
        }
        foreach (var extra in _options.ExtraOptions.Concat(reservation is null ? [] : reservation.ExtraOptions))
        {
            var index = list.FindIndex(o => o.Code == extra.Code);
            if (index >= 0)
            {
                list[index] = extra;
            }
            else
            {
                list.Add(extra);
            }
        }
        if (fault is { Kind: DhcpFaultKind.OmitOptions })
        {
            // Message type and server identifier stay: without them it is no DHCP reply at all.
            list.RemoveAll(o => o.Code is not (DhcpOption.MessageType or DhcpOption.ServerIdentifier) && fault.Options.Contains((byte)o.Code));
        }
        return [.. list];
    }

    private DhcpReservation? FindReservation(DhcpMessage request)
    {
        if (_reservedById.Count > 0 && request.GetRaw(DhcpOption.ClientIdentifier) is { } id && _reservedById.TryGetValue(DhcpFormat.Hex(id.AsSpan()), out var byId))
        {
            return byId;
        }
        return _reservedByMac.Count == 0 ? null : _reservedByMac.GetValueOrDefault(request.ClientMac);
    }

    private IPAddress? ChooseAddress(DhcpMessage request, string? clientIdHex, DhcpReservation? reservation)
    {
        var now = _time.GetUtcNow();
        if (reservation is not null)
        {
            return reservation.Address;
        }
        // Keep what this client already has.
        if (_byClient.TryGetValue(RequestKey(request, clientIdHex), out var held))
        {
            IPAddress? kept = null;
            var valid = 0;
            foreach (var address in held)
            {
                var lease = _leases[address];
                if (lease.State != DhcpLeaseState.Declined && lease.Expires > now && IsSameClient(lease, request, clientIdHex))
                {
                    kept ??= lease.Address;
                    valid++;
                }
            }
            if (valid > 1)
            {
                // Rare (an INIT-REBOOT beside an offer): the table's own order decides, as it always has.
                kept = _leases.Values.First(l => l.State != DhcpLeaseState.Declined && l.Expires > now && IsSameClient(l, request, clientIdHex)).Address;
            }
            if (kept is not null)
            {
                return kept;
            }
        }
        // The lowest free pool address that is nobody's reservation: the lowest of those freed
        // again, or the first one never used, whichever comes first.
        CollectExpired(now);
        while (_nextUntouched <= _poolEnd && (_reservedAddresses.Contains((uint)_nextUntouched) || _leases.ContainsKey(FromUInt32((uint)_nextUntouched))))
        {
            _nextUntouched++;
        }
        if (_freed.Count > 0 && _freed.Min < _nextUntouched)
        {
            return FromUInt32(_freed.Min);
        }
        return _nextUntouched <= _poolEnd ? FromUInt32((uint)_nextUntouched) : null;
    }

    private void ForgetOffers(DhcpMessage request, string? clientIdHex)
    {
        if (!_byClient.TryGetValue(RequestKey(request, clientIdHex), out var held))
        {
            return;
        }
        foreach (var address in held.Where(a => _leases[a] is { State: DhcpLeaseState.Offered } l && IsSameClient(l, request, clientIdHex)).ToList())
        {
            RemoveLease(address);
        }
    }

    private void SetLease(DhcpLeaseRecord lease)
    {
        if (_leases.TryGetValue(lease.Address, out var previous))
        {
            Unindex(previous);
        }
        _leases[lease.Address] = lease;
        if (lease.State != DhcpLeaseState.Declined)
        {
            var key = LeaseKey(lease);
            if (!_byClient.TryGetValue(key, out var held))
            {
                _byClient[key] = held = [];
            }
            held.Add(lease.Address);
            _expiries.Enqueue(lease, lease.Expires);
            if (_expiries.Count > (4 * _leases.Count) + 1024)
            {
                // Superseded records wait in the queue until their expiry: rebuild it from the table.
                _expiries.Clear();
                foreach (var current in _leases.Values.Where(l => l.State != DhcpLeaseState.Declined))
                {
                    _expiries.Enqueue(current, current.Expires);
                }
            }
        }
        if (lease.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            _freed.Remove(ToUInt32(lease.Address));
        }
    }

    private void RemoveLease(IPAddress address)
    {
        if (_leases.Remove(address, out var previous))
        {
            Unindex(previous);
            MarkFree(address);
        }
    }

    private void Unindex(DhcpLeaseRecord lease)
    {
        if (lease.State != DhcpLeaseState.Declined && _byClient.TryGetValue(LeaseKey(lease), out var held))
        {
            held.Remove(lease.Address);
            if (held.Count == 0)
            {
                _byClient.Remove(LeaseKey(lease));
            }
        }
    }

    // Records whose time is up free their address; a record since replaced or removed does not.
    private void CollectExpired(DateTimeOffset now)
    {
        while (_expiries.TryPeek(out var lease, out var expires) && expires <= now)
        {
            _expiries.Dequeue();
            if (_leases.TryGetValue(lease.Address, out var current) && ReferenceEquals(current, lease))
            {
                MarkFree(lease.Address);
            }
        }
    }

    private void MarkFree(IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return;
        }
        var value = ToUInt32(address);
        if (value >= _poolStart && value <= _poolEnd && !_reservedAddresses.Contains(value))
        {
            _freed.Add(value);
        }
    }

    // The index key of a client as IsSameClient names it.
    private static string RequestKey(DhcpMessage request, string? clientIdHex) =>
        clientIdHex is not null ? "id:" + clientIdHex : "mac:" + DhcpFormat.Hex(ClientMacBytes(request));

    // The bytes of request.ClientMac, without the PhysicalAddress and its copies.
    private static ReadOnlySpan<byte> ClientMacBytes(DhcpMessage request) =>
        request.ClientHardwareAddress.AsSpan()[..Math.Min(request.HardwareAddressLength, request.ClientHardwareAddress.Length)];

    private static string LeaseKey(DhcpLeaseRecord lease) =>
        lease.ClientId is not null ? "id:" + lease.ClientId : "mac:" + DhcpFormat.Hex(lease.Mac.GetAddressBytes());

    // RFC 2131 §4.2: a client is named by its client identifier if it sends one, else by chaddr.
    private static bool IsSameClient(DhcpLeaseRecord lease, DhcpMessage request, string? clientIdHex) =>
        clientIdHex is not null ? lease.ClientId == clientIdHex : lease.ClientId is null && lease.Mac.Equals(request.ClientMac);

    private TimeSpan LeaseTime(DhcpReservation? reservation, DhcpFault? fault) =>
        fault is { Kind: DhcpFaultKind.ShortLease } ? fault.Lease : reservation?.LeaseTime ?? _options.LeaseTime;

    private byte[]? Ignore(DhcpMessage request, string reason)
    {
        _events.Record(_source, EventKinds.DhcpServerIgnored, $"ignored {request.MessageType?.ToString() ?? "BOOTP"} from {DhcpFormat.Mac(request.ClientMac)}: {reason}",
            ("xid", Xid(request)), ("mac", Mac(request)), ("type", request.MessageType?.ToString()), ("reason", reason));
        WillNotAnswer(request, null, reason);
        return null;
    }

    /// <summary>Tells the lab this server will not answer the request (another server on the segment still may).</summary>
    private void WillNotAnswer(DhcpMessage request, IPEndPoint? from, string reason) =>
        _options.FaultContext?.WillNotAnswer(new ServerSilence(_source, SilenceScope.Broadcast, from, request.ClientMac, reason));

    private static IPAddress? SafeAddress(DhcpMessage message, DhcpOption code)
    {
        try
        {
            return message.GetAddress(code);
        }
        catch (ProtocolException)
        {
            return null;
        }
    }

    private static string Xid(DhcpMessage message) => string.Create(10, message.TransactionId, static (chars, xid) =>
    {
        chars[0] = '0';
        chars[1] = 'x';
        xid.TryFormat(chars[2..], out _, "x8", System.Globalization.CultureInfo.InvariantCulture);
    });

    // DhcpFormat.Mac(request.ClientMac) (00:0c:29:1f:74:06), without the PhysicalAddress and the copies it makes.
    private static string Mac(DhcpMessage request)
    {
        var chaddr = request.ClientHardwareAddress;
        var length = ClientMacBytes(request).Length;
        if (length == 0)
        {
            return "";
        }
        return string.Create((3 * length) - 1, chaddr, (chars, bytes) =>
        {
            const string digits = "0123456789abcdef";
            for (var i = 0; i < chars.Length / 3 + 1; i++)
            {
                if (i > 0)
                {
                    chars[(3 * i) - 1] = ':';
                }
                chars[3 * i] = digits[bytes[i] >> 4];
                chars[(3 * i) + 1] = digits[bytes[i] & 0xf];
            }
        });
    }

    private static string Describe(IEnumerable<DhcpOptionValue> options) => string.Join(';', options.Select(o => o.ToString()));

    private static uint ToUInt32(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static IPAddress FromUInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
