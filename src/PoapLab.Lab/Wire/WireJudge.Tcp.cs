using System.Net;

namespace PoapLab.Lab.Wire;

public sealed partial class WireJudge
{
    private readonly Dictionary<(IPAddress ClientAddress, ushort ClientPort, IPAddress ServerAddress, ushort ServerPort), TcpFlow> _tcp = [];

    /// <summary>
    /// TCP from or to a switch: each direction reassembled (<see cref="TcpReassembler"/>);
    /// a connection whose first bytes are an HTTP request is read as HTTP/1.x (RFC 9112):
    /// the GET's path and <c>X-Vendor-*</c> headers, the response's status and length, and
    /// the body bytes seen against that length. Other connections (HTTPS, SCP/SFTP, FTP) are
    /// reported by port and bytes only: their content is not judged.
    /// </summary>
    private void ObserveTcp(WireFrame frame, ReadOnlySpan<byte> payload, in ParsedFrame p)
    {
        if (p.Source is null || p.Destination is null || ClientOf(in p, out var fromClient) is not { } client)
        {
            return;
        }
        var key = fromClient ? (p.Source, p.SourcePort, p.Destination, p.DestinationPort) : (p.Destination, p.DestinationPort, p.Source, p.SourcePort);
        var syn = (p.TcpFlags & FrameParser.TcpSyn) != 0;
        if (!_tcp.TryGetValue(key, out var flow))
        {
            if (!syn && payload.IsEmpty)
            {
                return;
            }
            if (_tcp.Count >= _options.MaxFlows)
            {
                _flowsLeftOut++;
                return;
            }
            flow = new TcpFlow(this, client, key.Item3, key.Item4);
            _tcp[key] = flow;
        }
        flow.Frame = frame;
        if (client.Current is { Ending: null } attempt)
        {
            attempt.LastActivity = frame.Time;
        }
        var stream = fromClient ? flow.ToServer : flow.ToClient;
        if (syn)
        {
            stream.Syn(p.Sequence);
        }
        stream.Segment(p.Sequence, payload);
        if ((p.TcpFlags & (FrameParser.TcpFin | FrameParser.TcpRst)) != 0)
        {
            var reset = (p.TcpFlags & FrameParser.TcpRst) != 0;
            flow.Close(frame, reset, byServer: !fromClient);
            if (reset || flow.BothClosed)
            {
                _tcp.Remove(key);
            }
        }
    }

    /// <summary>One TCP connection of a switch, with its HTTP exchanges.</summary>
    private sealed class TcpFlow
    {
        private readonly WireJudge _judge;
        private readonly Client _client;
        private readonly IPAddress _server;
        private readonly ushort _port;
        private readonly HttpHeadReader _requests = new();
        private readonly HttpHeadReader _responses = new();
        private readonly Queue<(Download Download, bool Head)> _waiting = new();
        private Download? _body;
        private bool? _http;
        private bool _clientClosed;
        private bool _serverClosed;
        private bool _reported;

        public TcpFlow(WireJudge judge, Client client, IPAddress server, ushort port)
        {
            _judge = judge;
            _client = client;
            _server = server;
            _port = port;
            ToServer = new TcpReassembler(FromClient);
            ToClient = new TcpReassembler(FromServer);
        }

        public TcpReassembler ToServer { get; }

        public TcpReassembler ToClient { get; }

        public WireFrame Frame { get; set; }

        public bool BothClosed => _clientClosed && _serverClosed;

        private void FromClient(ReadOnlySpan<byte> bytes)
        {
            _http ??= HttpHeadReader.LooksLikeRequest(bytes);
            if (_http != true)
            {
                return;
            }
            _requests.Feed(bytes, OnRequest, _ => { });
        }

        private long OnRequest(string head)
        {
            if (HttpHeadReader.ParseRequest(head) is not { } request)
            {
                _requests.Stop("not an HTTP request");
                return 0;
            }
            var path = Printable(request.Target);
            var d = _judge.AddDownload(_client, "http", _server, path, Frame);
            var vendor = request.Headers.Where(h => h.Key.StartsWith("X-Vendor-", StringComparison.OrdinalIgnoreCase)).Take(16).ToList();
            foreach (var (name, value) in vendor)
            {
                d.Details[Printable(name)] = Printable(value);
            }
            var head2 = string.Equals(request.Method, "HEAD", StringComparison.Ordinal);
            if (_waiting.Count < 64)
            {
                _waiting.Enqueue((d, head2));
            }
            var headers = vendor.Count == 0 ? "no X-Vendor-* headers" : string.Join(", ", vendor.Select(h => $"{Printable(h.Key)}: {Printable(h.Value)}"));
            _judge.AddFact(_client, Frame, "http.get", $"HTTP {Printable(request.Method)} {path} to {_server}:{_port} ({headers}) [{d.Role}]");
            return request.Headers.TryGetValue("Content-Length", out var l) && long.TryParse(l, out var n) && n > 0 ? n : 0;
        }

