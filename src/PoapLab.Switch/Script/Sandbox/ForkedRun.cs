using System.Net.Sockets;
using System.Text.Json;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// A run forked by the <see cref="ForkServer"/>, seen through its channel to the run's monitor
/// (the server's child that started the sandbox and waits for it): one JSON line when the
/// sandbox's init is forked (its host pid and pid namespace), one when it ended (its status).
/// PoapLab writes one byte per request: <c>T</c> (SIGTERM, which init hands to the script) or
/// <c>K</c> (SIGKILL to init, and so to the whole sandbox). Closing the channel is a <c>K</c>:
/// a run PoapLab lets go of never lives on.
/// </summary>
internal sealed class ForkedRun : ISandboxRun
{
    /// <summary>The status of a run whose monitor vanished without a word (its server was killed): as a SIGKILL.</summary>
    public const int LostExitCode = 128 + 9;

    private readonly Socket _channel;
    private readonly Stream _stdout;
    private readonly Stream _stderr;
    private readonly TaskCompletionSource<(int Pid, string PidNamespace)?> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pid;

    public ForkedRun(Socket channel, Stream stdout, Stream stderr)
    {
        _channel = channel;
        _stdout = stdout;
        _stderr = stderr;
        _ = ReadAsync();
    }

    public int Pid => Volatile.Read(ref _pid);

    public Stream StandardOutput => _stdout;

    public Stream StandardError => _stderr;

    public bool HasExited => _exited.Task.IsCompleted;

    public int ExitCode => _exited.Task.IsCompleted ? _exited.Task.Result : throw new InvalidOperationException("the run has not ended");

    /// <summary>The monitor reports the end once it reaped init, and init dies last in its namespace.</summary>
    public bool EndedEmpty => HasExited && !Lost;

    /// <summary>True when the monitor vanished without reporting the run's end.</summary>
    public bool Lost { get; private set; }

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _exited.Task.WaitAsync(cancellationToken);

    public async Task<string?> PidNamespaceAsync() => (await _started.Task.ConfigureAwait(false))?.PidNamespace;

    public Task<bool> TerminateAsync() => Task.FromResult(Send((byte)'T'));

    public void Kill() => Send((byte)'K');

    private bool Send(byte command)
    {
        if (HasExited)
        {
            return true;
        }
        try
        {
            return _channel.Send([command]) == 1;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            // The monitor's lines are a few dozen bytes each, two in all.
            using var reader = new StreamReader(new NetworkStream(_channel, ownsSocket: false));
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (Handle(line))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or JsonException)
        {
        }
        Lost = !_exited.Task.IsCompleted;
        _started.TrySetResult(null);
        _exited.TrySetResult(LostExitCode);
    }

    /// <returns>True at the run's end.</returns>
    private bool Handle(string text)
    {
        using var message = JsonDocument.Parse(text);
        var root = message.RootElement;
        if (root.TryGetProperty("pid", out var pid))
        {
            Volatile.Write(ref _pid, pid.GetInt32());
            _started.TrySetResult((pid.GetInt32(), root.GetProperty("pidns").GetString() ?? ""));
            return false;
        }
        if (root.TryGetProperty("exit", out var exit))
        {
            _started.TrySetResult(null);
            _exited.TrySetResult(exit.GetInt32());
            return true;
        }
        return false;
    }

    public void Dispose()
    {
        // The monitor reads the close as a K: nothing of the run outlives its owner.
        _channel.Dispose();
        _stdout.Dispose();
        _stderr.Dispose();
    }
}
