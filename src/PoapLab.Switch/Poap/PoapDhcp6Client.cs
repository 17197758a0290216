using System.Net;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Switch.Network;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Poap;

/// <summary>
/// POAP's DHCPv6 client (RFC 8415; options 59, 242, 243 as Cisco's NX-OS Fundamentals Configuration Guide, "Using PowerOn Auto Provisioning" lists them): SOLICIT to All_DHCP_Relay_Agents_and_Servers
/// with a DUID-LL from the switch MAC, takes the first ADVERTISE that carries a bootfile URL
/// (option 59, RFC 5970), a next hop (242) and a route prefix (243), REQUEST, REPLY.
/// </summary>
public sealed class PoapDhcp6Client
{
    private static readonly Dhcp6Option[] Requested = [Dhcp6Option.BootfileUrl, Dhcp6Option.DnsServers, Dhcp6Option.NextHop, Dhcp6Option.RoutePrefix];
    private readonly ISwitchNetwork _network;
    private readonly SimClock _clock;
    private readonly IEventSink _events;
    private readonly SwitchLog _log;
    private readonly string _source;
    private readonly SwitchState _state;
    private readonly PoapSettings _settings;
    private readonly Random _random;

    public PoapDhcp6Client(ISwitchNetwork network, SimClock clock, IEventSink events, SwitchLog log, string source, SwitchState state, PoapSettings settings, Random random)
    {
        _network = network;
        _clock = clock;
        _events = events;
        _log = log;
        _source = source;
        _state = state;
        _settings = settings;
        _random = random;
    }

    private Dhcp6Duid Duid => Dhcp6Duid.FromMac(_state.Identity.SystemMac);

