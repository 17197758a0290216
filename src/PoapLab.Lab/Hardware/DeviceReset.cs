using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>The command that brings a real switch back to day 0, and its bounds.</summary>
/// <param name="Command">A shell command line (run by <c>/bin/sh -c</c>), e.g. <c>ssh admin@sw1 'write erase ; reload'</c> or a PDU's CLI.</param>
/// <param name="LogPath">Where its output goes (<c>reset.log</c>).</param>
/// <param name="Timeout">How long it may run (default 5 minutes, at most 1 hour).</param>
/// <param name="MaxLogBytes">Output kept at most (default 1 MiB); the rest is counted.</param>
/// <param name="WorkingDirectory">Where it runs (default: the current directory).</param>
public sealed record DeviceResetOptions(string Command, string LogPath, TimeSpan? Timeout = null, long MaxLogBytes = 1L << 20, string? WorkingDirectory = null);

/// <summary>How the reset command ended.</summary>
/// <param name="ExitCode">Its exit status; null when it was killed at its timeout.</param>
/// <param name="TimedOut">Whether it was killed at its timeout.</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="OutputBytes">Bytes it wrote (stdout and stderr).</param>
/// <param name="OutputCut">Whether output beyond the bound was left out of the log.</param>
public sealed record DeviceResetResult(int? ExitCode, bool TimedOut, TimeSpan Duration, long OutputBytes, bool OutputCut)
{
    /// <summary>Exit status 0 within the time.</summary>
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>One line for a report.</summary>
    public override string ToString() => TimedOut
        ? $"the reset command did not end within its time and was killed ({Duration.TotalSeconds:0.#} s)"
        : $"the reset command exited with status {ExitCode} after {Duration.TotalSeconds:0.#} s";
}

/// <summary>
/// Runs a scenario's <c>device.reset</c> command before a <c>serve</c> run: <c>/bin/sh -c</c>
/// in a session of its own (setsid(1): no controlling terminal, so nothing can prompt for a
/// password), with no stdin, its stdout and stderr in <c>reset.log</c> (bounded), bounded in
/// time. Run as root it also gets a PID namespace of its own (unshare(1) <c>--pid --fork
/// --kill-child</c>): whatever it starts, daemons included, ends with it. Otherwise its
/// process group is killed when it ends or times out (a daemon that made a session of its
/// own escapes that: run as root).
/// </summary>
public static partial class DeviceReset
{
    private const int SigKill = 9;

