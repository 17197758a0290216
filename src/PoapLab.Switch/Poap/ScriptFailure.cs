using System.Text.RegularExpressions;

namespace PoapLab.Switch.Poap;

/// <summary>
/// Why a failed script says it stopped, for the attempt's headline: the exception it died of
/// (the last line of its traceback), or else the last error it logged before cleaning up —
/// not a compiler warning it printed on the way, nor its closing "Cleanup all files" message.
/// </summary>
public static partial class ScriptFailure
{
    /// <summary>True for a syslog message that reports a failure (the scripts' wording: "ERR :", "failed", "aborting", ...).</summary>
    public static bool LooksLikeError(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return ErrorWords().IsMatch(message);
    }

    /// <summary>
    /// The headline's parenthesis: <c> (…)</c>, or <c>""</c> when the script left nothing to go by.
    /// </summary>
    /// <param name="stderr">The script's standard error.</param>
    /// <param name="lastErrorSyslog">Its last syslog message that <see cref="LooksLikeError"/>, or null.</param>
    /// <param name="lastSyslog">Its last syslog message, or null.</param>
    public static string Headline(string stderr, string? lastErrorSyslog, string? lastSyslog)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        var lines = WithoutWarnings(stderr.Split('\n').Select(l => l.TrimEnd('\r')).ToList());
        var traceback = lines.FindLastIndex(l => l.StartsWith("Traceback (most recent call last)", StringComparison.Ordinal));
        if (traceback >= 0)
        {
            // After the frames (indented) comes the exception; a message of several lines ends the output.
            var last = lines.Skip(traceback + 1).Where(l => l.Trim().Length > 0).LastOrDefault();
            if (last is not null)
            {
                return $" ({last.Trim()})";
            }
        }
        if (!string.IsNullOrWhiteSpace(lastErrorSyslog))
        {
            return $" (its last error: {lastErrorSyslog.Trim()})";
        }
        var printed = lines.Where(l => l.Trim().Length > 0).LastOrDefault();
        if (printed is not null)
        {
            return $" ({printed.Trim()})";
        }
        return string.IsNullOrWhiteSpace(lastSyslog) ? "" : $" (its last message: {lastSyslog.Trim()})";
    }

    /// <summary>Drops Python's warning lines (<c>file:12: SyntaxWarning: ...</c>) and the source line printed under each.</summary>
    private static List<string> WithoutWarnings(List<string> lines)
    {
        var kept = new List<string>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            if (WarningLine().IsMatch(lines[i]))
            {
                if (i + 1 < lines.Count && lines[i + 1].StartsWith(' '))
                {
                    i++;
                }
                continue;
            }
            kept.Add(lines[i]);
        }
        return kept;
    }

    [GeneratedRegex(@"^.*:\d+: \w*Warning: ", RegexOptions.CultureInvariant)]
    private static partial Regex WarningLine();

    [GeneratedRegex(@"(?i)(\berr(or)?\b|\bfail(s|ed|ure)?\b|\babort(s|ed|ing)?\b|\bunable\b|\bcannot\b|can't|\binvalid\b|\bnot found\b|\bno such\b|\bdenied\b|\btimed? ?out\b|\bmismatch\b|\bno space\b)", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorWords();
}