    /// <summary>One SOLICIT round: waits <paramref name="timeout"/> for a usable ADVERTISE, then REQUEST/REPLY.</summary>
    public async Task<(DhcpPhaseResult? Result, string? Rejection)> TryAsync(int attempt, int tryNo, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var socket = await _network.OpenUdpAsync(546, cancellationToken).ConfigureAwait(false);
        var xid = (uint)_random.Next(0, 1 << 24);
        var iaid = BitConverter.ToUInt32(_state.Identity.SystemMac.GetAddressBytes().AsSpan(2, 4));
        var solicit = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.Solicit,
            TransactionId = xid,
            Options =
            [
                Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, Duid),
                Dhcp6OptionValue.FromUInt16(Dhcp6Option.ElapsedTime, 0),
                Dhcp6OptionValue.IaNa(iaid, 0, 0),
                Dhcp6OptionValue.OptionRequest(Requested),
                Dhcp6OptionValue.OpaqueList(Dhcp6Option.UserClass, [[.. "Cisco-POAP"u8]]),
            ],
        };
        await socket.SendAsync(solicit.Encode(), new IPEndPoint(LabAddressMap.AllDhcpServers, 547), cancellationToken).ConfigureAwait(false);
        _events.Record(_source, EventKinds.Dhcp6SolicitSent, $"DHCPv6 SOLICIT on {_settings.Interface} (xid 0x{xid:x6})",
            ("attempt", attempt), ("try", tryNo), ("xid", $"0x{xid:x6}"), ("duid", Duid.Hex));

        string? rejection = null;
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            var answer = await ReceiveAsync(socket, xid, SimClock.Remaining(deadline, _clock.Elapsed), cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                break;
            }
            var (advertise, from) = answer.Value;
            if (advertise.MessageType is not (Dhcp6MessageType.Advertise or Dhcp6MessageType.Reply))
            {
                continue;
            }
            ReportSecure(advertise, from.Address, attempt);
            var why = QualifyFor(advertise);
            if (why is not null)
            {
                rejection = $"the ADVERTISE from {from.Address} {PoapDhcpClient.Explain(why)}";
                _log.PoapInfo($"Invalid DHCPv6 ADVERTISE: {why}");
                _events.Record(_source, EventKinds.DhcpOfferRejected, $"ADVERTISE from {from.Address} rejected: {why}",
                    ("attempt", attempt), ("server", from.Address), ("reason", why), ("family", "ipv6"));
                continue;
            }
            var offered = advertise.IaNa.SelectMany(ia => ia.Addresses).FirstOrDefault()?.Address;
            _events.Record(_source, EventKinds.DhcpOfferReceived, $"ADVERTISE of {offered} from {from.Address}",
                ("attempt", attempt), ("server", from.Address), ("address", offered), ("family", "ipv6"), ("bootfile_url", advertise.BootfileUrl));
            var reply = advertise.MessageType == Dhcp6MessageType.Reply
                ? advertise
                : await RequestAsync(socket, attempt, xid, advertise, cancellationToken).ConfigureAwait(false);
            if (reply is null)
            {
                return (new DhcpPhaseResult(null, null, "no DHCPv6 REPLY was received for the REQUEST"), null);
            }
            return (Lease(reply, from.Address, attempt), null);
        }
        return (null, rejection);
    }

    /// <summary>Why an ADVERTISE does not qualify for POAP (the texts the switch logs), or null.</summary>
    public static string? Qualify(Dhcp6Message advertise)
    {
        if (advertise.Status is { Code: not Dhcp6StatusCode.Success } status)
        {
            return $"Status {status.Code}: {status.Message}";
        }
        if (string.IsNullOrEmpty(advertise.BootfileUrl))
        {
            return "Missing bootfile url, Option(59)";
        }
        if (advertise.NextHop is null)
        {
            return "Missing Nexthop information, Option(242)";
        }
        if (advertise.RoutePrefix is null)
        {
            return "Missing RT Prefix information, Option(243)";
        }
        return null;
    }

    /// <summary>
    /// As <see cref="Qualify"/> for this switch: on a release with Secure POAP, usable option 17
    /// sub-options stand in for option 59 (242 and 243 still route the switch).
    /// </summary>
    public string? QualifyFor(Dhcp6Message advertise)
    {
        ArgumentNullException.ThrowIfNull(advertise);
        var why = Qualify(advertise);
        if (why != "Missing bootfile url, Option(59)" || SecureSource(advertise, out _) is null)
        {
            return why;
        }
        return advertise.NextHop is null ? "Missing Nexthop information, Option(242)"
            : advertise.RoutePrefix is null ? "Missing RT Prefix information, Option(243)"
            : null;
    }

    /// <summary>The script source of option 17 (enterprise 9) on a release with Secure POAP, or null (<paramref name="problem"/> says why when it is there but unusable).</summary>
    public ScriptSource? SecureSource(Dhcp6Message message, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(message);
        problem = null;
        if (!_state.Features.SecurePoap || message.GetRaw(Dhcp6Option.VendorOpts) is not { } raw)
        {
            return null;
        }
        if (!SecurePoapOptions.TryDecode(raw.AsSpan(), SecurePoapFamily.Ipv6, out var options, out problem))
        {
            return null;
        }
        return ScriptSource.FromSecure(options!, out problem) is { } source ? source with { SecureOption = 17 } : null;
    }

    private void ReportSecure(Dhcp6Message advertise, IPAddress from, int attempt)
    {
        if (SecureSource(advertise, out var problem) is not null || problem is null)
        {
            return;
        }
        _log.PoapInfo($"Secure POAP: invalid option 17 ({problem}); using option 59 if present");
        _events.Record(_source, EventKinds.SecurePoapInvalid, $"option 17 from {from} unusable: {problem}",
            ("attempt", attempt), ("server", from), ("option", 17), ("reason", problem), ("family", "ipv6"));
    }

    private async Task<Dhcp6Message?> RequestAsync(ILabUdpSocket socket, int attempt, uint xid, Dhcp6Message advertise, CancellationToken cancellationToken)
    {
        var request = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.Request,
            TransactionId = xid,
            Options =
            [
                Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, Duid),
                Dhcp6OptionValue.FromDuid(Dhcp6Option.ServerId, advertise.ServerId!),
                Dhcp6OptionValue.FromUInt16(Dhcp6Option.ElapsedTime, 0),
                .. advertise.Options.Where(o => o.Code == Dhcp6Option.IaNa),
                Dhcp6OptionValue.OptionRequest(Requested),
            ],
        };
        await socket.SendAsync(request.Encode(), new IPEndPoint(LabAddressMap.AllDhcpServers, 547), cancellationToken).ConfigureAwait(false);
        _events.Record(_source, EventKinds.DhcpRequestSent, "DHCPv6 REQUEST", ("attempt", attempt), ("family", "ipv6"));
        var answer = await ReceiveAsync(socket, xid, _settings.DhcpRequestTimeout, cancellationToken).ConfigureAwait(false);
        return answer is { Message.MessageType: Dhcp6MessageType.Reply } a ? a.Message : null;
    }

    private DhcpPhaseResult Lease(Dhcp6Message reply, IPAddress server, int attempt)
    {
        var address = reply.IaNa.SelectMany(ia => ia.Addresses).FirstOrDefault();
        if (address is null)
        {
            return new DhcpPhaseResult(null, null, $"the DHCPv6 REPLY from {server} assigned no address");
        }
        var secure = SecureSource(reply, out _);
        var url = secure?.Url ?? reply.BootfileUrl ?? "";
        var lease = new DhcpLease(_settings.Interface, _settings.Vrf, address.Address, IPAddress.IPv6Any, reply.NextHop,
            reply.DnsServers ?? [], null, null, server, TimeSpan.FromSeconds(address.ValidLifetime));
        _events.Record(_source, EventKinds.DhcpAckReceived, $"DHCPv6 REPLY: {address.Address} from {server}",
            ("attempt", attempt), ("server", server), ("address", address.Address), ("family", "ipv6"), ("bootfile_url", url));
        var script = secure ?? ScriptSourceOf(url);
        return script is null
            ? new DhcpPhaseResult(null, null, $"the bootfile URL '{url}' (option 59) is not a tftp:// or http:// URL")
            : new DhcpPhaseResult(lease, script, null);
    }

    /// <summary><c>tftp://[2001:db8::1]/poap.py</c> or <c>http://[...]:port/x</c> as a script source.</summary>
    public static ScriptSource? ScriptSourceOf(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("tftp" or "http"))
        {
            return null;
        }
        return new ScriptSource(uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port < 0 ? null : uri.Port, uri.AbsolutePath.TrimStart('/'), uri.Scheme == "http");
    }

    private Task<(Dhcp6Message Message, IPEndPoint From)?> ReceiveAsync(ILabUdpSocket socket, uint xid, TimeSpan timeout, CancellationToken cancellationToken) =>
        DhcpReceive.NextAsync(socket, _clock, _events, _source, "DHCPv6", b => Dhcp6Message.Decode(b),
            m => m.TransactionId == xid && m.ClientId is { } client && client.Equals(Duid),
            timeout, cancellationToken);
}
