using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Servers.Hosting;
using PoapLab.Servers.Tftp;

namespace PoapLab.Servers.Ftp;

/// <summary>
/// An in-process FTP server for downloads: the RFC 959 subset a <c>copy ftp://</c> uses
/// (USER, PASS, SYST, FEAT, TYPE, PWD, CWD, CDUP, PASV, RETR, NOOP, QUIT) with RFC 2428
/// EPSV and RFC 3659 SIZE. One account (anonymous only when allowed), binary transfers
/// only, passive mode only, nothing outside the root (the TFTP/HTTP servers' resolver:
/// links pointing out are refused). Logins, transfers and failures are events.
/// </summary>
public sealed class EmbeddedFtpServer : IAsyncDisposable
{
    private const int MaxLineLength = 1024;
    private const int MaxLoginFailures = 3;

    private readonly FtpServerOptions _options;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly ServedFileResolver _files;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _sessions = new();
    private Socket? _listener;
    private IPEndPoint? _local;
    private Task _accepting = Task.CompletedTask;
    private int _active;
    private int _disposed;

    public EmbeddedFtpServer(FtpServerOptions options, IEventSink events, string eventSource)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        ArgumentException.ThrowIfNullOrEmpty(options.User);
        ArgumentNullException.ThrowIfNull(options.Password);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSessions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Timeout, TimeSpan.Zero);
        _options = options;
        _events = events;
        _source = eventSource;
        _files = new ServedFileResolver(options.RootPath);
    }

    /// <summary>The control endpoint (valid after <see cref="StartAsync"/>).</summary>
    public IPEndPoint LocalEndPoint => _local ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>Listens on <paramref name="bind"/> (port 0 picks one); returns the bound endpoint.</summary>
    public Task<IPEndPoint> StartAsync(IPEndPoint bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }
        var socket = _options.Sockets.Create(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(bind);
            socket.Listen(64);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
        _local = (IPEndPoint)socket.LocalEndPoint!;
        _accepting = Task.Run(() => AcceptAsync(socket, _stopping.Token), CancellationToken.None);
        return Task.FromResult(_local);
    }

    /// <summary>Closes the listener and every session.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        try
        {
            await _accepting.ConfigureAwait(false);
            await Task.WhenAll(_sessions.Keys).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }

    private async Task AcceptAsync(Socket listener, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (Interlocked.Increment(ref _active) > _options.MaxSessions)
            {
                Interlocked.Decrement(ref _active);
                using (client)
                {
                    // RFC 959 §4.2: 421 closes the control connection.
                    await SendRawAsync(client, "421 Too many connections\r\n").ConfigureAwait(false);
                }
                continue;
            }
            var task = Task.Run(() => SessionAsync(client, stopping), CancellationToken.None);
            _sessions[task] = 0;
            _ = task.ContinueWith(t => _sessions.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private static async Task SendRawAsync(Socket client, string text)
    {
        try
        {
            await client.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
    }

    private async Task SessionAsync(Socket client, CancellationToken stopping)
    {
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        var session = new Session(client, remote);
        try
        {
            await using var stream = new NetworkStream(client, ownsSocket: true);
            await session.ReplyAsync(stream, 220, "PoapLab FTP server ready", stopping).ConfigureAwait(false);
            while (!stopping.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                idle.CancelAfter(_options.Timeout);
                string? line;
                try
                {
                    line = await session.ReadLineAsync(stream, idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    await session.ReplyAsync(stream, 421, "Timeout", stopping).ConfigureAwait(false);
                    return;
                }
                if (line is null)
                {
                    return;
                }
                if (!await HandleAsync(session, stream, line, stopping).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            session.ClosePassive();
            Interlocked.Decrement(ref _active);
        }
    }

    // Returns false when the session is to end.
    private async Task<bool> HandleAsync(Session s, NetworkStream stream, string line, CancellationToken ct)
    {
        if (line.Length > MaxLineLength)
        {
            await s.ReplyAsync(stream, 500, "Line too long", ct).ConfigureAwait(false);
            return true;
        }
        // RFC 959 §5.3: a command is a keyword, then a space and the argument.
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        var arg = space < 0 ? "" : line[(space + 1)..];
        _events.Record(_source, EventKinds.FtpServerCommand, $"FTP {verb} from {s.Remote}",
            ("client", s.Remote), ("command", verb), ("argument", verb == "PASS" ? "****" : arg));

        switch (verb)
        {
            case "USER":
                s.User = arg;
                s.LoggedIn = false;
                await s.ReplyAsync(stream, 331, "Please specify the password", ct).ConfigureAwait(false);
                return true;
            case "PASS":
                return await LoginAsync(s, stream, arg, ct).ConfigureAwait(false);
            case "QUIT":
                await s.ReplyAsync(stream, 221, "Goodbye", ct).ConfigureAwait(false);
                return false;
            case "NOOP":
                await s.ReplyAsync(stream, 200, "NOOP ok", ct).ConfigureAwait(false);
                return true;
            case "SYST":
                await s.ReplyAsync(stream, 215, "UNIX Type: L8", ct).ConfigureAwait(false);
                return true;
            case "FEAT":
                // RFC 2389 §3.2: a multi-line 211 naming the extensions, one per line, indented.
                await s.ReplyLinesAsync(stream, 211, ["Features:", " EPSV", " PASV", " SIZE", "End"], ct).ConfigureAwait(false);
                return true;
        }
        if (!s.LoggedIn)
        {
            await s.ReplyAsync(stream, 530, "Please login with USER and PASS", ct).ConfigureAwait(false);
            return true;
        }
        switch (verb)
        {
            case "TYPE":
                // RFC 959 §3.1.1: only image (binary) transfers; "A" is accepted as the harmless default many clients send first.
                var type = arg.Trim().ToUpperInvariant();
                if (type is "I" or "L 8" or "A" or "A N")
                {
                    await s.ReplyAsync(stream, 200, type.StartsWith('A') ? "Switching to ASCII mode" : "Switching to Binary mode", ct).ConfigureAwait(false);
                }
                else
                {
                    await s.ReplyAsync(stream, 504, "Type not supported", ct).ConfigureAwait(false);
                }
                return true;
            case "PWD":
            case "XPWD":
                // RFC 959 §7: the path in double quotes, embedded quotes doubled.
                await s.ReplyAsync(stream, 257, $"\"{s.Cwd.Replace("\"", "\"\"", StringComparison.Ordinal)}\" is the current directory", ct).ConfigureAwait(false);
                return true;
            case "CWD":
            case "CDUP":
                {
                    var target = Normalise(s.Cwd, verb == "CDUP" ? ".." : arg);
                    var dir = target == "/" ? new ServedFile(ServedFileStatus.Found, _files.Root, "") : _files.Resolve(target);
                    if (dir.Status == ServedFileStatus.Found && Directory.Exists(dir.Path))
                    {
                        s.Cwd = target;
                        await s.ReplyAsync(stream, 250, "Directory successfully changed", ct).ConfigureAwait(false);
                    }
                    else
                    {
                        await s.ReplyAsync(stream, 550, "Failed to change directory", ct).ConfigureAwait(false);
                    }
                    return true;
                }
            case "PASV":
                {
                    var ep = s.OpenPassive(_options.Sockets, _local!.Address, _options.DataListenerOpened);
                    var advertised = (_options.AdvertisedAddress ?? ep.Address).GetAddressBytes();
                    if (advertised.Length != 4)
                    {
                        await s.ReplyAsync(stream, 522, "PASV needs IPv4; use EPSV", ct).ConfigureAwait(false);
                        return true;
                    }
                    // RFC 959 §4.1.2: h1,h2,h3,h4,p1,p2 with the port as p1*256+p2.
                    await s.ReplyAsync(stream, 227, string.Create(CultureInfo.InvariantCulture,
                        $"Entering Passive Mode ({advertised[0]},{advertised[1]},{advertised[2]},{advertised[3]},{ep.Port >> 8},{ep.Port & 0xFF})."), ct).ConfigureAwait(false);
                    return true;
                }
            case "EPSV":
                {
                    if (arg.Trim().Equals("ALL", StringComparison.OrdinalIgnoreCase))
                    {
                        await s.ReplyAsync(stream, 200, "EPSV ALL ok", ct).ConfigureAwait(false);
                        return true;
                    }
                    var ep = s.OpenPassive(_options.Sockets, _local!.Address, _options.DataListenerOpened);
                    // RFC 2428 §3: only the port, between delimiters; the host is the control connection's.
                    await s.ReplyAsync(stream, 229, string.Create(CultureInfo.InvariantCulture, $"Entering Extended Passive Mode (|||{ep.Port}|)"), ct).ConfigureAwait(false);
                    return true;
                }
            case "SIZE":
                {
                    var file = _files.ResolveExisting(Normalise(s.Cwd, arg));
                    if (file.Status == ServedFileStatus.Found)
                    {
                        // RFC 3659 §4: the size in octets of the file as it would be sent in TYPE I.
                        await s.ReplyAsync(stream, 213, new FileInfo(file.Path).Length.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
                    }
                    else
                    {
                        await s.ReplyAsync(stream, 550, "Could not get file size", ct).ConfigureAwait(false);
                    }
                    return true;
                }
            case "RETR":
                await RetrieveAsync(s, stream, arg, ct).ConfigureAwait(false);
                return true;
            default:
                await s.ReplyAsync(stream, 502, "Command not implemented", ct).ConfigureAwait(false);
                return true;
        }
    }

    private async Task<bool> LoginAsync(Session s, NetworkStream stream, string password, CancellationToken ct)
    {
        if (s.User is null)
        {
            await s.ReplyAsync(stream, 503, "Login with USER first", ct).ConfigureAwait(false);
            return true;
        }
        var anonymous = _options.AllowAnonymous && (s.User.Equals("anonymous", StringComparison.OrdinalIgnoreCase) || s.User.Equals("ftp", StringComparison.OrdinalIgnoreCase));
        if (anonymous || (string.Equals(s.User, _options.User, StringComparison.Ordinal) && string.Equals(password, _options.Password, StringComparison.Ordinal)))
        {
            s.LoggedIn = true;
            _events.Record(_source, EventKinds.FtpServerLogin, $"FTP login of {s.User} from {s.Remote}", ("client", s.Remote), ("user", s.User), ("anonymous", anonymous));
            await s.ReplyAsync(stream, 230, "Login successful", ct).ConfigureAwait(false);
            return true;
        }
        s.Failures++;
        _events.Record(_source, EventKinds.FtpServerLoginFailed, $"FTP login of {s.User} from {s.Remote} refused", ("client", s.Remote), ("user", s.User), ("failures", s.Failures));
        await s.ReplyAsync(stream, 530, "Login incorrect", ct).ConfigureAwait(false);
        return s.Failures < MaxLoginFailures;
    }

    private async Task RetrieveAsync(Session s, NetworkStream stream, string arg, CancellationToken ct)
    {
        var name = Normalise(s.Cwd, arg);
        var listener = s.TakePassive();
        if (listener is null)
        {
            await s.ReplyAsync(stream, 425, "Use PASV or EPSV first", ct).ConfigureAwait(false);
            return;
        }
        using (listener)
        {
            var file = _files.ResolveExisting(name);
            if (file.Status != ServedFileStatus.Found)
            {
                _events.Record(_source, EventKinds.FtpServerFailed, $"FTP RETR {name} from {s.Remote}: {file.Reason}",
                    ("client", s.Remote), ("file", name), ("code", 550), ("reason", file.Reason));
                await s.ReplyAsync(stream, 550, "Failed to open file", ct).ConfigureAwait(false);
                return;
            }
            FileStream content;
            try
            {
                content = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await s.ReplyAsync(stream, 550, "Failed to open file", ct).ConfigureAwait(false);
                return;
            }
            await using (content.ConfigureAwait(false))
            {
                await s.ReplyAsync(stream, 150, string.Create(CultureInfo.InvariantCulture, $"Opening BINARY mode data connection for {name} ({content.Length} bytes)"), ct).ConfigureAwait(false);
                Socket data;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    wait.CancelAfter(_options.Timeout);
                    try
                    {
                        data = await listener.AcceptAsync(wait.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        _events.Record(_source, EventKinds.FtpServerFailed, $"FTP RETR {name}: no data connection", ("client", s.Remote), ("file", name), ("code", 425), ("reason", "no data connection"));
                        await s.ReplyAsync(stream, 425, "Failed to establish connection", ct).ConfigureAwait(false);
                        return;
                    }
                }
                long sent = 0;
                try
                {
                    await using (var dataStream = new NetworkStream(data, ownsSocket: true))
                    {
                        var buffer = new byte[1 << 16];
                        int n;
                        while ((n = await content.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                        {
                            await dataStream.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                            sent += n;
                        }
                    }
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    _events.Record(_source, EventKinds.FtpServerFailed, $"FTP RETR {name}: {e.Message}", ("client", s.Remote), ("file", name), ("code", 426), ("bytes", sent), ("reason", e.Message));
                    await s.ReplyAsync(stream, 426, "Connection closed; transfer aborted", ct).ConfigureAwait(false);
                    return;
                }
                _events.Record(_source, EventKinds.FtpServerCompleted, $"FTP RETR {name} to {s.Remote}: {sent} bytes",
                    ("client", s.Remote), ("file", name), ("bytes", sent), ("user", s.User));
                await s.ReplyAsync(stream, 226, "Transfer complete", ct).ConfigureAwait(false);
            }
        }
    }

    // The client's path against its working directory, with "." and ".." applied inside the
    // virtual root (nothing climbs above "/"); the resolver then refuses links that leave it.
    private static string Normalise(string cwd, string path)
    {
        var full = path.StartsWith('/') ? path : cwd.TrimEnd('/') + "/" + path;
        var parts = new List<string>();
        foreach (var part in full.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    private sealed class Session(Socket control, IPEndPoint remote)
    {
        private readonly byte[] _buffer = new byte[4096];
        private readonly StringBuilder _line = new();
        private int _count;
        private int _offset;
        private Socket? _passive;

        public IPEndPoint Remote { get; } = remote;

        public string? User { get; set; }

        public bool LoggedIn { get; set; }

        public int Failures { get; set; }

        public string Cwd { get; set; } = "/";

        public IPEndPoint OpenPassive(ISocketFactory sockets, IPAddress address, Action<IPEndPoint>? opened)
        {
            ClosePassive();
            var socket = sockets.Create(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // Same address as the control connection, port 0: the data listener is found
                // through the lab network exactly like the control port.
                socket.Bind(new IPEndPoint(address, 0));
                socket.Listen(1);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _passive = socket;
            var ep = (IPEndPoint)socket.LocalEndPoint!;
            opened?.Invoke(ep);
            return ep;
        }

        public Socket? TakePassive()
        {
            var p = _passive;
            _passive = null;
            return p;
        }

        public void ClosePassive()
        {
            _passive?.Dispose();
            _passive = null;
        }

        public Task ReplyAsync(NetworkStream stream, int code, string text, CancellationToken ct) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{code} {text}\r\n")), ct).AsTask();

        public Task ReplyLinesAsync(NetworkStream stream, int code, IReadOnlyList<string> lines, CancellationToken ct)
        {
            // RFC 959 §4.2: "ddd-" on the first line, "ddd " on the last.
            var b = new StringBuilder();
            b.Append(CultureInfo.InvariantCulture, $"{code}-{lines[0]}\r\n");
            for (var i = 1; i < lines.Count - 1; i++)
            {
                b.Append(lines[i]).Append("\r\n");
            }
            b.Append(CultureInfo.InvariantCulture, $"{code} {lines[^1]}\r\n");
            return stream.WriteAsync(Encoding.UTF8.GetBytes(b.ToString()), ct).AsTask();
        }

        // RFC 959 §4.1.3: commands end with CRLF (a bare LF is accepted, as most servers do).
        public async Task<string?> ReadLineAsync(NetworkStream stream, CancellationToken ct)
        {
            _line.Clear();
            while (true)
            {
                while (_offset < _count)
                {
                    var b = _buffer[_offset++];
                    if (b == (byte)'\n')
                    {
                        return _line.ToString().TrimEnd('\r');
                    }
                    if (_line.Length <= MaxLineLength)
                    {
                        _line.Append((char)b);
                    }
                }
                _count = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
                _offset = 0;
                if (_count == 0)
                {
                    return null;
                }
            }
        }

        public override string ToString() => $"{Remote} on {control.LocalEndPoint}";
    }
}
