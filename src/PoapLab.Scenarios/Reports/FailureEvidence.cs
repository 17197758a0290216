using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Core.Events;

namespace PoapLab.Scenarios.Reports;

/// <summary>Lines of one log that show why a switch failed; <see cref="Marked"/> are the telling ones.</summary>
/// <param name="Source">Where they come from: a log file relative to the report, or "timeline".</param>
/// <param name="FirstLine">The 1-based number of the first line shown (0 for the timeline).</param>
public sealed record EvidenceExcerpt(string Source, int FirstLine, IReadOnlyList<string> Lines, IReadOnlySet<int> Marked);

/// <summary>
/// Finds the evidence of a switch's failure: the timeline around its first failure event, and
/// the lines of the script's log and stderr that say what went wrong. Every read is bounded
/// (the end of a log, a few lines, each cut), so a hostile script's logs cannot swell the report.
/// </summary>
public static partial class FailureEvidence
{
    /// <summary>Lines shown around a telling line, before and after.</summary>
    public const int Context = 4;

    /// <summary>The most characters of one line shown.</summary>
    public const int MaxLineChars = 300;

    /// <summary>How much of the end of a log is searched.</summary>
    public const int TailBytes = 256 * 1024;

    private static readonly string[] FailureKinds =
    [
        EventKinds.PoapAttemptFailed, EventKinds.ScriptTimedOut, EventKinds.ScriptMd5Failed, EventKinds.ScriptDownloadFailed,
        EventKinds.BootFailed, EventKinds.TransferFailed, EventKinds.ConfigReplayError, EventKinds.PoapGaveUp, EventKinds.DhcpTimeout,
        EventKinds.CliUnsupported, EventKinds.TftpServerFailed, EventKinds.FaultInjected, EventKinds.PoapAborted, EventKinds.PowerLoss,
    ];

    [GeneratedRegex(@"invalid|error|fail|traceback|exception|abort|denied|refused|not found|no such|timed out", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Telling();

    /// <summary>
    /// The excerpts for one switch: the timeline up to its first failure event, then the script's
    /// stderr and log around their last telling line (<paramref name="switchDir"/> is its log folder,
    /// <paramref name="relative"/> the same folder as the report links it).
    /// </summary>
    public static IReadOnlyList<EvidenceExcerpt> For(IReadOnlyList<LabEvent> switchEvents, string switchDir, string relative)
    {
        var excerpts = new List<EvidenceExcerpt>();
        var first = -1;
        for (int i = 0; i < switchEvents.Count; i++)
        {
            if (FailureKinds.Contains(switchEvents[i].Kind) || (switchEvents[i].Kind == EventKinds.ScriptExited && switchEvents[i].Get("exit_code") is { } c && c != "0"))
            {
                first = i;
                break;
            }
        }
        if (first >= 0)
        {
            // The events before it, without the script's syslog lines twice (as switch.syslog and script.syslog).
            var before = new List<LabEvent>();
            for (int i = first - 1; i >= 0 && before.Count < 2 * Context; i--)
            {
                if (!(switchEvents[i].Kind == EventKinds.Syslog && switchEvents[i].Message.Contains("%USER-", StringComparison.Ordinal)))
                {
                    before.Insert(0, switchEvents[i]);
                }
            }
            before.Add(switchEvents[first]);
            var lines = new List<string>();
            foreach (var e in before)
            {
                lines.Add(Cut(string.Create(CultureInfo.InvariantCulture, $"{e.VirtualTime:hh\\:mm\\:ss\\.fff}  {e.Kind}: {e.Message}")));
            }
            excerpts.Add(new EvidenceExcerpt("timeline", 0, lines, new HashSet<int> { lines.Count - 1 }));
        }
        foreach (var log in new[] { "script.stderr.log", "script.log" })
        {
            if (Around(Path.Combine(switchDir, log), relative + "/" + log) is { } excerpt)
            {
                excerpts.Add(excerpt);
            }
        }
        return excerpts;
    }

    /// <summary>The lines around the last telling line at the end of a log; null when it has none (or cannot be read).</summary>
    internal static EvidenceExcerpt? Around(string path, string shownAs)
    {
        string[] lines;
        int skippedLines;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null || info.Length == 0)
            {
                return null;
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var start = Math.Max(0, stream.Length - TailBytes);
            skippedLines = start == 0 ? 0 : CountLines(stream, start);
            stream.Position = start;
            var buffer = new byte[stream.Length - start];
            stream.ReadExactly(buffer);
            lines = Encoding.UTF8.GetString(buffer).Split('\n');
            if (start > 0 && lines.Length > 1)
            {
                lines = lines[1..];
                skippedLines++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
        var hit = -1;
        for (int i = lines.Length - 1; i >= 0; i--)
        {
            if (!lines[i].StartsWith("--- attempt ", StringComparison.Ordinal) && Telling().IsMatch(Cut(lines[i])))
            {
                hit = i;
                break;
            }
        }
        if (hit < 0)
        {
            return null;
        }
        var from = Math.Max(0, hit - Context);
        var to = Math.Min(lines.Length - 1, hit + Context);
        var shown = new List<string>();
        var marked = new HashSet<int>();
        for (int i = from; i <= to; i++)
        {
            if (i == to && lines[i].Length == 0)
            {
                break;
            }
            if (Telling().IsMatch(Cut(lines[i])))
            {
                marked.Add(shown.Count);
            }
            shown.Add(Cut(lines[i].TrimEnd('\r')));
        }
        return new EvidenceExcerpt(shownAs, skippedLines + from + 1, shown, marked);
    }

    private static int CountLines(FileStream stream, long upTo)
    {
        // Counted in the skipped part only, which a script bounds (its logs are cut at 16 MiB).
        stream.Position = 0;
        var count = 0;
        var buffer = new byte[1 << 16];
        long read = 0;
        while (read < upTo)
        {
            var n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, upTo - read));
            if (n <= 0)
            {
                break;
            }
            count += buffer.AsSpan(0, n).Count((byte)'\n');
            read += n;
        }
        return count;
    }

    private static string Cut(string line) => line.Length <= MaxLineChars ? line : line[..MaxLineChars] + " …";
}
