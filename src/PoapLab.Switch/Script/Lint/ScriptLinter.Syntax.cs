using System.Text.RegularExpressions;

namespace PoapLab.Switch.Script.Lint;

public static partial class ScriptLinter
{
    private const string SwitchOnlySaysFailed =
        "a switch would only report that the POAP script failed, with no line number, and start POAP again";

    private static void ReportSyntax(SyntaxFact syntax, string version, string[] lines, List<LintFinding> findings)
    {
        var python = $"Python {version}";
        if (syntax.Line is { } line && OptionsSpan(lines) is var (start, end) && line >= start && line <= end)
        {
            if (LooksLikeMissingComma(syntax.Msg) && MissingCommaLine(lines, start, end, line) is { } bare)
            {
                var code = lines[bare - 1];
                var withComma = StripComment(code).TrimEnd();
                findings.Add(new LintFinding(LintSeverity.Error, LintCodes.OptionsMissingComma, bare, withComma.Length + 1,
                    $"the options dict does not parse: line {bare} ends without a comma, so {python} reports \"{syntax.Msg}\" at line {line}; " +
                    $"{SwitchOnlySaysFailed} (failure mode 8)",
                    $"add a comma at the end of line {bare}: {withComma.Trim()},"));
                return;
            }
            findings.Add(new LintFinding(LintSeverity.Error, LintCodes.OptionsSyntax, line, syntax.Col,
                $"the options dict does not parse under {python}: {syntax.Msg}; {SwitchOnlySaysFailed} (failure mode 8)", null));
            return;
        }

        var text = syntax.Text ?? (syntax.Line is { } l && l >= 1 && l <= lines.Length ? lines[l - 1] : "");
        if (!version.StartsWith('2') && Python2Fix(syntax.Msg, text) is { } python2Fix)
        {
            findings.Add(new LintFinding(LintSeverity.Error, LintCodes.Python2Syntax, syntax.Line, syntax.Col,
                $"Python 2 syntax, which {python} cannot compile ({syntax.Msg}): NX-OS 9.3+/10.x images run Python 3, " +
                $"so the script dies before it logs anything; {SwitchOnlySaysFailed} (failure mode 11)",
                python2Fix));
            return;
        }
        var kind = syntax.Kind == "SyntaxError" ? "" : syntax.Kind + ": ";
        findings.Add(new LintFinding(LintSeverity.Error, LintCodes.Syntax, syntax.Line, syntax.Col,
            $"{python} cannot compile the script: {kind}{syntax.Msg}; {SwitchOnlySaysFailed}", null));
    }

    private static bool LooksLikeMissingComma(string message) =>
        message.StartsWith("invalid syntax", StringComparison.Ordinal) || message.Contains("comma", StringComparison.Ordinal);

    /// <summary>
    /// The line that lacks its trailing comma: Python 2 and 3 before 3.10 report the line
    /// AFTER it (the next key is where the parse breaks), 3.10+ sometimes the line itself
    /// ("Perhaps you forgot a comma?"). So: the previous code line first, then the error line.
    /// </summary>
    private static int? MissingCommaLine(string[] lines, int start, int end, int errorLine)
    {
        for (var previous = errorLine - 1; previous >= start; previous--)
        {
            var code = StripComment(lines[previous - 1]).Trim();
            if (code.Length == 0)
            {
                continue;
            }
            if (NeedsComma(code))
            {
                return previous;
            }
            break;
        }
        var own = StripComment(lines[errorLine - 1]).Trim();
        if (errorLine < end && NeedsComma(own))
        {
            for (var next = errorLine + 1; next <= end; next++)
            {
                var code = StripComment(lines[next - 1]).Trim();
                if (code.Length > 0)
                {
                    return code.StartsWith('}') ? null : errorLine;
                }
            }
        }
        return null;
    }

    private static bool NeedsComma(string code) =>
        code.Length > 0 && code[^1] is not (',' or '{' or '(' or '[' or ':' or '\\') && !code.StartsWith("options", StringComparison.Ordinal);

    /// <summary>
    /// First and last line of the top-level <c>options = {</c> dict, found by text because
    /// a script that does not compile has no ast. Brackets inside strings and comments do not count.
    /// </summary>
    private static (int Start, int End)? OptionsSpan(string[] lines)
    {
        var start = Array.FindIndex(lines, l => OptionsStart().IsMatch(l));
        if (start < 0)
        {
            return null;
        }
        var depth = 0;
        for (var i = start; i < lines.Length; i++)
        {
            var code = StripComment(lines[i]);
            char? quote = null;
            for (var c = 0; c < code.Length; c++)
            {
                var ch = code[c];
                if (quote is not null)
                {
                    if (ch == '\\')
                    {
                        c++;
                    }
                    else if (ch == quote)
                    {
                        quote = null;
                    }
                    continue;
                }
                switch (ch)
                {
                    case '"' or '\'':
                        quote = ch;
                        break;
                    case '{' or '(' or '[':
                        depth++;
                        break;
                    case '}' or ')' or ']':
                        depth--;
                        if (depth == 0)
                        {
                            return (start + 1, i + 1);
                        }
                        break;
                }
            }
        }
        return (start + 1, lines.Length);
    }

    /// <summary>The line without a trailing <c># comment</c>; a <c>#</c> inside quotes is kept.</summary>
    private static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quote is not null)
            {
                if (ch == '\\')
                {
                    i++;
                }
                else if (ch == quote)
                {
                    quote = null;
                }
            }
            else if (ch is '"' or '\'')
            {
                quote = ch;
            }
            else if (ch == '#')
            {
                return line[..i];
            }
        }
        return line;
    }

    /// <summary>A fix when the error is Python 2 syntax; null when it is not recognisably Python 2.</summary>
    private static string? Python2Fix(string message, string text)
    {
        var line = text.TrimEnd('\n', '\r');
        if (PrintStatement().Match(line) is { Success: true } print)
        {
            return $"print is a function in Python 3: {print.Groups["indent"].Value.TrimStart()}print({print.Groups["args"].Value.Trim()})" +
                   " (add 'from __future__ import print_function' to keep Python 2.7 working too)";
        }
        if (ExceptComma().Match(line) is { Success: true } except)
        {
            return $"except {except.Groups["type"].Value.Trim()} as {except.Groups["name"].Value}:";
        }
        if (RaiseComma().Match(line) is { Success: true } raise)
        {
            return $"raise {raise.Groups["type"].Value}({raise.Groups["args"].Value.Trim()})";
        }
        if (message.Contains("Missing parentheses in call to", StringComparison.Ordinal))
        {
            return "call it with parentheses, as Python 3 requires";
        }
        if (line.Contains("<>", StringComparison.Ordinal))
        {
            return "use != instead of <>";
        }
        if (message.Contains("leading zeros", StringComparison.Ordinal) || message.Contains("octal", StringComparison.Ordinal))
        {
            return "write octal numbers as 0o755";
        }
        return null;
    }

    [GeneratedRegex(@"^options\s*=\s*\{")]
    private static partial Regex OptionsStart();

    [GeneratedRegex(@"^(?<indent>\s*)print\s+(?<args>[^=(\s].*)$")]
    private static partial Regex PrintStatement();

    [GeneratedRegex(@"^\s*except\s+(?<type>[^,:]+?)\s*,\s*(?<name>\w+)\s*:")]
    private static partial Regex ExceptComma();

    [GeneratedRegex(@"^\s*raise\s+(?<type>[\w.]+)\s*,\s*(?<args>.+)$")]
    private static partial Regex RaiseComma();
}
