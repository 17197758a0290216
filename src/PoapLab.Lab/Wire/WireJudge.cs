using System.Globalization;
using System.Net;
using PoapLab.Protocols;

namespace PoapLab.Lab.Wire;

/// <summary>
/// Reconstructs each switch's POAP from frames alone — a capture file (<see cref="CaptureFrames"/>)
/// or, frame by frame, a live device: DHCP (DISCOVER with client id, user class and parameter
/// list; OFFERs and the ACK the switch took, with options 66/150/67 and the lease time; NAKs,
/// RELEASEs), then the leased address's transfers (TFTP read requests and whether they
/// completed, HTTP GETs with their <c>X-Vendor-*</c> headers, status and length), a new
/// DISCOVER as a new attempt, silences, and the switch coming back (CDP, LLDP). Feed it
/// frames with <see cref="Observe"/>, then ask <see cref="Judge"/>. Every structure it keeps
/// is bounded (<see cref="WireJudgeOptions"/>); a frame it cannot take apart is counted and
/// skipped. Not thread-safe: one source feeds it.
/// </summary>
public sealed partial class WireJudge
{
    private readonly WireJudgeOptions _options;
    private readonly List<Client> _clients = [];
    private readonly Dictionary<ulong, Client> _byMac = [];
    private readonly Dictionary<IPAddress, Client> _byAddress = [];
    private readonly List<string> _notes = [];
    private long _frames;
    private long _undecodable;
    private long _switchesLeftOut;
    private long _flowsLeftOut;
    private DateTimeOffset? _start;
    private DateTimeOffset _last;
    private long _lastFrame;

    public WireJudge(WireJudgeOptions? options = null)
    {
        _options = options ?? new WireJudgeOptions();
    }

    /// <summary>Frames seen so far.</summary>
    public long Frames => _frames;

    /// <summary>Takes one frame into account.</summary>
    public void Observe(WireFrame frame)
    {
        _frames++;
        _start ??= frame.Time;
        if (frame.Time > _last)
        {
            _last = frame.Time;
        }
        _lastFrame = frame.Number;
        var bytes = frame.Data.Span;
        if (!FrameParser.TryParse(frame.LinkType, bytes, out var parsed))
        {
            _undecodable++;
            return;
        }
        try
        {
            Dispatch(frame, bytes, in parsed);
        }
        catch (ProtocolException)
        {
            _undecodable++;
        }
    }

    private void Dispatch(WireFrame frame, ReadOnlySpan<byte> bytes, in ParsedFrame p)
    {
        var payload = bytes.Slice(p.PayloadOffset, p.PayloadLength);
        if (p.EtherType == 0)
        {
            ObserveLlc(frame, payload, in p);
            return;
        }
        if (p.EtherType == LinkAnnouncementFrames.LldpEtherType)
        {
            ObserveLldp(frame, payload, in p);
            return;
        }
        if (p.Transport == FrameParser.Udp)
        {
            Touch(frame, in p);
            if (p.SourcePort is 67 or 68 && p.DestinationPort is 67 or 68)
            {
                ObserveDhcp(frame, payload, in p);
            }
            else
            {
                ObserveTftp(frame, payload, in p);
            }
        }
        else if (p.Transport == FrameParser.Tcp)
        {
            Touch(frame, in p);
            ObserveTcp(frame, payload, in p);
        }
    }

    /// <summary>The switch a frame comes from or goes to: by MAC, then by leased address.</summary>
    private Client? ClientOf(in ParsedFrame p, out bool fromClient)
    {
        fromClient = true;
        if (p.HasMac && _byMac.TryGetValue(p.SourceMac, out var c))
        {
            return c;
        }
        if (p.Source is { } s && _byAddress.TryGetValue(s, out c))
        {
            return c;
        }
        fromClient = false;
        if (p.HasMac && _byMac.TryGetValue(p.DestinationMac, out c))
        {
            return c;
        }
        return p.Destination is { } d && _byAddress.TryGetValue(d, out c) ? c : null;
    }

