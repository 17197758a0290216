using System.Net;
using PoapLab.Core.Events;
using PoapLab.Protocols.Dhcp6;

namespace PoapLab.Servers.Dhcp6;

public sealed partial class EmbeddedDhcp6Server
{
    // Bounds the pool scan so a /64 pool cannot make one Solicit walk 2^64 addresses.
    private const int MaxPoolScan = 1 << 16;

    // RFC 8415 §16.2, §18.3.1, §18.3.9: choose addresses and advertise them (or, with Rapid
    // Commit, bind them and reply at once).
    private byte[]? Solicit(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (client is null)
        {
            return Ignore(request, "Solicit without a Client Identifier (RFC 8415 §16.2)");
        }
        if (request.Has(Dhcp6Option.ServerId))
        {
            return Ignore(request, "Solicit with a Server Identifier (RFC 8415 §16.2)");
        }
        var rapid = request.RapidCommit && _options.RapidCommit;
        var state = rapid ? Dhcp6LeaseState.Bound : Dhcp6LeaseState.Advertised;
        var reservation = FindReservation(client);
        var ias = new List<Dhcp6OptionValue>();
        var assigned = new List<IPAddress>();
        foreach (var ia in request.IaNa)
        {
            var address = ChooseAddress(client, ia, reservation, assigned);
            if (address is null)
            {
                ias.Add(IaWithStatus(Dhcp6Option.IaNa, ia.Iaid, Dhcp6StatusCode.NoAddrsAvail, "address pool exhausted"));
                continue;
            }
            Record(address, client, ia.Iaid, state);
            assigned.Add(address);
            ias.Add(IaNaFor(ia.Iaid, address));
        }
        ias.AddRange(Unsupported(request));
        if (request.IaNa.Count > 0 && assigned.Count == 0)
        {
            // §18.3.1: only a NoAddrsAvail status with the two identifiers.
            return Send(request, Dhcp6MessageType.Advertise, EventKinds.Dhcp6ServerAdvertised, client,
                [Dhcp6OptionValue.FromDuid(Dhcp6Option.ServerId, ServerDuid), Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, client), Dhcp6OptionValue.Status(Dhcp6StatusCode.NoAddrsAvail, "address pool exhausted")],
                Dhcp6StatusCode.NoAddrsAvail);
        }
        var options = Standard(client, ias);
        if (rapid)
        {
            // §18.3.1 / §21.14: a Reply that commits carries Rapid Commit.
            options.Add(Dhcp6OptionValue.Empty(Dhcp6Option.RapidCommit));
        }
        options.AddRange(Configuration(reservation));
        return Send(request, rapid ? Dhcp6MessageType.Reply : Dhcp6MessageType.Advertise,
            rapid ? EventKinds.Dhcp6ServerReplied : EventKinds.Dhcp6ServerAdvertised, client, options, null);
    }

    // RFC 8415 §16.4, §18.3.2: bind what the client asks for (normally what we advertised).
    private byte[]? Request(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (CheckOurs(request, client) is { } reason)
        {
            return Ignore(request, reason);
        }
        var reservation = FindReservation(client!);
        var ias = new List<Dhcp6OptionValue>();
        var assigned = new List<IPAddress>();
        foreach (var ia in request.IaNa)
        {
            var address = ChooseAddress(client!, ia, reservation, assigned);
            if (address is null)
            {
                ias.Add(IaWithStatus(Dhcp6Option.IaNa, ia.Iaid, Dhcp6StatusCode.NoAddrsAvail, "address pool exhausted"));
                continue;
            }
            Record(address, client!, ia.Iaid, Dhcp6LeaseState.Bound);
            assigned.Add(address);
            ias.Add(IaNaFor(ia.Iaid, address));
        }
        ias.AddRange(Unsupported(request));
        var options = Standard(client!, ias);
        options.AddRange(Configuration(reservation));
        return Send(request, Dhcp6MessageType.Reply, EventKinds.Dhcp6ServerReplied, client!, options, null);
    }

    // RFC 8415 §16.6, §18.3.4: extend the bindings this server holds.
    private byte[]? Renew(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (CheckOurs(request, client) is { } reason)
        {
            return Ignore(request, reason);
        }
        return Extend(request, client!);
    }

    // RFC 8415 §16.7, §18.3.5: like Renew, but to any server, so no Server Identifier.
    private byte[]? Rebind(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (client is null)
        {
            return Ignore(request, "Rebind without a Client Identifier (RFC 8415 §16.7)");
        }
        if (request.Has(Dhcp6Option.ServerId))
        {
            return Ignore(request, "Rebind with a Server Identifier (RFC 8415 §16.7)");
        }
        return Extend(request, client);
    }

    private byte[] Extend(Dhcp6Message request, Dhcp6Duid client)
    {
        var ias = new List<Dhcp6OptionValue>();
        foreach (var ia in request.IaNa)
        {
            var lease = FindBinding(client, ia.Iaid);
            if (lease is null)
            {
                ias.Add(IaWithStatus(Dhcp6Option.IaNa, ia.Iaid, Dhcp6StatusCode.NoBinding, $"no binding for IA_NA {ia.Iaid}"));
                continue;
            }
            Record(lease.Address, client, ia.Iaid, Dhcp6LeaseState.Bound);
            // §18.3.4: addresses the client lists that are not in the binding go back with lifetimes 0.
            var stale = ia.Addresses.Where(a => !a.Address.Equals(lease.Address))
                .Select(a => Dhcp6OptionValue.IaAddress(a.Address, 0, 0));
            ias.Add(IaNaFor(ia.Iaid, lease.Address, stale));
        }
        ias.AddRange(Unsupported(request));
        var options = Standard(client, ias);
        var reservation = FindReservation(client);
        options.AddRange(Configuration(reservation));
        return Send(request, Dhcp6MessageType.Reply, EventKinds.Dhcp6ServerReplied, client, options, null)!;
    }

    // RFC 8415 §16.5, §18.3.3: are the client's addresses on this link (inside the pool or a reservation)?
    private byte[]? Confirm(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (client is null)
        {
            return Ignore(request, "Confirm without a Client Identifier (RFC 8415 §16.5)");
        }
        if (request.Has(Dhcp6Option.ServerId))
        {
            return Ignore(request, "Confirm with a Server Identifier (RFC 8415 §16.5)");
        }
        var addresses = request.IaNa.SelectMany(ia => ia.Addresses).Select(a => a.Address).ToList();
        if (addresses.Count == 0)
        {
            return Ignore(request, "Confirm without addresses (RFC 8415 §18.3.3: no reply)");
        }
        var onLink = addresses.All(OnLink);
        var status = onLink ? Dhcp6StatusCode.Success : Dhcp6StatusCode.NotOnLink;
        var options = Standard(client, []);
        options.Add(Dhcp6OptionValue.Status(status, onLink ? "addresses on link" : "address not on this link"));
        return Send(request, Dhcp6MessageType.Reply, EventKinds.Dhcp6ServerReplied, client, options, status);
    }

    // RFC 8415 §16.9, §18.3.7: free the addresses; NoBinding for IAs we do not know.
    private byte[]? Release(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (CheckOurs(request, client) is { } reason)
        {
            return Ignore(request, reason);
        }
        var ias = new List<Dhcp6OptionValue>();
        foreach (var ia in request.IaNa)
        {
            var released = false;
            foreach (var address in ia.Addresses)
            {
                if (_leases.TryGetValue(address.Address, out var lease) && lease.ClientDuid == client!.Hex && lease.Iaid == ia.Iaid && lease.State != Dhcp6LeaseState.Declined)
                {
                    _leases.Remove(address.Address);
                    released = true;
                    _events.Record(_source, EventKinds.Dhcp6ServerReleased, $"released {address.Address}",
                        ("xid", Dhcp6Format.Xid(request.TransactionId)), ("clientDuid", client.Hex), ("iaid", ia.Iaid), ("type", "Release"), ("address", address.Address.ToString()));
                }
            }
            if (!released)
            {
                ias.Add(IaWithStatus(Dhcp6Option.IaNa, ia.Iaid, Dhcp6StatusCode.NoBinding, $"no binding for IA_NA {ia.Iaid}"));
            }
        }
        var options = Standard(client!, ias);
        options.Add(Dhcp6OptionValue.Status(Dhcp6StatusCode.Success, "released"));
        return Send(request, Dhcp6MessageType.Reply, EventKinds.Dhcp6ServerReplied, client!, options, Dhcp6StatusCode.Success);
    }

    // RFC 8415 §16.8, §18.3.8: the addresses are in use elsewhere; never hand them out again.
    private byte[]? Decline(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (CheckOurs(request, client) is { } reason)
        {
            return Ignore(request, reason);
        }
        var ias = new List<Dhcp6OptionValue>();
        foreach (var ia in request.IaNa)
        {
            var declined = false;
            foreach (var address in ia.Addresses)
            {
                if (_leases.TryGetValue(address.Address, out var lease) && lease.ClientDuid == client!.Hex && lease.Iaid == ia.Iaid)
                {
                    _leases[address.Address] = new Dhcp6LeaseRecord(address.Address, "", 0, Dhcp6LeaseState.Declined, DateTimeOffset.MaxValue);
                    declined = true;
                    _events.Record(_source, EventKinds.Dhcp6ServerDeclined, $"declined {address.Address}: marked unusable",
                        ("xid", Dhcp6Format.Xid(request.TransactionId)), ("clientDuid", client.Hex), ("iaid", ia.Iaid), ("type", "Decline"), ("address", address.Address.ToString()));
                }
            }
            if (!declined)
            {
                ias.Add(IaWithStatus(Dhcp6Option.IaNa, ia.Iaid, Dhcp6StatusCode.NoBinding, $"no binding for IA_NA {ia.Iaid}"));
            }
        }
        var options = Standard(client!, ias);
        options.Add(Dhcp6OptionValue.Status(Dhcp6StatusCode.Success, "declined"));
        return Send(request, Dhcp6MessageType.Reply, EventKinds.Dhcp6ServerReplied, client!, options, Dhcp6StatusCode.Success);
    }

    // RFC 8415 §16.12, §18.3.6: configuration only, no IA.
    private byte[]? InformationRequest(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (request.ServerId is { } serverId && !serverId.Equals(ServerDuid))
        {
            return Ignore(request, $"Information-request for server {serverId.Hex}");
        }
        if (request.Has(Dhcp6Option.IaNa) || request.Has(Dhcp6Option.IaTa) || request.Has(Dhcp6Option.IaPd))
        {
            return Ignore(request, "Information-request with an IA option (RFC 8415 §16.12)");
        }
        var options = new List<Dhcp6OptionValue> { Dhcp6OptionValue.FromDuid(Dhcp6Option.ServerId, ServerDuid) };
        if (client is not null)
        {
            options.Add(Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, client));
        }
        options.AddRange(Configuration(client is null ? null : FindReservation(client)));
        return Send(request, Dhcp6MessageType.Reply, EventKinds.Dhcp6ServerReplied, client, options, null);
    }

    /// <summary>§16.4, §16.6, §16.8, §16.9: a Client Identifier and our Server Identifier are required.</summary>
    private string? CheckOurs(Dhcp6Message request, Dhcp6Duid? client)
    {
        if (client is null)
        {
            return $"{request.MessageType} without a Client Identifier";
        }
        if (request.ServerId is not { } serverId)
        {
            return $"{request.MessageType} without a Server Identifier";
        }
        if (!serverId.Equals(ServerDuid))
        {
            // The client chose another server: forget what we advertised to it.
            foreach (var lease in _leases.Values.Where(l => l.State == Dhcp6LeaseState.Advertised && l.ClientDuid == client.Hex).ToList())
            {
                _leases.Remove(lease.Address);
            }
            return $"{request.MessageType} for server {serverId.Hex}";
        }
        return null;
    }

    private byte[] Send(Dhcp6Message request, Dhcp6MessageType type, string kind, Dhcp6Duid? client, List<Dhcp6OptionValue> options, Dhcp6StatusCode? status)
    {
        // §18.3: the reply carries the transaction id of the message it answers.
        var reply = new Dhcp6Message { MessageType = type, TransactionId = request.TransactionId, Options = [.. options] };
        var addresses = Addresses(reply);
        _events.Record(_source, kind, $"{type} {(addresses.Length == 0 ? "(no address)" : addresses)} for {request.MessageType} xid {Dhcp6Format.Xid(request.TransactionId)}",
            ("xid", Dhcp6Format.Xid(request.TransactionId)),
            ("clientDuid", client?.Hex),
            ("type", type.ToString()),
            ("answers", request.MessageType.ToString()),
            ("address", addresses),
            ("status", (status ?? reply.IaNa.Select(ia => ia.Status?.Code).FirstOrDefault(s => s is not null))?.ToString()),
            ("rapidCommit", reply.RapidCommit),
            ("options", Describe(options)));
        return reply.Encode();
    }

    private List<Dhcp6OptionValue> Standard(Dhcp6Duid client, IEnumerable<Dhcp6OptionValue> ias)
    {
        // §18.3.9 / §18.3.10: Server Identifier and Client Identifier, then the IAs.
        var list = new List<Dhcp6OptionValue>
        {
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ServerId, ServerDuid),
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, client),
        };
        list.AddRange(ias);
        return list;
    }

    /// <summary>POAP needs 59, 242 and 243 whether or not the client asked for them in option 6.</summary>
    private List<Dhcp6OptionValue> Configuration(Dhcp6Reservation? reservation)
    {
        var list = new List<Dhcp6OptionValue>();
        if ((reservation?.BootfileUrl ?? _options.BootfileUrl) is { } url)
        {
            list.Add(Dhcp6OptionValue.FromString(Dhcp6Option.BootfileUrl, url));
        }
        if (_options.NextHop is { } nextHop)
        {
            list.Add(Dhcp6OptionValue.NextHop(nextHop));
        }
        if (_routePrefix is { } route)
        {
            list.Add(Dhcp6OptionValue.RoutePrefix(route));
        }
        if (!_options.DnsServers.IsDefaultOrEmpty)
        {
            list.Add(Dhcp6OptionValue.FromAddresses(Dhcp6Option.DnsServers, _options.DnsServers));
        }
        foreach (var extra in _options.ExtraOptions.IsDefault ? [] : _options.ExtraOptions)
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
        return list;
    }

    private Dhcp6OptionValue IaNaFor(uint iaid, IPAddress address, IEnumerable<Dhcp6OptionValue>? more = null)
    {
        var preferred = Seconds(_options.PreferredLifetime);
        var valid = Seconds(_options.ValidLifetime);
        // §21.4: recommended T1 and T2 are 0.5 and 0.8 times the shortest preferred lifetime.
        return Dhcp6OptionValue.IaNa(iaid, preferred / 2, (uint)(preferred * 4UL / 5),
            [Dhcp6OptionValue.IaAddress(address, preferred, valid), .. more ?? []]);
    }

    private static Dhcp6OptionValue IaWithStatus(Dhcp6Option kind, uint iaid, Dhcp6StatusCode code, string message) =>
        Dhcp6OptionValue.Ia(kind, iaid, 0, 0, [Dhcp6OptionValue.Status(code, message)]);

    // This server hands out non-temporary addresses only: temporary addresses and prefixes are refused per IA.
    private static IEnumerable<Dhcp6OptionValue> Unsupported(Dhcp6Message request) =>
        request.IdentityAssociations(Dhcp6Option.IaTa).Select(ia => IaWithStatus(Dhcp6Option.IaTa, ia.Iaid, Dhcp6StatusCode.NoAddrsAvail, "no temporary addresses"))
            .Concat(request.IdentityAssociations(Dhcp6Option.IaPd).Select(ia => IaWithStatus(Dhcp6Option.IaPd, ia.Iaid, Dhcp6StatusCode.NoPrefixAvail, "no prefix delegation")));

    private void Record(IPAddress address, Dhcp6Duid client, uint iaid, Dhcp6LeaseState state)
    {
        _leases[address] = new Dhcp6LeaseRecord(address, client.Hex, iaid, state, _time.GetUtcNow() + _options.ValidLifetime);
    }

    private Dhcp6LeaseRecord? FindBinding(Dhcp6Duid client, uint iaid)
    {
        var now = _time.GetUtcNow();
        return _leases.Values.FirstOrDefault(l => l.ClientDuid == client.Hex && l.Iaid == iaid && l.State != Dhcp6LeaseState.Declined && l.Expires > now);
    }

    private IPAddress? ChooseAddress(Dhcp6Duid client, Dhcp6IdentityAssociation ia, Dhcp6Reservation? reservation, List<IPAddress> alreadyThisMessage)
    {
        // Keep what this IA already has.
        if (FindBinding(client, ia.Iaid) is { } existing)
        {
            return existing.Address;
        }
        if (reservation is not null && !alreadyThisMessage.Contains(reservation.Address) && Free(reservation.Address, client, ia.Iaid))
        {
            return reservation.Address;
        }
        var reserved = Reservations.Select(r => r.Address).ToHashSet();
        // §18.3.1: the client's hint in IA Address is honoured when it is ours to give.
        foreach (var hint in ia.Addresses.Select(a => a.Address))
        {
            if (InPool(hint) && !reserved.Contains(hint) && !alreadyThisMessage.Contains(hint) && Free(hint, client, ia.Iaid))
            {
                return hint;
            }
        }
        var start = ToUInt128(_options.PoolStart);
        var end = ToUInt128(_options.PoolEnd);
        for (var (a, scanned) = (start, 0); a <= end && scanned < MaxPoolScan; a++, scanned++)
        {
            var candidate = FromUInt128(a);
            if (!reserved.Contains(candidate) && !alreadyThisMessage.Contains(candidate) && Free(candidate, client, ia.Iaid))
            {
                return candidate;
            }
            if (a == UInt128.MaxValue)
            {
                break;
            }
        }
        return null;
    }

    // Free: unknown, run out, or already this very IA's (declined addresses never are).
    private bool Free(IPAddress address, Dhcp6Duid client, uint iaid) =>
        !_leases.TryGetValue(address, out var lease)
        || (lease.State != Dhcp6LeaseState.Declined && (lease.Expires <= _time.GetUtcNow() || (lease.ClientDuid == client.Hex && lease.Iaid == iaid)));

    private bool InPool(IPAddress address)
    {
        var value = ToUInt128(address);
        return value >= ToUInt128(_options.PoolStart) && value <= ToUInt128(_options.PoolEnd);
    }

    private bool OnLink(IPAddress address) => InPool(address) || Reservations.Any(r => r.Address.Equals(address));

    private Dhcp6Reservation? FindReservation(Dhcp6Duid client)
    {
        foreach (var r in Reservations)
        {
            if (r.ClientDuid is { } wanted && wanted.AsSpan().SequenceEqual(client.Bytes.AsSpan()))
            {
                return r;
            }
        }
        var mac = client.LinkLayerAddress;
        return mac is null ? null : Reservations.FirstOrDefault(r => r.Mac is not null && r.Mac.Equals(mac));
    }

    private static uint Seconds(TimeSpan span) => (uint)Math.Clamp(span.TotalSeconds, 0, uint.MaxValue);
}