        private void FromServer(ReadOnlySpan<byte> bytes)
        {
            if (_http != true)
            {
                return;
            }
            _responses.Feed(bytes, OnResponse, OnBody);
        }

        private long OnResponse(string head)
        {
            if (HttpHeadReader.ParseResponse(head) is not { } response)
            {
                _responses.Stop("not an HTTP response");
                return 0;
            }
            if (response.Status is >= 100 and < 200)
            {
                return 0;
            }
            if (!_waiting.TryDequeue(out var exchange))
            {
                return -1;
            }
            var d = exchange.Download;
            d.Status = response.Status;
            d.Expected = response.ContentLength;
            var length = response.ContentLength is { } cl ? $"Content-Length {cl}" : response.Chunked ? "chunked" : "no length";
            _judge.AddFact(_client, Frame, "http.response", $"HTTP {d.File}: {response.Status} {Printable(response.Reason)} ({length})");
            if (response.Status >= 400)
            {
                d.Error = $"HTTP {response.Status} {Printable(response.Reason)}";
            }
            var noBody = exchange.Head || response.Status is 204 or 304;
            if (noBody || response.ContentLength == 0)
            {
                Complete(d);
                return 0;
            }
            _body = d;
            if (response.ContentLength is { } n && !response.Chunked)
            {
                return n;
            }
            return -1;
        }

        private void OnBody(long count)
        {
            if (_body is not { } d)
            {
                return;
            }
            d.Bytes += count;
            d.EndFrame = Frame.Number;
            d.EndTime = Frame.Time;
            TouchAttempt(d, Frame);
            if (d.Expected is { } e && d.Bytes >= e)
            {
                Complete(d);
                _body = null;
            }
        }

        private void Complete(Download d)
        {
            d.Completed = d.Status is < 400;
            d.EndFrame = Frame.Number;
            d.EndTime = Frame.Time;
            TouchAttempt(d, Frame);
            if (d.Completed == true)
            {
                _judge.AddFact(_client, Frame, "http.complete", $"HTTP {d.File}: complete, {d.Bytes} bytes");
            }
        }

        public void Close(WireFrame frame, bool reset, bool byServer)
        {
            Frame = frame;
            if (byServer || reset)
            {
                _serverClosed = true;
                ToClient.Close();
                if (_body is { } d && d.Completed is null)
                {
                    if (d.Expected is null && !reset)
                    {
                        Complete(d); // a body delimited by the connection's close (RFC 9112 §6.3)
                    }
                    else
                    {
                        d.Completed = false;
                        d.Error ??= $"connection {(reset ? "reset" : "closed")} after {d.Bytes} of {(d.Expected is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?")} bytes";
                        d.EndFrame = frame.Number;
                        _judge.AddFact(_client, frame, "http.incomplete", $"HTTP {d.File}: {d.Error}");
                    }
                    _body = null;
                }
                while (_waiting.TryDequeue(out var unanswered))
                {
                    unanswered.Download.Completed = false;
                    unanswered.Download.Error ??= $"connection {(reset ? "reset" : "closed")} with no response";
                    _judge.AddFact(_client, frame, "http.incomplete", $"HTTP {unanswered.Download.File}: {unanswered.Download.Error}");
                }
            }
            if (!byServer || reset)
            {
                _clientClosed = true;
                ToServer.Close();
            }
            if (_http == false && !_reported && (BothClosed || reset))
            {
                _reported = true;
                var what = _port switch { 443 => "HTTPS", 22 => "SSH (scp/sftp)", 21 => "FTP control", _ => "TCP" };
                _judge.AddFact(_client, frame, "tcp.other",
                    $"{what} connection to {_server}:{_port}: {ToServer.Delivered} bytes sent, {ToClient.Delivered} bytes received (content not judged)");
            }
        }
    }
}
