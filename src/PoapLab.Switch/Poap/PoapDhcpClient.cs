using System.Collections.Immutable;
using System.Net;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Dhcp;
using PoapLab.Switch.Network;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Poap;

/// <summary>Where POAP fetches its script from, read off the chosen OFFER/ACK.</summary>
/// <param name="Server">The server as option 66/150 gives it (address or name).</param>
/// <param name="Port">A port from an <c>http://host:port</c> option 66, else null.</param>
/// <param name="ScriptName">Option 67, as given.</param>
/// <param name="OverHttp">Option 66 carried <c>http://</c>: the script comes over HTTP.</param>
public sealed record ScriptSource(string Server, int? Port, string ScriptName, bool OverHttp)
{
    /// <summary>Secure POAP's sub-options when the script comes from option 43/17's HTTPS URL, else null.</summary>
    public SecurePoapOptions? Secure { get; init; }

    /// <summary>The DHCP option <see cref="Secure"/> came in: 43 (DHCPv4) or 17 (DHCPv6).</summary>
    public int SecureOption { get; init; } = 43;

    /// <summary>The URL the switch logs.</summary>
    public string Url => $"{(Secure is not null ? "https" : OverHttp ? "http" : "tftp")}://{SwitchTransferService.UrlHost(Server)}{(Port is { } p ? ":" + p : "")}/{ScriptName.TrimStart('/')}";

    /// <summary>
    /// The script source of usable Secure POAP options: their URL must be an absolute <c>https://</c>
    /// URL with a host (the guide's HTTPS server); null with the reason otherwise.
    /// </summary>
    public static ScriptSource? FromSecure(SecurePoapOptions options, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(options);
        problem = options.Missing;
        if (problem is not null)
        {
            return null;
        }
        if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || uri.AbsolutePath.Length < 2)
        {
            problem = $"the url sub-option '{options.Url}' is not an https:// URL of a file";
            return null;
        }
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host;
        return new ScriptSource(host, uri.IsDefaultPort ? null : uri.Port, Uri.UnescapeDataString(uri.AbsolutePath), OverHttp: true) { Secure = options };
    }
}

/// <summary>The result of POAP's DHCP phase.</summary>
public sealed record DhcpPhaseResult(DhcpLease? Lease, ScriptSource? Script, string? Failure);

/// <summary>
/// POAP's DHCPv4 client (the DHCP discovery phase of Cisco's NX-OS Fundamentals Configuration Guide, "Using PowerOn Auto Provisioning"): broadcasts DISCOVER with client id 0x00+serial,
/// user class <c>Cisco-POAP</c> and the POAP parameter list; takes the first OFFER that
/// names a script server and a script and leases at least an hour; REQUEST, ACK.
/// </summary>
public sealed class PoapDhcpClient
{
    private static readonly byte[] ParameterList = [1, 3, 6, 12, 15, 51, 66, 67, 150];
    private readonly ISwitchNetwork _network;
    private readonly SimClock _clock;
    private readonly IEventSink _events;
    private readonly SwitchLog _log;
    private readonly string _source;
    private readonly SwitchState _state;
    private readonly PoapSettings _settings;
    private readonly Random _random;
    private readonly PoapDhcp6Client? _dhcp6;

    public PoapDhcpClient(ISwitchNetwork network, SimClock clock, IEventSink events, SwitchLog log, string source, SwitchState state, PoapSettings settings, Random random)
    {
        _network = network;
        _clock = clock;
        _events = events;
        _log = log;
        _source = source;
        _state = state;
        _settings = settings;
        _random = random;
        _dhcp6 = settings.Ipv6 ? new PoapDhcp6Client(network, clock, events, log, source, state, settings, random) : null;
    }

    /// <summary>The client identifier POAP sends: 0x00 then the serial in ASCII.</summary>
    public ImmutableArray<byte> ClientId => [0, .. Encoding.ASCII.GetBytes(_state.Identity.Serial)];

