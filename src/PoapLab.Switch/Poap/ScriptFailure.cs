using System.Text.RegularExpressions;

namespace PoapLab.Switch.Poap;

/// <summary>What a failed script left behind to say why it stopped.</summary>
public sealed record ScriptEvidence
{
    /// <summary>Its standard error (a traceback, warnings, what it printed there).</summary>
    public string Stderr { get; init; } = "";

    /// <summary>Its standard output (many scripts print their log lines there as well).</summary>
    public string Stdout { get; init; } = "";

    /// <summary>Its last syslog message that reports a failure (<see cref="ScriptFailure.Weight"/>), or null.</summary>
    public string? LastErrorSyslog { get; init; }

    /// <summary>Its last syslog message, or null.</summary>
    public string? LastSyslog { get; init; }

    /// <summary>Its last CLI command the switch refused, with the switch's answer (<c>cmd: % Invalid command ...</c>), or null.</summary>
    public string? LastRefusedCommand { get; init; }

    /// <summary>The script's path as the switch runs it (<c>/bootflash/scripts/script.sh</c>): frames in it locate the error.</summary>
    public string? ScriptPath { get; init; }
}

/// <summary>
/// Why a failed script says it stopped, for the attempt's headline: the exception it died of
/// (the last line of its traceback, with the file and line of the innermost frame in the script
/// itself), or else the last error it logged before cleaning up — not a compiler warning it
/// printed on the way, nor its closing "Cleanup all files" or "cleaning up" message.
/// </summary>
public static partial class ScriptFailure
{
    /// <summary>The longest parenthesis a headline gets; the logs have the rest.</summary>
    public const int MaxChars = 400;

    /// <summary>True for a message that reports a failure (the scripts' wording: "ERR :", "failed", "aborting", ...).</summary>
    public static bool LooksLikeError(string message) => Weight(message) > 0;

    /// <summary>
    /// How strongly a message reports a failure: 2 for an error ("ERR :", "failed", "not found",
    /// "Invalid command"...), 1 for a bare abort notice ("Aborting", "Terminating", "POAP script
    /// failed") that usually follows the error it is about, 0 for anything else.
    /// </summary>
    public static int Weight(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        // "POAP script failed" says no more than the exit code: like "Aborting", it gives way to the error before it.
        var specific = GenericFailure().Replace(message, " ");
        return ErrorWords().IsMatch(specific) ? 2 : specific.Length != message.Length || AbortWords().IsMatch(message) ? 1 : 0;
    }

    /// <summary>
    /// The headline's parenthesis: <c> (…)</c>, or <c>""</c> when the script left nothing to go by.
    /// </summary>
    /// <param name="stderr">The script's standard error.</param>
    /// <param name="lastErrorSyslog">Its last syslog message that <see cref="LooksLikeError"/>, or null.</param>
    /// <param name="lastSyslog">Its last syslog message, or null.</param>
    public static string Headline(string stderr, string? lastErrorSyslog, string? lastSyslog) =>
        Headline(new ScriptEvidence { Stderr = stderr, LastErrorSyslog = lastErrorSyslog, LastSyslog = lastSyslog });

    /// <summary>
    /// The headline's parenthesis, from the strongest evidence there is: the exception the script
    /// died of; else the last error it logged (syslog, then what it printed on stderr and stdout);
    /// else the last command the switch refused it; else the last line on stderr; else its last
    /// message. <c>""</c> when it left nothing.
    /// </summary>
    public static string Headline(ScriptEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        var stderr = WithoutWarnings(Lines(evidence.Stderr));
        if (Exception(stderr, evidence.ScriptPath) is { } died)
        {
            return Shown(died);
        }
        if (!string.IsNullOrWhiteSpace(evidence.LastErrorSyslog))
        {
            return Shown($"its last error: {evidence.LastErrorSyslog.Trim()}");
        }
        if ((LastError(stderr) ?? LastError(Lines(evidence.Stdout))) is { } printed)
        {
            return Shown($"its last error: {printed}");
        }
        if (!string.IsNullOrWhiteSpace(evidence.LastRefusedCommand))
        {
            return Shown($"its last refused command: {evidence.LastRefusedCommand.Trim()}");
        }
        if (stderr.LastOrDefault(l => l.Trim().Length > 0) is { } last)
        {
            return Shown(last.Trim());
        }
        return string.IsNullOrWhiteSpace(evidence.LastSyslog) ? "" : Shown($"its last message: {evidence.LastSyslog.Trim()}");
    }

    /// <summary>
    /// The refused command as the headline names it: the command, then the switch's answer (its
    /// last line that is not the <c>^</c> marker, e.g. <c>% Invalid command at '^' marker.</c>).
    /// </summary>
    public static string Refused(string shownCommand, string output)
    {
        ArgumentNullException.ThrowIfNull(shownCommand);
        ArgumentNullException.ThrowIfNull(output);
        var answer = Lines(output).Select(l => l.Trim()).LastOrDefault(l => l.Length > 0 && !l.All(c => c is '^' or ' ') && l != shownCommand.Trim());
        var command = shownCommand.ReplaceLineEndings(" ").Trim();
        return answer is null ? $"'{command}'" : $"'{command}': {answer}";
    }

