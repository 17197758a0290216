using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Protocols;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Transfer.Ftp;

/// <summary>How an FTP download ended.</summary>
internal enum FtpOutcome
{
    Completed,
    LoginFailed,
    NotFound,
    ConnectFailed,
    TimedOut,
    ServerError,
    DestinationFailed,
}

/// <summary>The end of an FTP download: outcome, bytes stored, commands exchanged, and the server's last reply.</summary>
internal sealed record FtpDownloadResult(FtpOutcome Outcome, long Bytes, int RoundTrips, string? Reply);

/// <summary>
/// The switch's FTP client: RFC 959 passive-mode binary RETR, with RFC 2428 EPSV first and
/// PASV when the server does not know it, RFC 3659 SIZE to learn the size before the first
/// byte. Control and data connections both go through the switch's <see cref="ISwitchNetwork"/>
/// to the control connection's host: the address in a 227 reply is not used (as curl does
/// by default), so a server behind a translation that advertises a wrong address still works.
/// </summary>
internal sealed class FtpClient(ISwitchNetwork network)
{
    private const string Protocol = "FTP";
    private const int MaxReplyLines = 100;
    private const int MaxLineLength = 2048;

    public async Task<FtpDownloadResult> DownloadAsync(IPAddress host, int port, string user, string password, string path, Stream destination, Action<long>? announcedSize, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // RFC 959 §4.1.3: a command ends at CRLF. A CR, LF or NUL inside a value would end it
        // early and start a command of the value's choosing: refuse before connecting.
        if (user.Any(char.IsControl) || password.Any(char.IsControl) || path.Any(char.IsControl))
        {
            return new FtpDownloadResult(FtpOutcome.LoginFailed, 0, 0, "refused: a control character in the user, password or path");
        }
        var trips = 1;
        Stream control;
        try
        {
            control = await network.ConnectTcpAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return new FtpDownloadResult(FtpOutcome.ConnectFailed, 0, trips, e.SocketErrorCode.ToString());
        }
        await using (control.ConfigureAwait(false))
        {
            var c = new Control(control, timeout);
            try
            {
                var greeting = await c.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                if (greeting.Code != 220)
                {
                    return new FtpDownloadResult(FtpOutcome.ConnectFailed, 0, trips, greeting.Text);
                }
                trips++;
                var reply = await c.CommandAsync($"USER {user}", cancellationToken).ConfigureAwait(false);
                if (reply.Code == 331)
                {
                    trips++;
                    reply = await c.CommandAsync($"PASS {password}", cancellationToken).ConfigureAwait(false);
                }
                if (reply.Code is not (230 or 202))
                {
                    return new FtpDownloadResult(reply.Code == 530 ? FtpOutcome.LoginFailed : FtpOutcome.ServerError, 0, trips, reply.Text);
                }
                trips++;
                reply = await c.CommandAsync("TYPE I", cancellationToken).ConfigureAwait(false);
                if (reply.Code != 200)
                {
                    return new FtpDownloadResult(FtpOutcome.ServerError, 0, trips, reply.Text);
                }
                trips++;
                reply = await c.CommandAsync($"SIZE {path}", cancellationToken).ConfigureAwait(false);
                if (reply.Code == 550)
                {
                    return new FtpDownloadResult(FtpOutcome.NotFound, 0, trips, reply.Text);
                }
                if (reply.Code == 213 && long.TryParse(reply.Text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
                {
                    announcedSize?.Invoke(size);
                }

                trips++;
                var dataPort = await PassiveAsync(c, cancellationToken).ConfigureAwait(false);
                if (dataPort is null)
                {
                    return new FtpDownloadResult(FtpOutcome.ServerError, 0, trips, c.Last);
                }
                Stream data;
                trips++;
                try
                {
                    data = await network.ConnectTcpAsync(host, dataPort.Value, cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException e)
                {
                    return new FtpDownloadResult(FtpOutcome.ConnectFailed, 0, trips, e.SocketErrorCode.ToString());
                }
                long copied = 0;
                await using (data.ConfigureAwait(false))
                {
                    trips++;
                    reply = await c.CommandAsync($"RETR {path}", cancellationToken).ConfigureAwait(false);
                    if (reply.Code is not (150 or 125))
                    {
                        return new FtpDownloadResult(reply.Code == 550 ? FtpOutcome.NotFound : FtpOutcome.ServerError, 0, trips, reply.Text);
                    }
                    var buffer = new byte[1 << 16];
                    int n;
                    while ((n = await c.WithTimeoutAsync(t => data.ReadAsync(buffer, t), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        try
                        {
                            await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                        }
                        catch (IOException e)
                        {
                            return new FtpDownloadResult(FtpOutcome.DestinationFailed, copied, trips, e.Message);
                        }
                        copied += n;
                    }
                }
                // RFC 959 §4.2: 226 (or 250) once the data connection is closed after a complete transfer.
                reply = await c.ReadReplyAsync(cancellationToken).ConfigureAwait(false);
                if (reply.Code is not (226 or 250))
                {
                    return new FtpDownloadResult(FtpOutcome.ServerError, copied, trips, reply.Text);
                }
                await c.SendAsync("QUIT", cancellationToken).ConfigureAwait(false);
                return new FtpDownloadResult(FtpOutcome.Completed, copied, trips, reply.Text);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new FtpDownloadResult(FtpOutcome.TimedOut, 0, trips, c.Last);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return new FtpDownloadResult(FtpOutcome.ConnectFailed, 0, trips, e.Message);
            }
            catch (ProtocolException e)
            {
                return new FtpDownloadResult(FtpOutcome.ServerError, 0, trips, e.Message);
            }
        }
    }

    // EPSV first (RFC 2428 §3), PASV when the server answers 500/502 (it does not know EPSV).
    private static async Task<int?> PassiveAsync(Control c, CancellationToken cancellationToken)
    {
        var reply = await c.CommandAsync("EPSV", cancellationToken).ConfigureAwait(false);
        if (reply.Code == 229)
        {
            return ParseEpsv(reply.Text, c.LastOffset);
        }
        if (reply.Code is not (500 or 501 or 502 or 522))
        {
            return null;
        }
        reply = await c.CommandAsync("PASV", cancellationToken).ConfigureAwait(false);
        return reply.Code == 227 ? ParsePasv(reply.Text, c.LastOffset) : null;
    }

    /// <summary>RFC 2428 §3: <c>(&lt;d&gt;&lt;d&gt;&lt;d&gt;&lt;port&gt;&lt;d&gt;)</c>, the delimiter being the first character inside the parentheses.</summary>
    internal static int ParseEpsv(string text, long offset)
    {
        var open = text.IndexOf('(', StringComparison.Ordinal);
        if (open < 0 || open + 5 > text.Length)
        {
            throw new ProtocolException(Protocol, (int)offset, "229 reply without (|||port|)");
        }
        var d = text[open + 1];
        if (text[open + 2] != d || text[open + 3] != d)
        {
            throw new ProtocolException(Protocol, (int)offset + open, "229 reply: the network and address fields must be empty");
        }
        var end = text.IndexOf(d, open + 4);
        if (end < 0 || !int.TryParse(text.AsSpan(open + 4, end - open - 4), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ProtocolException(Protocol, (int)offset + open + 4, "229 reply: no valid port");
        }
        return port;
    }

    /// <summary>RFC 959 §4.1.2 (and RFC 1123 §4.1.2.6: scan for the six numbers): h1,h2,h3,h4,p1,p2; the port is p1*256+p2.</summary>
    internal static int ParsePasv(string text, long offset)
    {
        var start = text.IndexOf('(', StringComparison.Ordinal) + 1;
        var numbers = new List<int>(6);
        var i = start;
        while (i < text.Length && numbers.Count < 6)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                var j = i;
                while (j < text.Length && char.IsAsciiDigit(text[j]) && j - i < 3)
                {
                    j++;
                }
                numbers.Add(int.Parse(text.AsSpan(i, j - i), NumberStyles.None, CultureInfo.InvariantCulture));
                i = j;
            }
            else
            {
                i++;
            }
        }
        if (numbers.Count < 6 || numbers.Any(n => n > 255))
        {
            throw new ProtocolException(Protocol, (int)offset + start, "227 reply without h1,h2,h3,h4,p1,p2");
        }
        var port = (numbers[4] << 8) | numbers[5];
        if (port == 0)
        {
            throw new ProtocolException(Protocol, (int)offset + start, "227 reply names port 0");
        }
        return port;
    }

    private readonly record struct Reply(int Code, string Text);

    private sealed class Control(Stream stream, TimeSpan timeout)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _count;
        private int _offset;
        private long _consumed;

        public string? Last { get; private set; }

        /// <summary>Byte offset in the control stream where the last reply began.</summary>
        public long LastOffset { get; private set; }

        public async Task<T> WithTimeoutAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(timeout);
            return await operation(bounded.Token).ConfigureAwait(false);
        }

        public async Task SendAsync(string command, CancellationToken cancellationToken)
        {
            // RFC 959 §4.1.3: Telnet end-of-line, CRLF.
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\r\n"), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        public async Task<Reply> CommandAsync(string command, CancellationToken cancellationToken)
        {
            await SendAsync(command, cancellationToken).ConfigureAwait(false);
            return await ReadReplyAsync(cancellationToken).ConfigureAwait(false);
        }

        // RFC 959 §4.2: "ddd text", or "ddd-text" ... "ddd text" for a multi-line reply.
        public async Task<Reply> ReadReplyAsync(CancellationToken cancellationToken)
        {
            LastOffset = _consumed;
            var (first, at) = await WithTimeoutAsync(ReadLineAsync, cancellationToken).ConfigureAwait(false);
            if (first.Length < 3 || !int.TryParse(first.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code < 100 || (first.Length > 3 && first[3] is not (' ' or '-')))
            {
                throw new ProtocolException(Protocol, (int)at, $"reply does not start with a 3-digit code: '{first}'");
            }
            var text = new StringBuilder(first.Length > 4 ? first[4..] : "");
            if (first.Length > 3 && first[3] == '-')
            {
                var end = first[..3] + " ";
                for (var lines = 0; ; lines++)
                {
                    if (lines >= MaxReplyLines)
                    {
                        throw new ProtocolException(Protocol, (int)_consumed, "multi-line reply does not end");
                    }
                    var (line, _) = await WithTimeoutAsync(ReadLineAsync, cancellationToken).ConfigureAwait(false);
                    if (line.StartsWith(end, StringComparison.Ordinal))
                    {
                        text.Append('\n').Append(line[4..]);
                        break;
                    }
                    text.Append('\n').Append(line);
                }
            }
            Last = $"{code} {text}";
            return new Reply(code, text.ToString());
        }

        private async ValueTask<(string Line, long Offset)> ReadLineAsync(CancellationToken cancellationToken)
        {
            var start = _consumed;
            var line = new StringBuilder();
            while (true)
            {
                while (_offset < _count)
                {
                    var b = _buffer[_offset++];
                    _consumed++;
                    if (b == (byte)'\n')
                    {
                        return (line.ToString().TrimEnd('\r'), start);
                    }
                    if (line.Length >= MaxLineLength)
                    {
                        throw new ProtocolException(Protocol, (int)_consumed, "reply line too long");
                    }
                    line.Append((char)b);
                }
                _count = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                _offset = 0;
                if (_count == 0)
                {
                    throw new IOException("the server closed the control connection");
                }
            }
        }
    }
}