    /// <summary>
    /// Runs DHCP discovery for one attempt: DISCOVER → OFFER → REQUEST → ACK, and between
    /// DISCOVERs a DHCPv6 SOLICIT round, as the switch tries IPv4 and IPv6 in turn.
    /// </summary>
    public async Task<DhcpPhaseResult> AcquireAsync(int attempt, CancellationToken cancellationToken)
    {
        await using var socket = await _network.OpenUdpAsync(68, cancellationToken).ConfigureAwait(false);
        var timeout = _settings.DhcpFirstTimeout;
        string? lastRejection = null;
        for (int tryNo = 1; tryNo <= _settings.DiscoverTries; tryNo++)
        {
            var xid = (uint)_random.NextInt64(0, uint.MaxValue);
            var discover = Build(DhcpMessageType.Discover, xid, requested: null, serverId: null);
            await socket.SendAsync(discover.Encode(), new IPEndPoint(IPAddress.Broadcast, 67), cancellationToken).ConfigureAwait(false);
            _events.Record(_source, EventKinds.DhcpDiscoverSent, $"DHCPDISCOVER on {_settings.Interface} (xid 0x{xid:x8})",
                ("attempt", attempt), ("try", tryNo), ("xid", $"0x{xid:x8}"), ("interface", _settings.Interface),
                ("client_id", Convert.ToHexString(ClientId.AsSpan()).ToLowerInvariant()), ("user_class", _state.Features.PoapUserClass ? "Cisco-POAP" : null));

            var deadline = _clock.Elapsed + timeout;
            var restarted = false;
            while (_clock.Elapsed < deadline)
            {
                var message = await ReceiveAsync(socket, xid, SimClock.Remaining(deadline, _clock.Elapsed), cancellationToken).ConfigureAwait(false);
                if (message is null)
                {
                    break;
                }
                if (message.Value.Message.MessageType != DhcpMessageType.Offer)
                {
                    continue;
                }
                var (offer, from) = message.Value;
                ReportSecure(offer, from.Address, attempt);
                var rejection = Qualify(offer);
                var offered = offer.YourAddress;
                if (rejection is not null)
                {
                    lastRejection = $"the OFFER from {from.Address} {Explain(rejection)}";
                    _log.PoapInfo($"Invalid DHCP OFFER: {rejection}");
                    _events.Record(_source, EventKinds.DhcpOfferRejected, $"OFFER from {from.Address} rejected: {rejection}",
                        ("attempt", attempt), ("server", from.Address), ("address", offered), ("reason", rejection), ("options", DescribeOptions(offer)),
                        ("next_server", NextServer(offer)), ("file", FileField(offer)), ("nul_terminated", NulTerminated(offer)));
                    continue;
                }
                _events.Record(_source, EventKinds.DhcpOfferReceived, $"OFFER of {offered} from {from.Address}",
                    ("attempt", attempt), ("server", from.Address), ("address", offered), ("options", DescribeOptions(offer)),
                    ("next_server", NextServer(offer)), ("file", FileField(offer)), ("nul_terminated", NulTerminated(offer)));
                var requested = await RequestAsync(socket, attempt, xid, offer, cancellationToken).ConfigureAwait(false);
                if (requested.Lease is not null)
                {
                    return requested;
                }
                // RFC 2131 §3.1 step 4, §4.4.1: after a NAK, or no ACK for the REQUESTs, the
                // client starts over with a DISCOVER.
                lastRejection = requested.Failure;
                restarted = true;
                break;
            }
            if (!restarted)
            {
                _events.Record(_source, EventKinds.DhcpTimeout, $"no usable OFFER within {timeout.TotalSeconds:0} s",
                    ("attempt", attempt), ("try", tryNo), ("waited_s", timeout.TotalSeconds));
            }
            if (_dhcp6 is not null)
            {
                var (v6, v6Rejection) = await _dhcp6.TryAsync(attempt, tryNo, timeout, cancellationToken).ConfigureAwait(false);
                if (v6 is not null)
                {
                    return v6;
                }
                lastRejection = v6Rejection ?? lastRejection;
            }
            timeout = timeout * 2 > TimeSpan.FromSeconds(64) ? TimeSpan.FromSeconds(64) : timeout * 2;
        }
        return new DhcpPhaseResult(null, null, lastRejection is null
            ? $"no DHCP server answered {_settings.DiscoverTries} DISCOVER(s){(_dhcp6 is null ? "" : " and SOLICIT(s)")}; the switch kept discovering"
            : $"{lastRejection}; the switch kept discovering");
    }

