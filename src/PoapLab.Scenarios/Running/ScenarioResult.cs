using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Running;

/// <summary>One switch's part of a scenario result.</summary>
public sealed record SwitchResult(string Name, SwitchRunRecord Record, IReadOnlyList<string> Failures, string Diagnosis)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>How one scenario went.</summary>
/// <param name="Error">Set when the scenario could not be run at all (setup failed).</param>
public sealed record ScenarioResult(
    Scenario Scenario,
    IReadOnlyList<SwitchResult> Switches,
    IReadOnlyList<LabEvent> Timeline,
    TimeSpan RealDuration,
    TimeSpan VirtualDuration,
    string OutputDirectory,
    string? Error)
{
    /// <summary>The run was cancelled (Ctrl-C, SIGTERM) before this scenario finished or started.</summary>
    public bool Cancelled { get; init; }

    /// <summary>Why the scenario was not run in this run's transport (it makes sense only in another), or null.</summary>
    public string? Skipped { get; init; }

    /// <summary>The bounds of <c>expect: fleet:</c> the switches missed together (<see cref="FleetExpectations"/>); empty when met or unset.</summary>
    public IReadOnlyList<string> FleetFailures { get; init; } = [];

    public bool Passed => Error is null && !Cancelled && Skipped is null && FleetFailures.Count == 0 && Switches.All(s => s.Passed);

    /// <summary>How it ended, as the reports say it: passed, failed, error, skipped or cancelled.</summary>
    public string Status => Cancelled ? "cancelled" : Skipped is not null ? "skipped" : Error is not null ? "error" : Passed ? "passed" : "failed";

    /// <summary>Neither passed nor failed: cancelled or skipped.</summary>
    public bool NotRun => Cancelled || Skipped is not null;

    /// <summary>Everything that did not match, one line each, prefixed with the switch.</summary>
    public IReadOnlyList<string> Failures =>
        Cancelled
            ? ["cancelled"]
            : Skipped is not null
            ? []
            : Error is not null
            ? [Error]
            : [.. FleetFailures, .. Switches.SelectMany(s => s.Failures.Select(f => $"{s.Name}: {f}"))];

    /// <summary>A scenario this run's transport does not run: nothing of it ran or was written.</summary>
    public static ScenarioResult SkippedBecause(Scenario scenario, string outputDirectory, string why) =>
        new(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outputDirectory, null) { Skipped = why };

    /// <summary>A scenario the run was cancelled before it started: nothing of it ran or was written.</summary>
    public static ScenarioResult CancelledBeforeStart(Scenario scenario, string outputDirectory) =>
        new(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outputDirectory, null) { Cancelled = true };
}

/// <summary>Options of a run of several scenarios.</summary>
/// <param name="OutputDirectory">Where reports and per-scenario artifacts go.</param>
/// <param name="ScriptOverride">A user's script served in place of the scenarios' scripts.</param>
/// <param name="MaxSwitches">How many simulated switches run at once.</param>
public sealed record RunOptions(string OutputDirectory, string? ScriptOverride = null, int MaxSwitches = 6)
{
    /// <summary>The bytes free under a directory (default: what the filesystem says, statvfs); a seam for tests.</summary>
    public Func<string, long> FreeSpace { get; init; } = path => new DriveInfo(path).AvailableFreeSpace;

    /// <summary>Called with every event of every scenario as it is recorded (live progress); must be quick and not throw.</summary>
    public Action<Scenario, LabEvent>? Observer { get; init; }

    /// <summary>How each scenario's switches and servers meet (<c>--network</c>); null: the virtual transport.</summary>
    public PoapLab.Lab.Transports.ILabTransportFactory? Transport { get; init; }
}
