using System.ComponentModel;
using System.Diagnostics;
using System.Net.Sockets;
using PoapLab.Core.Processes;
using PoapLab.Switch.Script.Sandbox;

namespace PoapLab.Switch.Script;

/// <summary>
/// Runs a user's POAP script, unmodified, in CPython inside a bubblewrap sandbox that
/// shows it the switch's filesystem (/bootflash, /tmp, /isan, ...) and nothing of the
/// host's, with no network. Its <c>cli</c>, <c>syslog</c>, <c>time.sleep</c>,
/// <c>time.time</c> and <c>os.statvfs("/bootflash")</c> reach the switch through a
/// Unix-socket bridge (<see cref="IScriptBridge"/>).
/// </summary>
/// <remarks>
/// A run ends one of four ways: the interpreter exits (<see cref="ScriptEnd.Exited"/>),
/// it outlives <see cref="ScriptRunRequest.Timeout"/> of real time and the whole sandbox is
/// killed (<see cref="ScriptEnd.TimedOut"/>), the caller cancels (operator abort: SIGTERM to
/// the script, SIGKILL after <see cref="TerminateGrace"/>, <see cref="ScriptEnd.Killed"/>), or
/// the sandbox cannot start (<see cref="ScriptEnd.FailedToStart"/>). No process of the run
/// outlives <see cref="RunAsync"/>, and its private bridge directory is always removed.
/// </remarks>
public sealed partial class ScriptHost
{
    /// <summary>How long a script may run its SIGTERM handler after an abort before it is killed.</summary>
    public static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most switch time one run of a script may spend asleep: a script that asks to sleep
    /// past it (<c>time.sleep(1e9)</c>, or a raw bridge request of 1e300 s) would leave a real
    /// switch waiting for ever, so the run ends there as a hang, as a script past its timeout does.
    /// </summary>
    public static readonly TimeSpan LongestSwitchTime = TimeSpan.FromDays(365);

    /// <summary>How much of each of stdout and stderr is kept (the last bytes).</summary>
    public const int OutputLimitBytes = 1024 * 1024;

    /// <summary>The message of a run on a machine without bubblewrap.</summary>
    public const string BwrapMissing = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap";

    // Generous: draining ends when the sandbox's last process is gone, which follows its exit at once.
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _realTime;

    /// <summary>A host that measures timeouts and grace periods on the real clock.</summary>
    public ScriptHost()
        : this(TimeProvider.System)
    {
    }

    /// <param name="realTime">The real clock (never the scenario's): timeouts guard against real hangs.</param>
    public ScriptHost(TimeProvider realTime)
    {
        ArgumentNullException.ThrowIfNull(realTime);
        _realTime = realTime;
    }

    /// <summary>Where bubblewrap is found (tests stand in a machine without it).</summary>
    internal Func<string?> FindBwrap { get; init; } = () => FindOnPath("bwrap");

    /// <summary>Who each run's script is on the host (tests pin it); a uid of its own per run when PoapLab is root.</summary>
    internal Func<SandboxIdentity> Identity { get; init; } = SandboxIdentity.Next;

    /// <summary>The resource limits of every run (the file size and CPU time are then bounded per run).</summary>
    public SandboxLimits Limits { get; init; } = new();

    /// <summary>The message of a run on a machine without util-linux's prlimit or setpriv, or null when both are there.</summary>
    private static string? MissingTool() =>
        File.Exists(Prlimit) && File.Exists(Setpriv) ? null : $"{Prlimit} or {Setpriv} is missing (Debian package util-linux)";

    /// <summary>Where the bridge's Python modules and their bytecode are kept (tests use their own).</summary>
    internal BridgeModuleCache ModuleCache { get; init; } = BridgeModuleCache.Shared;

    /// <summary>Tells tests which private directory a run used, so they can check it is gone.</summary>
    internal Action<string>? BridgeDirectoryCreated { get; init; }

    /// <summary>The fork servers runs are forked from (tests keep their own).</summary>
    internal ForkServerPool ForkServers { get; init; } = ForkServerPool.Shared;

