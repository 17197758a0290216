using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Device;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Running;

/// <summary>What one switch of a scenario did, checked against its <c>expect:</c>.</summary>
internal static class SwitchResults
{
    /// <summary>
    /// The switch's record (its own events and the servers' answers to it, so <c>count:</c>
    /// expectations count per switch; its running config, flash and syslog; its own switch
    /// time), the expectations' failures and the plain-words diagnosis.
    /// </summary>
    public static async Task<SwitchResult> CheckAsync(Scenario scenario, SwitchModel model, NexusSwitch sw, PoapRunResult run, Timeline timeline, IReadOnlyList<LabEvent> events, CancellationToken cancellationToken)
    {
        var record = new SwitchRunRecord(
            model.Name, run,
            events.Where(e => e.Switch == model.Name).ToList(),
            sw.State.RunningConfig.ToList(),
            ListFiles(sw.State.Bootflash.Files),
            await File.ReadAllTextAsync(sw.SyslogPath, cancellationToken).ConfigureAwait(false))
        {
            SwitchTime = timeline.SwitchTime(model.Name) ?? TimeSpan.Zero,
        };
        var failures = Expectations.Check(model.Expect ?? scenario.Expect, record);
        return new SwitchResult(model.Name, record, failures, Expectations.Diagnose(record));
    }

    /// <summary>The regular files on a switch's flash (links are not followed, nor listed as files).</summary>
    private static List<string> ListFiles(FileTree flash)
    {
        try
        {
            return [.. flash.Walk().Where(e => e.Kind == FileEntryKind.File).Select(e => e.Path).Order(StringComparer.Ordinal)];
        }
        catch (SwitchFileException)
        {
            return [];
        }
    }
}
