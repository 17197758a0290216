using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>Bounds and port of <see cref="SyslogReceiver"/>.</summary>
/// <param name="Port">The UDP port (default 514, RFC 5426; 0 for any free one: tests).</param>
/// <param name="MaxLineLength">Characters kept of a line (default 2048; RFC 5426 asks receivers to take at least 2048 octets).</param>
/// <param name="MaxLinesPerSwitch">Lines filed per sender at most (default 100,000).</param>
/// <param name="MaxTotalBytes">Bytes written over every sender at most (default 64 MiB).</param>
/// <param name="MaxSenders">Senders given a file of their own at most (default 256); the rest are counted.</param>
public sealed record SyslogReceiverOptions(int Port = 514, int MaxLineLength = 2048, int MaxLinesPerSwitch = 100_000, long MaxTotalBytes = 64L << 20, int MaxSenders = 256);

/// <summary>One syslog line taken apart (RFC 3164's BSD format, as NX-OS sends it, or RFC 5424).</summary>
/// <param name="Facility">The facility (PRI / 8), or null when the line has no PRI.</param>
/// <param name="Severity">The severity (PRI % 8), or null.</param>
/// <param name="Hostname">The HOSTNAME field, when the line has one (never used as a path: lines are filed by sender address).</param>
/// <param name="Message">The rest of the line.</param>
/// <param name="Rfc5424">Whether it is in RFC 5424's format (a version after the PRI).</param>
public sealed record SyslogLine(int? Facility, int? Severity, string? Hostname, string Message, bool Rfc5424)
{
    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>Takes a line apart; whatever does not fit the formats is kept whole as the message.</summary>
    public static SyslogLine Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        int? pri = null;
        var rest = line;
        // RFC 5424 §6.2.1 / RFC 3164 §4.1.1: "<" 1-3 digits ">" (0..191).
        if (line.StartsWith('<'))
        {
            var close = line.IndexOf('>', StringComparison.Ordinal);
            if (close is > 1 and <= 4 && int.TryParse(line.AsSpan(1, close - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p <= 191)
            {
                pri = p;
                rest = line[(close + 1)..];
            }
        }
        int? facility = pri / 8, severity = pri % 8;
        // RFC 5424 §6.2.2: VERSION "1", then TIMESTAMP HOSTNAME APP-NAME PROCID MSGID.
        if (pri is not null && rest.StartsWith("1 ", StringComparison.Ordinal))
        {
            var fields = rest.Split(' ', 7);
            if (fields.Length >= 3)
            {
                return new SyslogLine(facility, severity, fields[2] == "-" ? null : fields[2], fields.Length == 7 ? fields[6] : string.Join(' ', fields.Skip(3)), true);
            }
        }
        // RFC 3164 §4.1.2: TIMESTAMP "Mmm dd hh:mm:ss" then HOSTNAME. NX-OS sends "2026 Jan  1 00:00:00 host %FAC-..."
        // or its own ": 2026 Jan 1 ..." forms: when no timestamp is recognised the whole rest is the message.
        var words = rest.TrimStart(':', ' ').Split(' ', StringSplitOptions.None);
        var i = 0;
        if (i < words.Length && words[i].Length == 4 && words[i].All(char.IsAsciiDigit))
        {
            i++;
        }
        if (i < words.Length && Months.Contains(words[i]))
        {
            i++;
            while (i < words.Length && words[i].Length == 0)
            {
                i++;
            }
            if (i + 1 < words.Length && words[i].All(char.IsAsciiDigit) && words[i + 1].Count(c => c == ':') == 2)
            {
                i += 2;
                if (i < words.Length && words[i].Length > 0 && !words[i].StartsWith('%') && !words[i].EndsWith(':'))
                {
                    return new SyslogLine(facility, severity, words[i], string.Join(' ', words.Skip(i + 1)), false);
                }
                return new SyslogLine(facility, severity, null, string.Join(' ', words.Skip(i)), false);
            }
        }
        return new SyslogLine(facility, severity, null, rest, false);
    }
}

/// <summary>
/// Receives syslog over UDP (RFC 5426) on the lab address and files each line under the switch
/// that sent it: <c>OUT/&lt;switch&gt;/syslog.log</c>, the switch found by the address it
/// leased (the wire judge's attempts) and its serial or MAC in the scenario; a sender no
/// switch leased goes to <c>OUT/unknown-&lt;address&gt;/syslog.log</c>. Nothing in a datagram
/// (the HOSTNAME field included) ever names a file. Bounded: line length, lines per sender,
/// total bytes, senders; control characters and invalid UTF-8 are shown escaped.
/// </summary>
public sealed class SyslogReceiver : IServeObserver
{
    /// <summary>Lines taken from one datagram at most.</summary>
    public const int MaxLinesPerDatagram = 64;

