using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace PoapLab.Lab.Services.Real;

/// <summary>
/// A real server's log file for the report: its stdout and stderr, and what it sends to
/// syslog (a datagram socket PoapLab binds and mounts at the sandbox's <c>/dev/log</c>,
/// since tftpd-hpa logs nowhere else). Bounded: past <see cref="MaxBytes"/> it is cut with a note.
/// </summary>
internal sealed partial class ServerLog : IAsyncDisposable
{
    public const long MaxBytes = 16L << 20;
    private const int TailLines = 200;

    private readonly Lock _gate = new();
    private readonly StreamWriter _writer;
    private readonly Queue<string> _tail = new();
    private readonly Socket _syslog;
    private readonly Task _syslogLoop;
    private long _written;
    private bool _cut;
    private bool _closed;

    public ServerLog(string path, string syslogSocketPath)
    {
        Path = path;
        _writer = new StreamWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { AutoFlush = true };
        SyslogSocketPath = syslogSocketPath;
        _syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        Bind(_syslog, syslogSocketPath);
        // Daemons that drop privileges (tftpd to tftp) must still be able to log.
        File.SetUnixFileMode(syslogSocketPath, (UnixFileMode)0b110_110_110);
        _syslogLoop = Task.Run(ReceiveSyslogAsync);
    }

    /// <summary>
    /// Binds <paramref name="socket"/> at <paramref name="path"/>. A socket's path holds at most
    /// 107 bytes (unix(7) sun_path), less than a deep output folder's: such a path is bound
    /// through the folder's open descriptor (<c>/proc/self/fd/N/NAME</c>, proc(5)), which names
    /// the same place.
    /// </summary>
    internal static void Bind(Socket socket, string path)
    {
        if (Encoding.UTF8.GetByteCount(path) <= 100)
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            return;
        }
        var folder = System.IO.Path.GetDirectoryName(path) ?? "/";
        var fd = Open(folder, 0);
        if (fd < 0)
        {
            throw new IOException($"cannot open {folder} to make {System.IO.Path.GetFileName(path)} there (errno {Marshal.GetLastPInvokeError()})");
        }
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint($"/proc/self/fd/{fd}/{System.IO.Path.GetFileName(path)}"));
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    public string Path { get; }

    public string SyslogSocketPath { get; }

    /// <summary>Appends one line.</summary>
    public void Append(string line)
    {
        lock (_gate)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
            if (_closed || _cut)
            {
                return;
            }
            if (_written + line.Length + 1 > MaxBytes)
            {
                _writer.WriteLine($"[PoapLab: log cut at {MaxBytes >> 20} MiB]");
                _cut = true;
                return;
            }
            _written += line.Length + 1;
            _writer.WriteLine(line);
        }
    }

    /// <summary>Whether a line among the last ones kept contains <paramref name="text"/>.</summary>
    public bool Contains(string text)
    {
        lock (_gate)
        {
            return _tail.Any(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    /// <summary>The last <paramref name="lines"/> lines.</summary>
    public string Tail(int lines)
    {
        lock (_gate)
        {
            return string.Join('\n', _tail.Skip(Math.Max(0, _tail.Count - lines)));
        }
    }

    /// <summary>Copies a stream's lines into the log until it ends.</summary>
    public async Task PumpAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                Append(line.Length > 4096 ? line[..4096] : line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveSyslogAsync()
    {
        var buffer = new byte[8192];
        while (true)
        {
            int n;
            try
            {
                n = await _syslog.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
            var text = Encoding.UTF8.GetString(buffer, 0, n).TrimEnd('\0', '\n');
            // RFC 3164: "<PRI>" then the message; the priority is not wanted in the report.
            if (text.StartsWith('<') && text.IndexOf('>', StringComparison.Ordinal) is > 0 and < 5 and var close)
            {
                text = text[(close + 1)..];
            }
            Append(text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _syslog.Dispose();
        await _syslogLoop.ConfigureAwait(false);
        File.Delete(SyslogSocketPath);
        lock (_gate)
        {
            _closed = true;
            _writer.Dispose();
        }
    }
}