    /// <summary>What an offer's rejection (as the switch logs it) means, in plain words.</summary>
    public static string Explain(string rejection) => rejection switch
    {
        "Missing Script Server information" => "had neither option 66 (TFTP server name) nor option 150 (TFTP server address)",
        "Missing Script Name" => "had no option 67 (script name)",
        "Missing bootfile url, Option(59)" => "had no option 59 (bootfile URL)",
        "Missing Nexthop information, Option(242)" => "had no option 242 (next hop)",
        "Missing RT Prefix information, Option(243)" => "had no option 243 (route prefix)",
        _ when rejection.StartsWith("Lease time", StringComparison.Ordinal) => $"was refused: {rejection} (POAP needs at least an hour)",
        _ => $"was refused: {rejection}",
    };

    /// <summary>Sends DHCPRELEASE for the lease (after a failed attempt, as the POAP chapter of Cisco's Fundamentals guide says).</summary>
    public async Task ReleaseAsync(DhcpLease lease, CancellationToken cancellationToken)
    {
        await using var socket = await _network.OpenUdpAsync(68, cancellationToken).ConfigureAwait(false);
        var xid = (uint)_random.NextInt64(0, uint.MaxValue);
        var release = Build(DhcpMessageType.Release, xid, requested: null, serverId: lease.ServerIdentifier) with { ClientAddress = lease.Address };
        await socket.SendAsync(release.Encode(), new IPEndPoint(lease.ServerIdentifier, 67), cancellationToken).ConfigureAwait(false);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        _events.Record(_source, EventKinds.DhcpReleaseSent, $"DHCPRELEASE of {lease.Address} to {lease.ServerIdentifier}",
            ("address", lease.Address), ("server", lease.ServerIdentifier));
    }

    /// <summary>Why an OFFER does not qualify for POAP, or null when it does.</summary>
    public string? Qualify(DhcpMessage offer)
    {
        // Secure POAP (10.2(3)F+): usable option 43 sub-options name the script; 66/67 stay the fallback.
        if (SecureSource(offer, out _) is null)
        {
            if (!offer.Has(DhcpOption.TftpServerName) && !offer.Has(DhcpOption.TftpServerAddress))
            {
                return "Missing Script Server information";
            }
            if (string.IsNullOrEmpty(offer.GetString(DhcpOption.BootfileName)))
            {
                return "Missing Script Name";
            }
        }
        if (offer.GetUInt32(DhcpOption.LeaseTime) is { } lease && lease < _settings.MinimumLease.TotalSeconds)
        {
            return $"Lease time {lease} s is below the minimum of {_settings.MinimumLease.TotalSeconds:0} s";
        }
        return null;
    }

    private async Task<DhcpPhaseResult> RequestAsync(ILabUdpSocket socket, int attempt, uint xid, DhcpMessage offer, CancellationToken cancellationToken)
    {
        var serverId = offer.GetAddress(DhcpOption.ServerIdentifier);
        var request = Build(DhcpMessageType.Request, xid, offer.YourAddress, serverId).Encode();
        var timeout = _settings.DhcpRequestTimeout;
        for (int sent = 1; ; sent++)
        {
            await socket.SendAsync(request, new IPEndPoint(IPAddress.Broadcast, 67), cancellationToken).ConfigureAwait(false);
            _events.Record(_source, EventKinds.DhcpRequestSent, $"DHCPREQUEST for {offer.YourAddress}",
                ("attempt", attempt), ("address", offer.YourAddress), ("server", serverId), ("try", sent));
            var answer = await AwaitAckAsync(socket, attempt, xid, timeout, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                return answer;
            }
            if (sent == RequestTries)
            {
                return new DhcpPhaseResult(null, null, $"no DHCPACK was received for {RequestTries} REQUESTs for {offer.YourAddress}");
            }
            // RFC 2131 §4.4.1: retransmit with a doubled timeout.
            timeout *= 2;
        }
    }

    /// <summary>REQUESTs sent for one OFFER before the client starts over with a DISCOVER.</summary>
    private const int RequestTries = 3;