    /// <summary>
    /// The exception of the last traceback (Python 2 and 3 print the same shape), or of a
    /// <c>SyntaxError</c> report (<c>File "…", line N</c> with no traceback header): its type
    /// and message, behind the file and line of the innermost frame in the script.
    /// </summary>
    private static string? Exception(List<string> lines, string? scriptPath)
    {
        var start = lines.FindLastIndex(l => l.StartsWith("Traceback (most recent call last)", StringComparison.Ordinal));
        if (start < 0)
        {
            // A script Python cannot compile has no traceback: just the File line, the source and the error.
            start = lines.FindLastIndex(l => Frame().Match(l) is { Success: true } m && !m.Groups["in"].Success);
            if (start < 0)
            {
                return null;
            }
            start--;
        }
        string? where = null;
        string? anyWhere = null;
        var i = start + 1;
        for (; i < lines.Count && (lines[i].Length == 0 || lines[i][0] is ' ' or '\t'); i++)
        {
            if (Frame().Match(lines[i]) is { Success: true } frame)
            {
                var file = frame.Groups["file"].Value;
                var at = $"{file[(file.LastIndexOf('/') + 1)..]}:{frame.Groups["line"].Value}";
                anyWhere = at;
                if (scriptPath is null || file == scriptPath)
                {
                    where = at;
                }
            }
        }
        if (i >= lines.Count)
        {
            return null;
        }
        // The exception's line; of a message of several lines (cli's errors carry the switch's
        // output: progress lines, the command and its ^ marker, then the verdict) the line that
        // says what failed, and for a refused command the command itself.
        var header = lines[i].Trim();
        var colon = header.IndexOf(": ", StringComparison.Ordinal);
        var type = colon < 0 ? header.TrimEnd(':') : header[..colon];
        var message = new List<string>();
        if (colon >= 0 && header[(colon + 2)..].Trim().Length > 0)
        {
            message.Add(header[(colon + 2)..].Trim());
        }
        for (var j = i + 1; j < lines.Count && message.Count < 64; j++)
        {
            var more = lines[j].Trim();
            if (more.StartsWith("During handling of the above exception", StringComparison.Ordinal) || more.StartsWith("The above exception was", StringComparison.Ordinal))
            {
                break;
            }
            if (more.Length > 0 && !more.All(c => c is '^' or '~' or ' '))
            {
                message.Add(more);
            }
        }
        string text;
        if (message.Count <= 1)
        {
            text = message.Count == 0 ? type : $"{type}: {message[0]}";
        }
        else
        {
            var verdict = message.LastOrDefault(l => Weight(l) > 0) ?? message[0];
            text = verdict != message[0] && type.Contains("syntax", StringComparison.OrdinalIgnoreCase)
                ? $"{type}: {verdict} ({message[0]})"
                : $"{type}: {verdict}";
        }
        where ??= anyWhere;
        return where is null ? text.ToString() : $"{where}: {text}";
    }

    /// <summary>The last line that reports an error, an error (weight 2) before a bare abort notice.</summary>
    private static string? LastError(List<string> lines)
    {
        string? abort = null;
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith("Traceback", StringComparison.Ordinal))
            {
                continue;
            }
            var weight = Weight(line);
            if (weight == 2)
            {
                return line;
            }
            if (weight == 1)
            {
                abort ??= line;
            }
        }
        return abort;
    }

    private static List<string> Lines(string text) => [.. text.Split('\n').Select(l => l.TrimEnd('\r'))];

    private static string Shown(string text)
    {
        text = new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]);
        return text.Length <= MaxChars ? $" ({text})" : $" ({text[..MaxChars]}…)";
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

    [GeneratedRegex(@"^\s+File ""(?<file>[^""]*)"", line (?<line>\d+)(?<in>, in .*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Frame();

    [GeneratedRegex(@"(?i)(\berr(or)?\b|\bfail(s|ed|ure)?\b|\bunable\b|\bcannot\b|can't|\binvalid\b|\bnot found\b|\bno such\b|\bdenied\b|\btimed? ?out\b|\bmismatch\b|\bno space\b|\bexception\b)", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorWords();

    [GeneratedRegex(@"(?i)(\babort(s|ed|ing)?\b|\bterminat(e|ed|ing)\b)", RegexOptions.CultureInvariant)]
    private static partial Regex AbortWords();

    [GeneratedRegex(@"(?i)\b(poap\s+)?script\s+(has\s+)?(fail(s|ed)?|failure)\b", RegexOptions.CultureInvariant)]
    private static partial Regex GenericFailure();
}
