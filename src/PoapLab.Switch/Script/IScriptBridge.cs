using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Script;

/// <summary>
/// What the script's <c>cli</c>, <c>syslog</c> and <c>time.sleep</c> reach on the switch side.
/// The switch implements it; the script host calls it from the bridge.
/// </summary>
public interface IScriptBridge
{
    /// <summary><c>cli(cmd)</c> / <c>clip(cmd)</c> (json false) and <c>clid(cmd)</c> (json true).</summary>
    Task<CliResult> CliAsync(string command, bool json, CancellationToken cancellationToken);

    /// <summary><c>syslog.syslog(priority, message)</c>.</summary>
    void Syslog(int priority, string message);

    /// <summary><c>time.sleep(seconds)</c>: on the scenario's clock, costs no real time.</summary>
    Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>The switch's wall clock now (what <c>time.time()</c> returns in the script).</summary>
    DateTimeOffset Now { get; }
}

/// <summary>How a script run ended.</summary>
public enum ScriptEnd
{
    /// <summary>The interpreter exited by itself; see the exit code.</summary>
    Exited,

    /// <summary>It ran past its timeout and was killed.</summary>
    TimedOut,

    /// <summary>It was ended by a signal from outside (operator abort, power loss).</summary>
    Killed,

    /// <summary>The interpreter or the sandbox could not be started.</summary>
    FailedToStart,
}

/// <summary>A Python interpreter on the host that can run scripts.</summary>
/// <param name="Executable">The real binary (not a pyenv shim).</param>
/// <param name="Version">e.g. <c>3.11.7</c> or <c>2.7.18</c>.</param>
/// <param name="Prefix">The installation prefix the sandbox must make visible (read-only).</param>
public sealed record PythonInterpreter(string Executable, string Version, string Prefix)
{
    public int Major => Version.StartsWith('2') ? 2 : 3;

    /// <summary>
    /// Whether the interpreter can import PyYAML itself (as a switch's Python can). When it
    /// cannot, the sandbox offers PoapLab's own minimal <c>yaml</c> module in its place.
    /// <see cref="PythonLocator.Resolve"/> sets it; false when unknown (the stand-in is then
    /// offered but still loses to a real PyYAML on the path).
    /// </summary>
    public bool HasYaml { get; init; }
}

/// <summary>One run of a POAP script.</summary>
/// <param name="Filesystem">Host directories mapped into the sandbox as /bootflash, /tmp, /isan, ...</param>
/// <param name="ScriptPath">The script as the switch sees it, e.g. <c>/bootflash/scripts/script.sh</c>.</param>
/// <param name="Environment">The POAP_* variables.</param>
/// <param name="Timeout">Real time after which the script is killed (a hang).</param>
/// <param name="BootflashCapacityBytes">What <c>os.statvfs("/bootflash")</c> reports as total.</param>
/// <param name="BootflashFreeBytes">A callback for the free bytes <c>os.statvfs</c> reports, read at each call.</param>
public sealed record ScriptRunRequest(
    Flash.SwitchFilesystem Filesystem,
    string ScriptPath,
    PythonInterpreter Interpreter,
    IReadOnlyDictionary<string, string> Environment,
    TimeSpan Timeout,
    long BootflashCapacityBytes,
    Func<long> BootflashFreeBytes)
{
    /// <summary>
    /// Offer NX-OS 6.x's <c>cisco</c> module (Nexus 3000/5000 images before 7.x):
    /// <c>import cisco</c> succeeds and scripts take their legacy path. False (modern images):
    /// <c>import cisco</c> fails, as it does on the switch.
    /// </summary>
    public bool LegacyCiscoModule { get; init; }

    /// <summary>
    /// Cancelled when the switch loses power: the sandbox is killed at once (SIGKILL), so no
    /// signal handler of the script runs and nothing more reaches the switch.
    /// </summary>
    public CancellationToken PowerOff { get; init; }
}

/// <summary>What a script run produced.</summary>
public sealed record ScriptRunResult(ScriptEnd End, int? ExitCode, string Stdout, string Stderr, TimeSpan RealDuration, string? Error);
