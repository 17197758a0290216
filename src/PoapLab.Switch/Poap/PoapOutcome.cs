namespace PoapLab.Switch.Poap;

/// <summary>The phases of a POAP run, in the order a successful run reaches them.</summary>
public enum PoapPhase
{
    Boot,
    Dhcp,
    ScriptDownload,
    ScriptValidation,
    ScriptRun,
    Reload,
    ConfigReplay,
    Completed,
}

/// <summary>How a switch's run ended.</summary>
public enum PoapOutcome
{
    /// <summary>The switch reloaded onto its new image and saved the replayed configuration: POAP is over.</summary>
    Provisioned,

    /// <summary>Every allowed POAP attempt failed (a real switch would keep trying).</summary>
    Failed,

    /// <summary>After a reload the boot variable named no bootable image: the switch sits at the loader prompt.</summary>
    BootFailed,

    /// <summary>The operator aborted POAP at the console.</summary>
    Aborted,

    /// <summary>The switch kept reloading into POAP past the allowed number of reloads.</summary>
    ReloadLoop,
}

/// <summary>One POAP attempt: how far it got and why it stopped.</summary>
public sealed record PoapAttempt(int Number, int Boot, PoapPhase Reached, bool Succeeded, string? Failure, int? ScriptExitCode);

/// <summary>What happened to a switch from power-on to the end of the run.</summary>
public sealed record PoapRunResult(
    PoapOutcome Outcome,
    IReadOnlyList<PoapAttempt> Attempts,
    int Reloads,
    string RunningVersion,
    string RunningImage,
    IReadOnlySet<PoapPhase> PhasesReached,
    string? Reason);
