using System.Globalization;
using System.Text;
using System.Text.Json;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Device;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// Writes what one scenario left behind: the event timeline (text and JSON), and per
/// switch its POAP log, syslog, console, the script's own log and output.
/// </summary>
public static class ArtifactWriter
{
    public static async Task WriteAsync(ScenarioResult result, IReadOnlyList<NexusSwitch> switches, CancellationToken cancellationToken)
    {
        var dir = result.OutputDirectory;
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "timeline.txt"), TimelineText(result.Timeline), cancellationToken).ConfigureAwait(false);
        await using (var json = File.Create(Path.Combine(dir, "timeline.json")))
        {
            await JsonSerializer.SerializeAsync(json, result.Timeline.Select(ToJson), ReportJson.Options, cancellationToken).ConfigureAwait(false);
        }
        var summary = new StringBuilder();
        summary.AppendLine(CultureInfo.InvariantCulture, $"{(result.Passed ? "PASS" : "FAIL")} {result.Scenario.Name}  ({result.Scenario.FilePath})");
        if (result.Error is not null)
        {
            summary.AppendLine(result.Error);
        }
        foreach (var s in result.Switches)
        {
            summary.AppendLine(s.Diagnosis);
            foreach (var f in s.Failures)
            {
                summary.AppendLine(CultureInfo.InvariantCulture, $"  expectation not met: {f}");
            }
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "summary.txt"), summary.ToString(), cancellationToken).ConfigureAwait(false);

        foreach (var sw in switches)
        {
            var target = Path.Combine(dir, ScenarioRunner.SafeName(sw.State.Identity.Name));
            Directory.CreateDirectory(target);
            var fs = sw.State.Filesystem;
            Copy(sw.SyslogPath, Path.Combine(target, "syslog.log"));
            Copy(sw.ConsolePath, Path.Combine(target, "console.log"));
            Copy(Path.Combine(fs.LogsPath, "script.stdout.log"), Path.Combine(target, "script.stdout.log"));
            Copy(Path.Combine(fs.LogsPath, "script.stderr.log"), Path.Combine(target, "script.stderr.log"));
            Concatenate(Directory.Exists(fs.BootflashPath) ? Directory.GetFiles(fs.BootflashPath, "*_poap_*_init.log") : [], Path.Combine(target, "poap.log"));
            Concatenate(Directory.Exists(fs.BootflashPath) ? Directory.GetFiles(fs.BootflashPath, "*script.log") : [], Path.Combine(target, "script.log"));
            Copy(Path.Combine(fs.LogsPath, "cli-transcript.log"), Path.Combine(target, "cli.log"));
        }
    }

    /// <summary>The timeline as a person reads it: both clocks, the source, what happened.</summary>
    public static string TimelineText(IEnumerable<LabEvent> events)
    {
        var sb = new StringBuilder();
        sb.AppendLine("switch-clock   real-clock  source                event");
        foreach (var e in events)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.VirtualTime:hh\\:mm\\:ss\\.fff}  {e.RealTime.TotalSeconds,9:0.000}s  {e.Source,-20}  {e.Kind}: {e.Message}"));
        }
        return sb.ToString();
    }

    internal static object ToJson(LabEvent e) => new
    {
        seq = e.Sequence,
        switch_time_ms = (long)e.VirtualTime.TotalMilliseconds,
        real_time_ms = Math.Round(e.RealTime.TotalMilliseconds, 3),
        source = e.Source,
        kind = e.Kind,
        message = e.Message,
        data = e.Data,
    };

    private static void Copy(string from, string to)
    {
        if (File.Exists(from))
        {
            File.Copy(from, to, overwrite: true);
        }
    }

    private static void Concatenate(IEnumerable<string> files, string to)
    {
        var sorted = files.Order(StringComparer.Ordinal).ToList();
        if (sorted.Count == 0)
        {
            return;
        }
        using var output = new StreamWriter(to);
        foreach (var f in sorted)
        {
            output.WriteLine($"===== {Path.GetFileName(f)} =====");
            output.Write(File.ReadAllText(f));
        }
    }
}
