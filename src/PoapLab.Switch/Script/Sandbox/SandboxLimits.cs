using System.Globalization;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// The resource limits a script runs under (setrlimit(2), applied by <c>prlimit</c> inside
/// the sandbox, soft = hard so the script cannot raise them). A POAP script is one Python
/// process that may start a few helpers (<c>file</c>, a child interpreter); these leave it
/// room for that and stop a fork bomb, a runaway allocation or an endless writer.
/// </summary>
public sealed record SandboxLimits
{
    /// <summary>Processes and threads of the script's uid (<c>RLIMIT_NPROC</c>; threads count).</summary>
    public int Processes { get; init; } = 64;

    /// <summary>Address space per process (<c>RLIMIT_AS</c>).</summary>
    public long AddressSpaceBytes { get; init; } = 1L << 30;

    /// <summary>Open files per process (<c>RLIMIT_NOFILE</c>).</summary>
    public int OpenFiles { get; init; } = 256;

    /// <summary>The largest file a process may write (<c>RLIMIT_FSIZE</c>); a run lowers it to the flash's capacity.</summary>
    public long FileSizeBytes { get; init; } = 2L << 30;

    /// <summary>CPU seconds per process (<c>RLIMIT_CPU</c>); the run sets it from the script's timeout.</summary>
    public long CpuSeconds { get; init; } = 3600;

    /// <summary>Size of the sandbox's own <c>/dev/shm</c>, which would otherwise take up to half the host's memory.</summary>
    public long SharedMemoryBytes { get; init; } = 16L << 20;

    /// <summary>Each limit as <c>prlimit</c> names it, as setrlimit(2) names it, and its value.</summary>
    private IEnumerable<(string Prlimit, string Rlimit, long Value)> All()
    {
        yield return ("nproc", "RLIMIT_NPROC", Processes);
        yield return ("as", "RLIMIT_AS", AddressSpaceBytes);
        yield return ("nofile", "RLIMIT_NOFILE", OpenFiles);
        yield return ("fsize", "RLIMIT_FSIZE", FileSizeBytes);
        yield return ("cpu", "RLIMIT_CPU", CpuSeconds);
        yield return ("core", "RLIMIT_CORE", 0);
        yield return ("memlock", "RLIMIT_MEMLOCK", 64 * 1024);
        yield return ("msgqueue", "RLIMIT_MSGQUEUE", 64 * 1024);
    }

    /// <summary>The <c>prlimit</c> options that apply these limits.</summary>
    public IEnumerable<string> PrlimitArguments() =>
        All().Select(l => string.Create(CultureInfo.InvariantCulture, $"--{l.Prlimit}={l.Value}:{l.Value}"));

    /// <summary>The limits by their setrlimit(2) names (Python's <c>resource</c> module has the same).</summary>
    public IEnumerable<KeyValuePair<string, long>> Rlimits() =>
        All().Select(l => KeyValuePair.Create(l.Rlimit, l.Value));
}