    /// <summary>The ACK (a lease), a NAK or a refused ACK (a failure), or null when the wait passed.</summary>
    private async Task<DhcpPhaseResult?> AwaitAckAsync(ILabUdpSocket socket, int attempt, uint xid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _clock.Elapsed + timeout;
        while (_clock.Elapsed < deadline)
        {
            var message = await ReceiveAsync(socket, xid, SimClock.Remaining(deadline, _clock.Elapsed), cancellationToken).ConfigureAwait(false);
            if (message is null)
            {
                break;
            }
            var (answer, from) = message.Value;
            if (answer.MessageType == DhcpMessageType.Nak)
            {
                var text = answer.GetString(DhcpOption.Message);
                _events.Record(_source, EventKinds.DhcpNakReceived, $"DHCPNAK from {from.Address}{(text is null ? "" : ": " + text)}",
                    ("attempt", attempt), ("server", from.Address), ("message", text));
                return new DhcpPhaseResult(null, null, $"the server {from.Address} answered the REQUEST with NAK");
            }
            if (answer.MessageType != DhcpMessageType.Ack)
            {
                continue;
            }
            // The ACK's options are what the switch goes on; a server may differ from its offer.
            var rejection = Qualify(answer);
            if (rejection is not null)
            {
                _log.PoapInfo($"Invalid DHCP ACK: {rejection}");
                _events.Record(_source, EventKinds.DhcpOfferRejected, $"ACK from {from.Address} rejected: {rejection}",
                    ("attempt", attempt), ("server", from.Address), ("reason", rejection), ("options", DescribeOptions(answer)),
                    ("next_server", NextServer(answer)), ("file", FileField(answer)), ("nul_terminated", NulTerminated(answer)));
                return new DhcpPhaseResult(null, null, rejection);
            }
            var lease = new DhcpLease(
                _settings.Interface, _settings.Vrf, answer.YourAddress,
                answer.GetAddress(DhcpOption.SubnetMask) ?? IPAddress.Parse("255.255.255.0"),
                answer.GetAddresses(DhcpOption.Router)?.FirstOrDefault(),
                answer.GetAddresses(DhcpOption.DomainNameServer) ?? [],
                answer.GetString(DhcpOption.DomainName),
                answer.GetString(DhcpOption.HostName),
                answer.GetAddress(DhcpOption.ServerIdentifier) ?? from.Address,
                TimeSpan.FromSeconds(answer.GetUInt32(DhcpOption.LeaseTime) ?? 86400));
            _events.Record(_source, EventKinds.DhcpAckReceived, $"DHCPACK: {lease.Address}/{lease.SubnetMask} from {from.Address}",
                ("attempt", attempt), ("server", from.Address), ("address", lease.Address), ("mask", lease.SubnetMask),
                ("gateway", lease.Gateway), ("hostname", lease.HostName), ("lease_s", (long)lease.LeaseTime.TotalSeconds), ("options", DescribeOptions(answer)),
                ("next_server", NextServer(answer)), ("file", FileField(answer)), ("nul_terminated", NulTerminated(answer)));
            return new DhcpPhaseResult(lease, ScriptSourceOf(answer), null);
        }
        return null;
    }

    /// <summary>
    /// The script source of the message's option 43 on a release with Secure POAP, or null: no
    /// option 43, an older release (it ignores the option), or options it cannot use
    /// (<paramref name="problem"/> says why).
    /// </summary>
    public ScriptSource? SecureSource(DhcpMessage message, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(message);
        problem = null;
        if (!_state.Features.SecurePoap || message.GetRaw(DhcpOption.VendorSpecific) is not { } raw)
        {
            return null;
        }
        if (!SecurePoapOptions.TryDecode(raw.AsSpan(), SecurePoapFamily.Ipv4, out var options, out problem))
        {
            return null;
        }
        return ScriptSource.FromSecure(options!, out problem);
    }

    /// <summary>Logs, once per OFFER, an option 43 the switch cannot use: it falls back to options 66/67.</summary>
    private void ReportSecure(DhcpMessage offer, IPAddress from, int attempt)
    {
        if (SecureSource(offer, out var problem) is not null || problem is null)
        {
            return;
        }
        _log.PoapInfo($"Secure POAP: invalid option 43 ({problem}); using options 66/67 if present");
        _events.Record(_source, EventKinds.SecurePoapInvalid, $"option 43 from {from} unusable: {problem}",
            ("attempt", attempt), ("server", from), ("option", 43), ("reason", problem));
    }