    private readonly SyslogReceiverOptions _options;
    private readonly TextWriter _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Sender> _senders = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Dictionary<IPAddress, string> _byAddress = [];
    private ServeContext? _context;
    private Socket? _socket;
    private Task? _receive;
    private long _totalBytes;
    private long _dropped;
    private bool _totalSaid;

    /// <summary>Validates the bounds.</summary>
    public SyslogReceiver(SyslogReceiverOptions? options = null, TextWriter? log = null)
    {
        options ??= new SyslogReceiverOptions();
        if (options.Port is < 0 or > 65535 || options.MaxLineLength is < 64 or > 65536 || options.MaxLinesPerSwitch < 1 || options.MaxTotalBytes < 1024 || options.MaxSenders is < 1 or > 65536)
        {
            throw new ArgumentException("syslog: the port must be 0-65535, a line 64 to 65536 characters, and the other bounds positive", nameof(options));
        }
        _options = options;
        _log = log ?? TextWriter.Null;
    }

    /// <summary>The UDP port bound; 0 before the start.</summary>
    public int BoundPort => (_socket?.LocalEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>Lines not filed because a bound was reached.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Binds the lab address's UDP port; a port taken is an <see cref="InvalidOperationException"/>.</summary>
    public Task StartAsync(ServeContext context, CancellationToken cancellationToken)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        var socket = context.Sockets?.Create(context.ServerAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
            ?? new Socket(context.ServerAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(context.ServerAddress, _options.Port));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new InvalidOperationException($"syslog cannot listen on {context.ServerAddress} UDP port {_options.Port}: {e.Message}", e);
        }
        _socket = socket;
        _receive = ReceiveLoopAsync(socket, _stop.Token);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken)
    {
        Learn(report);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken)
    {
        Learn(report);
        lock (_gate)
        {
            foreach (var sender in _senders.Values)
            {
                if (sender.Dropped > 0 && sender.Writer is not null)
                {
                    Append(sender, $"[poaplab] {sender.Dropped} more lines not kept (bounds: {_options.MaxLinesPerSwitch} lines per switch, {_options.MaxTotalBytes} bytes in all)", force: true);
                }
                sender.Writer?.Flush();
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>Closes the socket and the files.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        _socket?.Dispose();
        if (_receive is not null)
        {
            await _receive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        lock (_gate)
        {
            foreach (var sender in _senders.Values)
            {
                sender.Writer?.Dispose();
                sender.Writer = null;
            }
        }
        _stop.Dispose();
    }

    /// <summary>Files one datagram as if it came from <paramref name="from"/> (the receive loop's step; tests call it directly).</summary>
    internal void Receive(IPAddress from, ReadOnlySpan<byte> datagram)
    {
        var text = Decode(datagram.TrimEnd((byte)0));
        var lines = text.Split('\n');
        var taken = 0;
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd('\r').Replace("\r", "\\x0d", StringComparison.Ordinal);
            if (line.Length == 0)
            {
                continue;
            }
            if (++taken > MaxLinesPerDatagram)
            {
                Interlocked.Increment(ref _dropped);
                continue;
            }
            FileLine(from, line);
        }
    }

    private void Learn(WireReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var expected = _context?.Switches ?? [];
        var map = new Dictionary<IPAddress, string>();
        foreach (var sw in report.Switches)
        {
            if (ServePhases.Match(sw, expected) is { } known)
            {
                foreach (var address in ServePhases.LeasedAddresses(sw))
                {
                    map[address] = known.Name; // a later lease of the address wins
                }
            }
        }
        Volatile.Write(ref _byAddress, map);
    }

    private void FileLine(IPAddress from, string line)
    {
        if (from.IsIPv4MappedToIPv6)
        {
            from = from.MapToIPv4();
        }
        var name = Volatile.Read(ref _byAddress).TryGetValue(from, out var known) && SafeName(known) ? known : "unknown-" + from.ToString().Replace(':', '-');
        var parsed = SyslogLine.Parse(line);
        var shown = line.Length > _options.MaxLineLength ? line[.._options.MaxLineLength] + $" [poaplab: {line.Length - _options.MaxLineLength} more characters cut]" : line;
        var now = (_context?.Time ?? TimeProvider.System).GetUtcNow();
        var severity = parsed.Severity is { } s ? $" {Facility(parsed.Facility!.Value)}.{Severities[s]}" : "";
        lock (_gate)
        {
            if (!_senders.TryGetValue(name, out var sender))
            {
                if (_senders.Count >= _options.MaxSenders)
                {
                    _dropped++;
                    return;
                }
                sender = new Sender(name);
                _senders[name] = sender;
            }
            Append(sender, $"{now:yyyy-MM-ddTHH:mm:ss.fffZ} {from}{severity} {shown}", force: false);
        }
    }

    private void Append(Sender sender, string line, bool force)
    {
        if (!force && (sender.Lines >= _options.MaxLinesPerSwitch || _totalBytes + line.Length + 1 > _options.MaxTotalBytes))
        {
            sender.Dropped++;
            _dropped++;
            if (_totalBytes + line.Length + 1 > _options.MaxTotalBytes && !_totalSaid)
            {
                _totalSaid = true;
                _log.WriteLine($"syslog: {_options.MaxTotalBytes} bytes written: further lines are counted, not kept");
            }
            return;
        }
        if (sender.Writer is null)
        {
            if (_context is null)
            {
                return;
            }
            try
            {
                var folder = Path.Combine(_context.OutputDirectory, sender.Name);
                Directory.CreateDirectory(folder);
                sender.Writer = new StreamWriter(new FileStream(Path.Combine(folder, "syslog.log"), FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = false };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.WriteLine($"syslog: cannot write the syslog of {sender.Name}: {e.Message}");
                sender.Dropped++;
                return;
            }
        }
        sender.Writer.WriteLine(line);
        sender.Lines++;
        _totalBytes += Encoding.UTF8.GetByteCount(line) + 1;
        if (sender.Lines % 64 == 0 || force)
        {
            sender.Writer.Flush();
        }
        else
        {
            sender.DirtySince ??= (_context?.Time ?? TimeProvider.System).GetUtcNow();
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        var any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult result;
            try
            {
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                tick.CancelAfter(TimeSpan.FromSeconds(1));
                result = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, tick.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                FlushIdle();
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // e.g. ICMP port unreachable reported on the socket: not ours to act on
            }
            Receive(((IPEndPoint)result.RemoteEndPoint).Address, buffer.AsSpan(0, result.ReceivedBytes));
            FlushIdle();
        }
    }

    private void FlushIdle()
    {
        lock (_gate)
        {
            foreach (var sender in _senders.Values.Where(s => s.DirtySince is not null))
            {
                sender.Writer?.Flush();
                sender.DirtySince = null;
            }
        }
    }

    private static bool SafeName(string name) =>
        name.Length is > 0 and <= 64 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Text from a datagram: UTF-8 where valid; other bytes and control characters (but tab) as \xNN.</summary>
    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(Math.Min(bytes.Length, 65536));
        var rest = bytes;
        while (!rest.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(rest, out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done && (!Rune.IsControl(rune) || rune.Value is '\n' or '\r' or '\t'))
            {
                text.Append(rune.ToString());
            }
            else
            {
                for (var i = 0; i < Math.Max(consumed, 1); i++)
                {
                    text.Append(CultureInfo.InvariantCulture, $"\\x{rest[i]:x2}");
                }
            }
            rest = rest[Math.Max(consumed, 1)..];
        }
        return text.ToString();
    }

    private static readonly string[] Severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    private static string Facility(int facility) => facility switch
    {
        0 => "kern", 1 => "user", 2 => "mail", 3 => "daemon", 4 => "auth", 5 => "syslog", 6 => "lpr", 7 => "news",
        8 => "uucp", 9 => "cron", 10 => "authpriv", 11 => "ftp", >= 16 and <= 23 => "local" + (facility - 16).ToString(CultureInfo.InvariantCulture),
        _ => "facility" + facility.ToString(CultureInfo.InvariantCulture),
    };

    private sealed class Sender(string name)
    {
        public string Name { get; } = name;
        public StreamWriter? Writer { get; set; }
        public long Lines { get; set; }
        public long Dropped { get; set; }
        public DateTimeOffset? DirtySince { get; set; }
    }
}