    /// <summary>Who builds each run's sandbox (<see cref="ScriptSandbox"/>); from POAPLAB_SCRIPT_SANDBOX when not set.</summary>
    public ScriptSandbox Sandbox { get; init; } = ScriptSandboxes.FromEnvironment();

    /// <summary>Runs the script to its end; cancellation aborts it (SIGTERM) and still returns a result.</summary>
    public async Task<ScriptRunResult> RunAsync(ScriptRunRequest request, IScriptBridge bridge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(bridge);
        Validate(request);
        var started = _realTime.GetTimestamp();
        ScriptRunResult NotStarted(string error) => new(ScriptEnd.FailedToStart, null, "", "", _realTime.GetElapsedTime(started), error);

        var identity = Identity();
        var canFork = identity.Dedicated && ForkServer.Supports(request.Interpreter);
        var forked = Sandbox switch
        {
            ScriptSandbox.ForkServer => true,
            ScriptSandbox.Bubblewrap => false,
            _ => canFork,
        };
        string? bwrap = null;
        if (forked && !canFork)
        {
            return NotStarted($"the fork server sandboxes scripts when PoapLab runs as root, with Python 3.9 or later; {request.Interpreter.Executable} is {request.Interpreter.Version}");
        }
        if (!forked)
        {
            bwrap = FindBwrap();
            if (bwrap is null)
            {
                return NotStarted(BwrapMissing);
            }
            if (MissingTool() is { } missing)
            {
                return NotStarted(missing);
            }
        }

        var bridgeDirectory = CreateBridgeDirectory();
        BridgeDirectoryCreated?.Invoke(bridgeDirectory);
        try
        {
            // Built and byte-compiled once per interpreter (not cancellable: a few hundred ms at most, once).
            var modules = await ModuleCache.GetAsync(request.Interpreter, CancellationToken.None).ConfigureAwait(false);
            CreateModuleMountPoints(bridgeDirectory, standInYaml: !request.Interpreter.HasYaml);
            using var switchTimeout = new CancellationTokenSource();
            var deadline = SwitchDeadline(bridge.Now, LongestSwitchTime);
            var server = new ScriptBridgeServer(Path.Combine(bridgeDirectory, SocketName), bridge, request.BootflashCapacityBytes, request.BootflashFreeBytes,
                deadline, () => switchTimeout.Cancel());
            await using (server.ConfigureAwait(false))
            {
                var pidNamespace = new System.Runtime.CompilerServices.StrongBox<string?>();
                try
                {
                    try
                    {
                        PrepareSandbox(bridgeDirectory, request, identity, seccompFile: !forked);
                    }
                    catch (IOException e)
                    {
                        // The script's previous run left something the switch's trees cannot be handed over with.
                        return NotStarted($"the switch's filesystem could not be prepared for the script: {e.Message}");
                    }
                    var plan = BuildPlan(bridgeDirectory, modules, request, identity, LimitsFor(request, Limits));
                    ISandboxRun launched;
                    try
                    {
                        launched = bwrap is null
                            ? await StartForkedAsync(plan, request.Interpreter).ConfigureAwait(false)
                            // From the launcher's long-lived thread: bwrap's --die-with-parent is tied to the
                            // thread that forked it, and a pool thread may retire while the script runs.
                            : new BwrapRun(ChildProcessLauncher.Start(BuildStartInfo(bwrap, plan), SeccompPath(bridgeDirectory)), this);
                    }
                    catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException or SocketException)
                    {
                        return NotStarted(bwrap is null ? $"the fork server could not start the script: {e.Message}" : $"{bwrap} could not be started: {e.Message}");
                    }
                    return await RunSandboxAsync(launched, server, request, started, pidNamespace, switchTimeout.Token, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await ReclaimSandboxAsync(request, pidNamespace.Value).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            DeleteBridgeDirectory(bridgeDirectory);
        }
    }

    /// <summary>A run forked by the interpreter's fork server; a server found dead is replaced once.</summary>
    private async Task<ISandboxRun> StartForkedAsync(SandboxPlan plan, PythonInterpreter interpreter)
    {
        var environment = plan.Environment.Where(kv => !kv.Key.StartsWith("POAP_", StringComparison.Ordinal)).ToList();
        for (var attempt = 1; ; attempt++)
        {
            var forkServer = await ForkServers.GetAsync(interpreter, environment).ConfigureAwait(false);
            try
            {
                return forkServer.Start(plan);
            }
            catch (IOException) when (attempt < 2)
            {
                ForkServers.Discard(forkServer);
            }
        }
    }

    private async Task<ScriptRunResult> RunSandboxAsync(
        ISandboxRun launched, ScriptBridgeServer server, ScriptRunRequest request, long started,
        System.Runtime.CompilerServices.StrongBox<string?> pidNamespace, CancellationToken switchTimeout, CancellationToken cancellationToken)
    {
        using var process = launched;
        pidNamespace.Value = await process.PidNamespaceAsync().ConfigureAwait(false);

        var stdout = new TailBuffer(OutputLimitBytes);
        var stderr = new TailBuffer(OutputLimitBytes);
        try
        {
            var pumps = Task.WhenAll(
                PumpAsync(process.StandardOutput, stdout),
                PumpAsync(process.StandardError, stderr));

            var (end, killedHard) = await WaitForEndAsync(process, request.Timeout, request.PowerOff, switchTimeout, cancellationToken).ConfigureAwait(false);
            await Task.WhenAny(pumps, Task.Delay(DrainLimit, _realTime, CancellationToken.None)).ConfigureAwait(false);

            int? exitCode = killedHard ? null : process.ExitCode;
            var error = end switch
            {
                ScriptEnd.TimedOut when server.SwitchTimeExpired => $"the script asked to sleep past {LongestSwitchTime.TotalDays:0} days of switch time, which no switch wakes from: ended as a hang",
                ScriptEnd.TimedOut => $"the script ran past its timeout of {request.Timeout.TotalSeconds:0.###} s and was killed",
                ScriptEnd.Killed when request.PowerOff.IsCancellationRequested => "the switch lost power while the script ran",
                ScriptEnd.Killed => killedHard
                    ? $"the script was aborted (SIGTERM) and killed after {TerminateGrace.TotalSeconds:0} s"
                    : "the script was aborted (SIGTERM)",
                _ when process is ForkedRun { Lost: true } => "the fork server's run ended without a word (its server was killed)",
                _ => server.Fault is null ? null : "script bridge fault: " + server.Fault,
            };
            var stderrText = stderr.ToString();
            if (end == ScriptEnd.Exited && !server.InterpreterStarted && SandboxStartFailure(stderrText))
            {
                // The sandbox failed before Python ran (a bind source missing, exec failed).
                return new ScriptRunResult(ScriptEnd.FailedToStart, exitCode, stdout.ToString(), stderrText, _realTime.GetElapsedTime(started), stderrText.Trim());
            }
            return new ScriptRunResult(end, exitCode, stdout.ToString(), stderrText, _realTime.GetElapsedTime(started), error);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            else if (process.EndedEmpty)
            {
                // Nothing of the sandbox is left to wait for before its files are taken back.
                pidNamespace.Value = null;
            }
        }
    }

    /// <returns>How the run ended, and whether the sandbox had to be killed with SIGKILL.</returns>
    private async Task<(ScriptEnd End, bool KilledHard)> WaitForEndAsync(ISandboxRun process, TimeSpan timeout, CancellationToken powerOff, CancellationToken switchTimeout, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, _realTime);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, switchTimeout, cancellationToken, powerOff);
        try
        {
            await process.WaitForExitAsync(either.Token).ConfigureAwait(false);
            return (ScriptEnd.Exited, false);
        }
        catch (OperationCanceledException) when (either.IsCancellationRequested)
        {
        }

        if (powerOff.IsCancellationRequested)
        {
            // Power lost: no SIGTERM, no grace; the processes die where they stand.
            process.Kill();
            await WaitForExitBoundedAsync(process).ConfigureAwait(false);
            return (ScriptEnd.Killed, true);
        }

        // An abort by the caller wins over a timeout that fell due at the same moment.
        if (!cancellationToken.IsCancellationRequested)
        {
            process.Kill();
            await WaitForExitBoundedAsync(process).ConfigureAwait(false);
            return (ScriptEnd.TimedOut, true);
        }

        if (await process.TerminateAsync().ConfigureAwait(false))
        {
            using var graceSource = new CancellationTokenSource(TerminateGrace, _realTime);
            try
            {
                await process.WaitForExitAsync(graceSource.Token).ConfigureAwait(false);
                return (ScriptEnd.Killed, false);
            }
            catch (OperationCanceledException) when (graceSource.IsCancellationRequested)
            {
            }
        }
        process.Kill();
        await WaitForExitBoundedAsync(process).ConfigureAwait(false);
        return (ScriptEnd.Killed, true);
    }