    /// <summary>Refuses an empty, huge or NUL-carrying command and unusable bounds.</summary>
    public static void Validate(DeviceResetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Command) || options.Command.Length > 4096 || options.Command.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("the reset command must be a shell command line of 1 to 4096 characters", nameof(options));
        }
        if (options.Timeout is { } t && (t <= TimeSpan.Zero || t > TimeSpan.FromHours(1)))
        {
            throw new ArgumentException("the reset command's timeout must be above 0 and at most 1 hour", nameof(options));
        }
        if (options.MaxLogBytes is < 1024 or > 1L << 30)
        {
            throw new ArgumentException("the reset log bound must be 1 KiB to 1 GiB", nameof(options));
        }
        if (string.IsNullOrWhiteSpace(options.LogPath))
        {
            throw new ArgumentException("the reset log needs a path", nameof(options));
        }
    }

    /// <summary>Runs the command to its end or its timeout; the caller's cancellation kills it too (and is thrown).</summary>
    public static async Task<DeviceResetResult> RunAsync(DeviceResetOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        Validate(options);
        ArgumentNullException.ThrowIfNull(time);
        var timeout = options.Timeout ?? TimeSpan.FromMinutes(5);
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        if (PidNamespaceWorks.Value)
        {
            foreach (var a in new[] { "/usr/bin/unshare", "--pid", "--fork", "--kill-child" })
            {
                start.ArgumentList.Add(a);
            }
        }
        foreach (var a in new[] { "/bin/sh", "-c", options.Command })
        {
            start.ArgumentList.Add(a);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.LogPath))!);
        await using var log = new FileStream(options.LogPath, FileMode.Create, FileAccess.Write, FileShare.Read);
        var sink = new BoundedSink(log, options.MaxLogBytes);
        await sink.WriteLineAsync($"$ {options.Command}", cancellationToken).ConfigureAwait(false);

        var began = time.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("the reset command could not be started");
        process.StandardInput.Close(); // no stdin: EOF at once
        var pid = process.Id;
        using var pumpStop = new CancellationTokenSource();
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, sink, pumpStop.Token),
            PumpAsync(process.StandardError.BaseStream, sink, pumpStop.Token));

        using var bound = new CancellationTokenSource(timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(bound.Token, cancellationToken);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
        }
        // Its group (and, as root, its PID namespace through unshare's --kill-child) ends with it, whatever the outcome.
        KillGroup(pid);
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // A descendant that escaped may hold the pipes open: read what is left briefly, then stop.
        pumpStop.CancelAfter(TimeSpan.FromSeconds(2));
        await pumps.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var duration = time.GetElapsedTime(began);
        int? exit = timedOut || cancellationToken.IsCancellationRequested || !process.HasExited ? null : process.ExitCode;
        var result = new DeviceResetResult(exit, timedOut, duration, sink.Seen, sink.Cut);
        await sink.WriteLineAsync((sink.Cut ? $"[poaplab] {sink.Seen - sink.Kept} bytes of output not kept; " : "[poaplab] ") + result, CancellationToken.None).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return result;
    }

    /// <summary>Whether this process may give a child a PID namespace (root, and not refused by a container's limits): tried once.</summary>
    private static readonly Lazy<bool> PidNamespaceWorks = new(() =>
    {
        if (!Environment.IsPrivilegedProcess || !File.Exists("/usr/bin/unshare"))
        {
            return false;
        }
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("/usr/bin/unshare", ["--pid", "--fork", "--kill-child", "/bin/true"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (probe is null)
            {
                return false;
            }
            if (!probe.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                probe.Kill(entireProcessTree: true);
                return false;
            }
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    private static void KillGroup(int pid)
    {
        // setsid(1) made the command's shell (or unshare) a session and group leader: its group id is its pid.
        if (pid > 1)
        {
            _ = Kill(-pid, SigKill);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private static async Task PumpAsync(Stream from, BoundedSink sink, CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }
                await sink.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    /// <summary>A log that keeps at most its bound and counts the rest (two pumps write into it).</summary>
    private sealed class BoundedSink(Stream stream, long max)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);

        public long Seen { get; private set; }

        public long Kept { get; private set; }

        public bool Cut => Seen > Kept;

        public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Seen += bytes.Length;
                var room = (int)Math.Max(0, Math.Min(bytes.Length, max - Kept));
                if (room > 0)
                {
                    await stream.WriteAsync(bytes[..room], cancellationToken).ConfigureAwait(false);
                    await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                    Kept += room;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>A line of PoapLab's own (not counted as the command's output, not bounded by it).</summary>
        public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
        {
            var bytes = Encoding.UTF8.GetBytes(line + "\n");
            await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs the reset when the <c>serve</c> run starts (its servers are up, so the switch boots
    /// into them), beside the run: frames flow while it runs. A failure is logged, not fatal.
    /// </summary>
    public sealed class Step(DeviceResetOptions options, TextWriter? log = null) : IServeObserver
    {
        private readonly TextWriter _log = log ?? TextWriter.Null;
        private readonly CancellationTokenSource _stop = new();
        private Task? _run;

        /// <summary>How it ended; null before it ended.</summary>
        public DeviceResetResult? Result { get; private set; }

        /// <summary>The run of the command, once started.</summary>
        public Task Completion => _run ?? Task.CompletedTask;

        /// <inheritdoc/>
        public Task StartAsync(ServeContext context, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(context);
            _log.WriteLine($"reset: running the device's reset command (output in {options.LogPath})");
            _run = Task.Run(async () =>
            {
                try
                {
                    Result = await RunAsync(options, context.Time, _stop.Token).ConfigureAwait(false);
                    _log.WriteLine("reset: " + Result);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    _log.WriteLine("reset: the reset command was stopped with the run");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
                {
                    _log.WriteLine($"reset: the reset command could not run: {e.Message}");
                }
            }, CancellationToken.None);
            return Task.CompletedTask;
        }

        /// <inheritdoc/>
        public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken) => Task.CompletedTask;

        /// <inheritdoc/>
        public Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken) => Task.CompletedTask;

        /// <summary>Kills the command if it still runs (it is bounded by its own timeout anyway).</summary>
        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await _stop.CancelAsync().ConfigureAwait(false);
            }
            if (_run is not null)
            {
                await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            _stop.Dispose();
        }
    }
}
