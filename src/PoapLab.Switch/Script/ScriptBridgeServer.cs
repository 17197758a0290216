using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using PoapLab.Core.Threading;
using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Script;

/// <summary>
/// The host end of the script bridge: a Unix domain socket that the sandboxed
/// interpreter's <c>cli</c>, <c>syslog</c> and patched <c>time</c>/<c>os.statvfs</c>
/// talk to. One JSON object per line each way; requests on one connection are answered
/// in order, and several connections (a script's child interpreters) are served at once.
/// </summary>
/// <remarks>
/// Requests: <c>{"op":"cli","command":"...","json":false}</c>, <c>{"op":"syslog","priority":9,"message":"..."}</c>,
/// <c>{"op":"sleep","seconds":30}</c>, <c>{"op":"now"}</c>, <c>{"op":"statvfs","path":"/bootflash"}</c>.
/// Answers: <c>{"status":"ok"|"syntax"|"exec"|"error","output":"...","now":1700000000.5, ...}</c>.
/// </remarks>
internal sealed class ScriptBridgeServer : IAsyncDisposable
{
    // A script can send big config snippets through cli(); anything beyond this is a runaway.
    private const int MaxRequestBytes = 8 * 1024 * 1024;

    /// <summary>Connections served at once (each process of the script holds one); more are closed at once.</summary>
    public const int MaxConnections = 64;

    private readonly Socket _listener;
    private readonly IScriptBridge _bridge;
    private readonly long _capacityBytes;
    private readonly Func<long> _freeBytes;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _connections = [];
    private readonly Lock _connectionsLock = new();
    private readonly Task _acceptLoop;

    // One CLI command or syslog message at a time reaches the switch, whichever of the
    // script's processes sent it: the switch's CLI, like NX-OS's, runs one command after
    // another. Sleeps and clock reads do not wait for it (a SIGTERM handler's syslog must get
    // through while the script's main thread sleeps).
    private readonly SemaphoreSlim _switchGate = new(1, 1);
    private readonly DateTimeOffset _deadline;
    private readonly Action _switchTimeExpired;