    private ScriptSource ScriptSourceOf(DhcpMessage ack)
    {
        if (SecureSource(ack, out _) is { } secure)
        {
            return secure;
        }
        var name = ack.GetString(DhcpOption.BootfileName)!;
        var option66 = ack.GetString(DhcpOption.TftpServerName);
        if (option66 is not null && option66.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = option66["http://".Length..].TrimEnd('/');
            var colon = rest.LastIndexOf(':');
            int? port = colon > 0 && int.TryParse(rest[(colon + 1)..], out var p) ? p : null;
            return new ScriptSource(port is null ? rest : rest[..colon], port, name, OverHttp: true);
        }
        // Option 150 carries an address; option 66 a name or address. The address wins.
        var server = ack.GetAddress(DhcpOption.TftpServerAddress)?.ToString() ?? option66!;
        return new ScriptSource(server, null, name, OverHttp: false);
    }

    private Task<(DhcpMessage Message, IPEndPoint From)?> ReceiveAsync(ILabUdpSocket socket, uint xid, TimeSpan timeout, CancellationToken cancellationToken) =>
        DhcpReceive.NextAsync(socket, _clock, _events, _source, "DHCPv4", b => DhcpMessage.Decode(b),
            m => m.Operation == BootpOperation.Reply && m.TransactionId == xid &&
                 m.ClientHardwareAddress.AsSpan(0, 6).SequenceEqual(_state.Identity.SystemMac.GetAddressBytes()),
            timeout, cancellationToken);

    private DhcpMessage Build(DhcpMessageType type, uint xid, IPAddress? requested, IPAddress? serverId)
    {
        var chaddr = new byte[16];
        _state.Identity.SystemMac.GetAddressBytes().CopyTo(chaddr, 0);
        var options = ImmutableArray.CreateBuilder<DhcpOptionValue>();
        options.Add(DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type));
        options.Add(DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, ClientId.AsSpan()));
        if (requested is not null)
        {
            options.Add(DhcpOptionValue.FromAddress(DhcpOption.RequestedIpAddress, requested));
        }
        if (serverId is not null)
        {
            options.Add(DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, serverId));
        }
        if (type != DhcpMessageType.Release)
        {
            // Option 77 (NxosFeatures.PoapUserClass), sent as the bare string, as
            // ISC dhcpd configurations match it (`option user-class = "Cisco-POAP"`).
            if (_state.Features.PoapUserClass)
            {
                options.Add(DhcpOptionValue.FromString(DhcpOption.UserClass, "Cisco-POAP"));
            }
            options.Add(DhcpOptionValue.FromBytes(DhcpOption.ParameterRequestList, ParameterList));
        }
        return new DhcpMessage
        {
            Operation = BootpOperation.Request,
            TransactionId = xid,
            Broadcast = true,
            ClientHardwareAddress = [.. chaddr],
            Options = options.ToImmutable(),
        };
    }

    /// <summary>The BOOTP next-server field (siaddr), or null when zero: POAP reads options 66/150, not it.</summary>
    private static IPAddress? NextServer(DhcpMessage m) => m.NextServerAddress.Equals(IPAddress.Any) ? null : m.NextServerAddress;

    /// <summary>The BOOTP file field, or null when empty: POAP reads option 67, not it.</summary>
    private static string? FileField(DhcpMessage m) => string.IsNullOrEmpty(m.BootFileName) ? null : m.BootFileName;

    /// <summary>
    /// The text options (66, 67) whose value ends in a NUL byte, e.g. <c>67</c>, or null: the
    /// switch reads them without it (RFC 2132 §2: options are not NUL-terminated).
    /// </summary>
    private static string? NulTerminated(DhcpMessage m)
    {
        var codes = new[] { DhcpOption.TftpServerName, DhcpOption.BootfileName }
            .Where(c => m.GetRaw(c) is { Length: > 0 } raw && raw[^1] == 0)
            .Select(c => ((byte)c).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        return codes.Count == 0 ? null : string.Join(',', codes);
    }

    private static string DescribeOptions(DhcpMessage m)
    {
        var parts = new List<string>();
        foreach (var o in m.Options)
        {
            var value = o.Code switch
            {
                DhcpOption.TftpServerName or DhcpOption.BootfileName or DhcpOption.HostName or DhcpOption.DomainName => m.GetString(o.Code),
                DhcpOption.TftpServerAddress or DhcpOption.ServerIdentifier or DhcpOption.SubnetMask or DhcpOption.Router => string.Join(',', m.GetAddresses(o.Code) ?? []),
                DhcpOption.LeaseTime => m.GetUInt32(o.Code)?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
            parts.Add(value is null ? ((byte)o.Code).ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{(byte)o.Code}={value}");
        }
        return string.Join(';', parts);
    }
}
