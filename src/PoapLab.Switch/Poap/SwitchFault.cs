namespace PoapLab.Switch.Poap;

/// <summary>Something that happens to the switch itself during POAP.</summary>
public enum SwitchFaultKind
{
    /// <summary>The operator answers <c>yes</c> at the abort prompt, or aborts a running script (SIGTERM).</summary>
    OperatorAbort,

    /// <summary>The switch loses power: it boots again from what is on its flash.</summary>
    PowerLoss,
}

/// <summary>A switch fault: what, at which phase, on which attempt.</summary>
/// <param name="Phase">
/// Where it strikes: <see cref="PoapPhase.Boot"/> (at the abort prompt, before DHCP),
/// <see cref="PoapPhase.Dhcp"/>, <see cref="PoapPhase.ScriptDownload"/>,
/// <see cref="PoapPhase.ScriptRun"/> (after the script's Nth CLI command), ...
/// </param>
/// <param name="Attempt">The POAP attempt (null: the first time the phase is reached).</param>
/// <param name="AfterCommands">For <see cref="PoapPhase.ScriptRun"/>: after this many CLI commands of the script.</param>
public sealed record SwitchFault(SwitchFaultKind Kind, PoapPhase Phase, int? Attempt = null, int AfterCommands = 1)
{
    public string Describe() =>
        $"{(Kind == SwitchFaultKind.OperatorAbort ? "operator abort" : "power loss")} at {Phase}" +
        (Phase == PoapPhase.ScriptRun ? $" after {AfterCommands} CLI command(s)" : "") +
        (Attempt is { } a ? $" on attempt {a}" : "");
}

/// <summary>Raised inside the agent when a switch fault strikes; ends the POAP run where it is.</summary>
public sealed class SwitchInterruptedException(SwitchFault fault) : Exception(fault.Describe())
{
    public SwitchFault Fault { get; } = fault;
}

/// <summary>The switch faults of a run, each firing once, at the first matching moment.</summary>
public sealed class SwitchFaultSchedule(IReadOnlyList<SwitchFault> faults)
{
    private readonly HashSet<SwitchFault> _fired = [];

    /// <summary>Throws <see cref="SwitchInterruptedException"/> when a fault strikes on reaching <paramref name="phase"/>.</summary>
    public void Checkpoint(PoapPhase phase, int attempt)
    {
        if (phase != PoapPhase.ScriptRun && Due(phase, attempt) is { } fault)
        {
            throw new SwitchInterruptedException(fault);
        }
    }

    /// <summary>The script-run fault due after the script's <paramref name="commands"/>th CLI command, if any (marked fired).</summary>
    public SwitchFault? DuringScript(int attempt, int commands)
    {
        foreach (var f in faults)
        {
            if (f.Phase == PoapPhase.ScriptRun && !_fired.Contains(f) && (f.Attempt is null || f.Attempt == attempt) && commands >= f.AfterCommands)
            {
                _fired.Add(f);
                return f;
            }
        }
        return null;
    }

    private SwitchFault? Due(PoapPhase phase, int attempt)
    {
        foreach (var f in faults)
        {
            if (f.Phase == phase && !_fired.Contains(f) && (f.Attempt is null || f.Attempt == attempt))
            {
                _fired.Add(f);
                return f;
            }
        }
        return null;
    }
}
