using System.Globalization;
using System.IO.Enumeration;
using System.Text;
using System.Text.Json;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Device;
using PoapLab.Switch.Flash;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// Writes what one scenario left behind: the event timeline (text and JSON), and per
/// switch its POAP log, syslog, console, the script's own log and output.
/// </summary>
/// <remarks>
/// The switch's files are the script's to shape: links, FIFOs and devices named like logs are
/// skipped, and only regular files opened without following a link are copied, each up to
/// <see cref="MaxCopiedBytes"/> (the rest is cut with a note), at most <see cref="MaxCopiedFiles"/>
/// per log, so no file the script plants can hang the report or bring a host file into it.
/// </remarks>
public static class ArtifactWriter
{
    /// <summary>The most of one file copied into the report: 16 MiB.</summary>
    public const long MaxCopiedBytes = 16L << 20;

    /// <summary>The most bootflash files gathered into one report log.</summary>
    public const int MaxCopiedFiles = 100;

    public static async Task WriteAsync(ScenarioResult result, IReadOnlyList<NexusSwitch> switches, CancellationToken cancellationToken)
    {
        var dir = result.OutputDirectory;
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "timeline.txt"), TimelineText(result), cancellationToken).ConfigureAwait(false);
        await using (var json = File.Create(Path.Combine(dir, "timeline.json")))
        {
            await JsonSerializer.SerializeAsync(json, TimelineJson(result), ReportJson.Options, cancellationToken).ConfigureAwait(false);
        }
        var summary = new StringBuilder();
        summary.AppendLine(CultureInfo.InvariantCulture, $"{(result.Passed ? "PASS" : "FAIL")} {result.Scenario.Name}  ({result.Scenario.FilePath})");
        if (result.Error is not null)
        {
            summary.AppendLine(result.Error);
        }
        foreach (var f in result.FleetFailures)
        {
            summary.AppendLine(CultureInfo.InvariantCulture, $"expectation not met: {f}");
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
            var target = Path.Combine(dir, OutputDirectory.SafeName(sw.State.Identity.Name));
            Directory.CreateDirectory(target);
            CopySwitchLogs(sw.State.Filesystem, Path.GetFileName(sw.SyslogPath), Path.GetFileName(sw.ConsolePath), target);
        }
    }

    /// <summary>One switch's logs into its report folder <paramref name="target"/>.</summary>
    internal static void CopySwitchLogs(SwitchFilesystem fs, string syslogName, string consoleName, string target)
    {
        Copy(fs.LogsFiles, syslogName, Path.Combine(target, "syslog.log"));
        Copy(fs.LogsFiles, consoleName, Path.Combine(target, "console.log"));
        Copy(fs.LogsFiles, "script.stdout.log", Path.Combine(target, "script.stdout.log"));
        Copy(fs.LogsFiles, "script.stderr.log", Path.Combine(target, "script.stderr.log"));
        Concatenate(fs.BootflashFiles, "*_poap_*_init.log", Path.Combine(target, "poap.log"));
        Concatenate(fs.BootflashFiles, "*script.log", Path.Combine(target, "script.log"));
        Copy(fs.LogsFiles, "cli-transcript.log", Path.Combine(target, "cli.log"));
    }

    /// <summary>
    /// The timeline as a person reads it: each switch's own time at the end and the scenario's
    /// span (the longest), then per event the clock of the switch it concerns (the span so far
    /// for one that concerns no switch), real time, the switch, the source and what happened.
    /// </summary>
    public static string TimelineText(ScenarioResult result)
    {
        var sb = new StringBuilder();
        foreach (var s in result.Switches)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"switch {s.Name}: {s.Record.SwitchTime:hh\\:mm\\:ss\\.fff} of its own switch time"));
        }
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"scenario span: {result.VirtualDuration:hh\\:mm\\:ss\\.fff} (the longest switch time)"));
        sb.AppendLine();
        sb.AppendLine("switch-clock   real-clock  switch        source                event");
        foreach (var e in result.Timeline)
        {
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.VirtualTime:hh\\:mm\\:ss\\.fff}  {e.RealTime.TotalSeconds,9:0.000}s  {e.Switch ?? "-",-12}  {e.Source,-20}  {e.Kind}: {e.Message}"));
        }
        return sb.ToString();
    }

    /// <summary>The timeline as data: the span, each switch's own time, and the events.</summary>
    internal static object TimelineJson(ScenarioResult result) => new
    {
        span_ms = (long)result.VirtualDuration.TotalMilliseconds,
        switches = result.Switches.Select(s => new { name = s.Name, switch_time_ms = (long)s.Record.SwitchTime.TotalMilliseconds }),
        events = result.Timeline.Select(ToJson),
    };

    internal static object ToJson(LabEvent e) => new
    {
        seq = e.Sequence,
        @switch = e.Switch,
        switch_time_ms = (long)e.VirtualTime.TotalMilliseconds,
        real_time_ms = Math.Round(e.RealTime.TotalMilliseconds, 3),
        source = e.Source,
        kind = e.Kind,
        message = e.Message,
        data = e.Data,
    };

    /// <summary>Copies a regular file of a switch tree (never through a link) into the report, when it is there.</summary>
    private static void Copy(FileTree tree, string name, string to)
    {
        if (tree.Stat(name, followLinks: false) is not { Kind: FileEntryKind.File })
        {
            return;
        }
        using var output = File.Create(to);
        CopyBounded(tree, name, output);
    }

    /// <summary>The regular files at the top of the flash whose names match <paramref name="pattern"/>, one after the other.</summary>
    private static void Concatenate(FileTree flash, string pattern, string to)
    {
        List<string> names;
        try
        {
            names = [.. flash.List("")
                .Where(e => e.Kind == FileEntryKind.File && FileSystemName.MatchesSimpleExpression(pattern, e.Name, ignoreCase: false))
                .Select(e => e.Name)
                .Order(StringComparer.Ordinal)
                .Take(MaxCopiedFiles)];
        }
        catch (SwitchFileException)
        {
            return;
        }
        if (names.Count == 0)
        {
            return;
        }
        using var output = File.Create(to);
        foreach (var name in names)
        {
            output.Write(Encoding.UTF8.GetBytes($"===== {name} =====\n"));
            CopyBounded(flash, name, output);
        }
    }

    /// <summary>
    /// Copies one file: opened without following a link, refused unless regular (a FIFO swapped in
    /// since the listing is never read), at most <see cref="MaxCopiedBytes"/>.
    /// </summary>
    private static void CopyBounded(FileTree tree, string name, Stream output)
    {
        try
        {
            using var input = tree.OpenRead(name, followLinks: false);
            var buffer = new byte[1 << 16];
            long copied = 0;
            int n;
            while (copied < MaxCopiedBytes && (n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, MaxCopiedBytes - copied))) > 0)
            {
                output.Write(buffer, 0, n);
                copied += n;
            }
            if (copied == MaxCopiedBytes && input.ReadByte() >= 0)
            {
                output.Write(Encoding.UTF8.GetBytes($"\n[PoapLab: {name} cut at {MaxCopiedBytes} bytes]\n"));
            }
        }
        catch (SwitchFileException e)
        {
            output.Write(Encoding.UTF8.GetBytes($"[PoapLab: {name} not copied: {e.Message}]\n"));
        }
    }
}
