using PoapLab.Core.Events;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Assertions;

/// <summary>What a scenario run left behind for one switch: the facts expectations are checked on.</summary>
public sealed record SwitchRunRecord(
    string Name,
    PoapRunResult Result,
    IReadOnlyList<LabEvent> Events,
    IReadOnlyList<string> RunningConfig,
    IReadOnlyList<string> BootflashFiles,
    string Syslog)
{
    /// <summary>The switch's own clock when its run ended (switch time since the scenario started).</summary>
    public TimeSpan SwitchTime { get; init; }
}