    /// <summary>Notes a long silence of the switch before this frame of its own.</summary>
    private void Touch(WireFrame frame, in ParsedFrame p)
    {
        if (ClientOf(in p, out var fromClient) is not { } client || !fromClient)
        {
            return;
        }
        if (client.LastSent is { } last && frame.Time - last >= _options.SilenceFact)
        {
            AddFact(client, frame, "silence", $"nothing from the switch for {Seconds(frame.Time - last)} s");
        }
        client.LastSent = frame.Time;
    }

    private Client? GetOrAddClient(ulong mac, WireFrame frame)
    {
        if (_byMac.TryGetValue(mac, out var client))
        {
            return client;
        }
        if (_clients.Count >= _options.MaxSwitches)
        {
            _switchesLeftOut++;
            return null;
        }
        client = new Client(mac) { FirstFrame = frame.Number };
        _clients.Add(client);
        _byMac[mac] = client;
        return client;
    }

    private void AddFact(Client client, WireFrame frame, string kind, string text)
    {
        if (client.Facts.Count >= _options.MaxFactsPerSwitch)
        {
            client.FactsOmitted++;
            return;
        }
        client.Facts.Add(new WireFact(frame.Number, frame.Time, kind, text));
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString(span.TotalSeconds < 10 ? "0.###" : "0.#", CultureInfo.InvariantCulture);

    /// <summary>A switch as the judge follows it.</summary>
    private sealed class Client(ulong mac)
    {
        public ulong Mac { get; } = mac;
        public string? Serial { get; set; }
        public string? UserClass { get; set; }
        public string? ParameterList { get; set; }
        public long FirstFrame { get; init; }
        public List<WireFact> Facts { get; } = [];
        public long FactsOmitted { get; set; }
        public List<Attempt> Attempts { get; } = [];
        public int AttemptsDropped { get; set; }
        public DateTimeOffset? LastSent { get; set; }
        public Announcement? Announced { get; set; }
        public long LastDiscoverFrame { get; set; }
        public Attempt? Current => Attempts.Count > 0 ? Attempts[^1] : null;
    }

    private sealed record Announcement(string Via, string? Hostname, string? Version, string? Platform, IPAddress? Address, long Frame, DateTimeOffset Time);

    private sealed record Offer(IPAddress Server, IPAddress Address, uint Xid, long? LeaseSeconds, bool HasScriptServer, bool HasScriptName, bool First, long Frame);

    /// <summary>One POAP attempt being followed.</summary>
    private sealed class Attempt(int number, long frame, DateTimeOffset time)
    {
        public int Number { get; } = number;
        public long StartFrame { get; } = frame;
        public DateTimeOffset StartTime { get; } = time;
        public int Discovers { get; set; }
        public List<Offer> Offers { get; } = [];
        public bool Requested { get; set; }
        public IPAddress? RequestedServer { get; set; }
        public IPAddress? AckServer { get; set; }
        public IPAddress? Address { get; set; }
        public long? LeaseSeconds { get; set; }
        public string? Script { get; set; }
        public string? ScriptServer { get; set; }
        public DateTimeOffset? AckTime { get; set; }
        public List<string> Naks { get; } = [];
        public List<Download> Downloads { get; } = [];
        public string? Ending { get; set; }
        public DateTimeOffset? EndTime { get; set; }
        public long EndFrame { get; set; }
        public DateTimeOffset? LastActivity { get; set; }
    }

    /// <summary>One download being followed.</summary>
    private sealed class Download(string protocol, IPAddress server, string file, string role, long frame, Attempt? attempt)
    {
        public string Protocol { get; } = protocol;
        public IPAddress Server { get; } = server;
        public string File { get; } = file;
        public string Role { get; } = role;
        public long Frame { get; } = frame;
        public Attempt? Attempt { get; } = attempt;
        public bool? Completed { get; set; }
        public long Bytes { get; set; }
        public long? Expected { get; set; }
        public string? Error { get; set; }
        public int? Status { get; set; }
        public long EndFrame { get; set; } = frame;
        public DateTimeOffset? EndTime { get; set; }
        public Dictionary<string, string> Details { get; } = new(StringComparer.OrdinalIgnoreCase);

        public WireDownload ToRecord() =>
            new(Protocol, Server, File, Role, Completed, Bytes, Expected, Error, Frame, EndFrame, Status) { Details = Details };
    }
}