    private async Task WaitForExitBoundedAsync(ISandboxRun process)
    {
        using var limit = new CancellationTokenSource(DrainLimit, _realTime);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            throw new InvalidOperationException($"the script sandbox (pid {process.Pid}) did not die after SIGKILL");
        }
    }

    private static async Task PumpAsync(Stream stream, TailBuffer buffer)
    {
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk.AsSpan(0, read));
            }
        }
        catch (IOException)
        {
            // The pipe broke with the sandbox: what was read is what there is.
        }
    }

    private static void Validate(ScriptRunRequest request)
    {
        ArgumentNullException.ThrowIfNull(request.Filesystem);
        ArgumentNullException.ThrowIfNull(request.Interpreter);
        ArgumentNullException.ThrowIfNull(request.Environment);
        ArgumentNullException.ThrowIfNull(request.BootflashFreeBytes);
        if (string.IsNullOrEmpty(request.ScriptPath) || request.ScriptPath[0] != '/')
        {
            throw new ArgumentException($"the script path must be absolute as the switch sees it (e.g. /bootflash/scripts/script.sh), not '{request.ScriptPath}'", nameof(request));
        }
        if (request.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"the script timeout must be positive, not {request.Timeout}", nameof(request));
        }
        if (request.BootflashCapacityBytes < 0)
        {
            throw new ArgumentException("the bootflash capacity cannot be negative", nameof(request));
        }
        foreach (var (name, value) in request.Environment)
        {
            if (!name.StartsWith("POAP_", StringComparison.Ordinal) || name.Contains('=', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"only POAP_* variables reach the script; '{name}' is not one", nameof(request));
            }
        }
        if (!Path.IsPathRooted(request.Interpreter.Executable) || !Path.IsPathRooted(request.Interpreter.Prefix))
        {
            throw new ArgumentException("the interpreter's executable and prefix must be absolute paths (use PythonLocator.Resolve)", nameof(request));
        }
    }

    /// <summary>The switch time at which a run started at <paramref name="now"/> times out; the latest time a clock can show when the sum would not fit.</summary>
    internal static DateTimeOffset SwitchDeadline(DateTimeOffset now, TimeSpan timeout) =>
        timeout >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + timeout;

    /// <summary>How the fork server's sandbox set-up starts its messages (poaplab_forkserver.py's SETUP_PREFIX).</summary>
    private const string ForkServerSetupPrefix = "sandbox: ";

    /// <summary>True when stderr shows a step before the interpreter failing (bwrap, prlimit, setpriv, the launcher's guard shell).</summary>
    private static bool SandboxStartFailure(string stderr) =>
        stderr.StartsWith("bwrap: ", StringComparison.Ordinal)
        || stderr.StartsWith(ForkServerSetupPrefix, StringComparison.Ordinal)
        || stderr.StartsWith("prlimit: ", StringComparison.Ordinal)
        || stderr.StartsWith("setpriv: ", StringComparison.Ordinal)
        // The launcher's guard shell could not open the seccomp program (named by its $0, the parent's pid).
        || (stderr.Contains(": cannot open ", StringComparison.Ordinal) && char.IsAsciiDigit(stderr.FirstOrDefault()));

    internal static string? FindOnPath(string name) => ExecutableSearch.Find(name);
}