    /// <param name="deadline">The latest switch time a sleep may reach: a sleep past it ends the run as a hang.</param>
    /// <param name="switchTimeExpired">Called (once) when a sleep would pass <paramref name="deadline"/>.</param>
    public ScriptBridgeServer(string socketPath, IScriptBridge bridge, long capacityBytes, Func<long> freeBytes, DateTimeOffset deadline, Action switchTimeExpired)
    {
        _bridge = bridge;
        _capacityBytes = capacityBytes;
        _freeBytes = freeBytes;
        _deadline = deadline;
        _switchTimeExpired = switchTimeExpired;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(16);
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    /// <summary>Whether an interpreter in the sandbox got as far as greeting the bridge (sitecustomize ran).</summary>
    public bool InterpreterStarted { get; private set; }

    /// <summary>The first failure inside the bridge (a simulator fault), reported with the run.</summary>
    public string? Fault { get; private set; }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (_connectionsLock)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                if (_connections.Count >= MaxConnections)
                {
                    // A script that opens connections without end gets no more: the switch is not its resource to exhaust.
                    client.Dispose();
                    continue;
                }
                _connections.Add(ServeAsync(client, cancellationToken));
            }
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellationToken)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        var pending = new ArrayBufferWriter<byte>();
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }
                var chunk = buffer.AsMemory(0, read);
                int newline;
                while ((newline = chunk.Span.IndexOf((byte)'\n')) >= 0)
                {
                    pending.Write(chunk.Span[..newline]);
                    chunk = chunk[(newline + 1)..];
                    var answer = await HandleAsync(pending.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    pending.ResetWrittenCount();
                    await stream.WriteAsync(answer, cancellationToken).ConfigureAwait(false);
                }
                pending.Write(chunk.Span);
                if (pending.WrittenCount > MaxRequestBytes)
                {
                    Fault ??= $"a bridge request exceeded {MaxRequestBytes} bytes; the connection was closed";
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The script ended or the run is over: nothing is waiting for an answer.
        }
    }

    private async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
    {
        // A command may copy, hash or write for a while: not on the socket's polling thread.
        await IoThreads.LeaveAsync();
        try
        {
            using var request = JsonDocument.Parse(line);
            var root = request.RootElement;
            var op = root.GetProperty("op").GetString();
            switch (op)
            {
                case "cli":
                    var command = root.GetProperty("command").GetString() ?? "";
                    var asJson = root.TryGetProperty("json", out var json) && json.ValueKind == JsonValueKind.True;
                    await _switchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        var result = await _bridge.CliAsync(command, asJson, cancellationToken).ConfigureAwait(false);
                        return Answer(StatusName(result.Status), result.Output);
                    }
                    finally
                    {
                        _switchGate.Release();
                    }
                case "syslog":
                    var priority = root.GetProperty("priority").GetInt32();
                    var message = root.GetProperty("message").GetString() ?? "";
                    await _switchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        _bridge.Syslog(priority, message);
                    }
                    finally
                    {
                        _switchGate.Release();
                    }
                    return Answer("ok", "");
                case "sleep":
                    return await SleepAsync(root.GetProperty("seconds"), cancellationToken).ConfigureAwait(false);
                case "hello":
                    InterpreterStarted = true;
                    return Answer("ok", "");
                case "now":
                    return Answer("ok", "");
                case "statvfs":
                    return Answer("ok", "", w =>
                    {
                        w.WriteNumber("capacity", _capacityBytes);
                        w.WriteNumber("free", Math.Clamp(_freeBytes(), 0, _capacityBytes));
                    });
                default:
                    return Answer("error", $"unknown bridge operation '{op}'");
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return Answer("error", "malformed bridge request: " + e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The switch side threw: the script sees a BridgeError, the run reports the fault.
            Fault ??= $"{e.GetType().Name}: {e.Message}";
            return Answer("error", $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// A modelled sleep. A length Python itself refuses is refused (the bridge's Python side
    /// raises Python's own error first; this guards a script that talks to the socket
    /// directly); a sleep past the longest switch time a run may spend is one the switch would
    /// never wake from, so the run ends there as a hang (a timeout).
    /// </summary>
    private async Task<byte[]> SleepAsync(JsonElement value, CancellationToken cancellationToken)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || !double.IsFinite(seconds) || seconds < 0)
        {
            return Answer("error", $"sleep length must be a non-negative number of seconds, not {value.GetRawText()}");
        }
        var left = _deadline - _bridge.Now;
        if (seconds >= left.TotalSeconds)
        {
            SwitchTimeExpired = true;
            _switchTimeExpired();
            return Answer("error", $"a sleep of {seconds.ToString(CultureInfo.InvariantCulture)} s would never end");
        }
        await _bridge.SleepAsync(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
        return Answer("ok", "");
    }

    /// <summary>Whether a sleep ran past the script's timeout in switch time.</summary>
    public bool SwitchTimeExpired { get; private set; }

    private static string StatusName(CliStatus status) => status switch
    {
        CliStatus.Ok => "ok",
        CliStatus.SyntaxError => "syntax",
        CliStatus.ExecError => "exec",
        CliStatus.Shell => "bash",
        _ => throw new InvalidOperationException($"unknown CLI status {status}"),
    };

    private byte[] Answer(string status, string output, Action<Utf8JsonWriter>? extra = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status", status);
            writer.WriteString("output", output);
            // Every answer carries the switch clock so the script's time.time() follows it.
            writer.WriteNumber("now", _bridge.Now.ToUnixTimeMilliseconds() / 1000.0);
            extra?.Invoke(writer);
            writer.WriteEndObject();
        }
        var bytes = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(bytes);
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] connections;
        lock (_connectionsLock)
        {
            connections = [.. _connections];
        }
        // Bridge calls honour the token; bound the wait anyway so a stuck switch cannot hang the host.
        var all = Task.WhenAll(connections);
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)).ConfigureAwait(false);
        if (all.IsCompleted)
        {
            _stopping.Dispose();
        }
    }
}
