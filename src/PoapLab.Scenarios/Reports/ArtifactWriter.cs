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
        // The two timelines are written side by side, each streamed event by event (a fleet's are tens of MB).
        await Task.WhenAll(
            Task.Run(() => WriteTimelineText(result, Path.Combine(dir, "timeline.txt")), cancellationToken),
            Task.Run(() => WriteTimelineJson(result, Path.Combine(dir, "timeline.json")), cancellationToken)).ConfigureAwait(false);
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

    /// <summary>
    /// One switch's logs into its report folder under <paramref name="scenarioDir"/>, as soon as
    /// its run is over (what <see cref="WriteAsync"/> would copy at the end); false when they
    /// could not be (left to <see cref="WriteAsync"/>).
    /// </summary>
    internal static bool TryWriteSwitchLogs(string scenarioDir, NexusSwitch sw)
    {
        try
        {
            var target = Path.Combine(scenarioDir, OutputDirectory.SafeName(sw.State.Identity.Name));
            Directory.CreateDirectory(target);
            CopySwitchLogs(sw.State.Filesystem, Path.GetFileName(sw.SyslogPath), Path.GetFileName(sw.ConsolePath), target);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
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
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        WriteTimelineText(result, text);
        return text.ToString();
    }

    private static void WriteTimelineText(ScenarioResult result, string path)
    {
        using var file = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16);
        WriteTimelineText(result, file);
    }

    private static void WriteTimelineText(ScenarioResult result, TextWriter w)
    {
        var nl = Environment.NewLine;
        foreach (var s in result.Switches)
        {
            w.Write(string.Create(CultureInfo.InvariantCulture, $"switch {s.Name}: {s.Record.SwitchTime:hh\\:mm\\:ss\\.fff} of its own switch time"));
            w.Write(nl);
        }
        w.Write(string.Create(CultureInfo.InvariantCulture, $"scenario span: {result.VirtualDuration:hh\\:mm\\:ss\\.fff} (the longest switch time)"));
        w.Write(nl);
        w.Write(nl);
        w.Write("switch-clock   real-clock  switch        source                event");
        w.Write(nl);
        foreach (var e in result.Timeline)
        {
            w.Write(string.Create(CultureInfo.InvariantCulture,
                $"{e.VirtualTime:hh\\:mm\\:ss\\.fff}  {e.RealTime.TotalSeconds,9:0.000}s  {e.Switch ?? "-",-12}  {e.Source,-20}  {e.Kind}: {e.Message}"));
            w.Write(nl);
        }
    }

    /// <summary>timeline.json, written as it is read (the same document as serialising <see cref="TimelineJson"/>, without holding it whole).</summary>
    internal static void WriteTimelineJson(ScenarioResult result, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = ReportJson.Options.Encoder });
        w.WriteStartObject();
        w.WriteNumber("span_ms", (long)result.VirtualDuration.TotalMilliseconds);
        w.WriteStartArray("switches");
        foreach (var s in result.Switches)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteNumber("switch_time_ms", (long)s.Record.SwitchTime.TotalMilliseconds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("events");
        foreach (var e in result.Timeline)
        {
            w.WriteStartObject();
            w.WriteNumber("seq", e.Sequence);
            w.WriteString("switch", e.Switch);
            w.WriteNumber("switch_time_ms", (long)e.VirtualTime.TotalMilliseconds);
            w.WriteNumber("real_time_ms", Math.Round(e.RealTime.TotalMilliseconds, 3));
            w.WriteString("source", e.Source);
            w.WriteString("kind", e.Kind);
            w.WriteString("message", e.Message);
            if (e.Data is null)
            {
                w.WriteNull("data");
            }
            else
            {
                w.WriteStartObject("data");
                foreach (var (key, value) in e.Data)
                {
                    w.WriteString(key, value);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            if (w.BytesPending > 1 << 16)
            {
                w.Flush();
            }
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    private static void WriteTimelineJson(ScenarioResult result, string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        WriteTimelineJson(result, file);
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
