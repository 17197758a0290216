using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PoapLab.Scenarios.Files;

/// <summary>
/// Edits the <c>options = { ... }</c> dict of a POAP script the way an engineer does before
/// deploying it: the value of each named key is replaced in place (or the key added), and
/// nothing else in the file changes.
/// </summary>
public static partial class ScriptOptionsEditor
{
    public static string Apply(string script, IReadOnlyDictionary<string, object?> options, string scriptName)
    {
        if (options.Count == 0)
        {
            return script;
        }
        var start = OptionsStart().Match(script);
        if (!start.Success)
        {
            throw new InvalidOperationException($"{scriptName}: the scenario sets script options, but the script has no 'options = {{' dict to edit");
        }
        var open = start.Index + start.Length - 1;
        var close = FindClose(script, open) ?? throw new InvalidOperationException($"{scriptName}: the options dict opened at offset {open} is never closed");
        var body = script.Substring(open + 1, close - open - 1);
        foreach (var (key, value) in options)
        {
            var literal = ToPython(value);
            var keyMatch = new Regex($@"([""']){Regex.Escape(key)}\1\s*:\s*").Match(body);
            if (keyMatch.Success)
            {
                var valueStart = keyMatch.Index + keyMatch.Length;
                var valueEnd = FindValueEnd(body, valueStart);
                body = body[..valueStart] + literal + body[valueEnd..];
            }
            else
            {
                var indent = IndentOf(body);
                body = $"\n{indent}\"{key}\": {literal},{body}";
            }
        }
        return script[..(open + 1)] + body + script[close..];
    }

    /// <summary>A Python literal for a scenario value.</summary>
    public static string ToPython(object? value) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long or int => Convert.ToString(value, CultureInfo.InvariantCulture)!,
        string s => Quote(s),
        _ => Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    private static string IndentOf(string body)
    {
        var m = Regex.Match(body, @"\n([ \t]+)[""']");
        return m.Success ? m.Groups[1].Value : "    ";
    }

    private static int? FindClose(string s, int open)
    {
        var depth = 0;
        for (int i = open; i < s.Length; i++)
        {
            var c = s[i];
            if (c is '"' or '\'')
            {
                i = SkipString(s, i);
                continue;
            }
            if (c == '#')
            {
                while (i < s.Length && s[i] != '\n') { i++; }
                continue;
            }
            if (c is '{' or '[' or '(')
            {
                depth++;
            }
            else if (c is '}' or ']' or ')')
            {
                depth--;
                if (depth == 0)
                {
                    return i;
                }
            }
        }
        return null;
    }

    private static int FindValueEnd(string body, int start)
    {
        var depth = 0;
        for (int i = start; i < body.Length; i++)
        {
            var c = body[i];
            if (c is '"' or '\'')
            {
                i = SkipString(body, i);
                continue;
            }
            if (c is '{' or '[' or '(')
            {
                depth++;
            }
            else if (c is '}' or ']' or ')')
            {
                if (depth == 0)
                {
                    return TrimBack(body, start, i);
                }
                depth--;
            }
            else if ((c == ',' || c == '\n' || c == '#') && depth == 0)
            {
                return TrimBack(body, start, i);
            }
        }
        return TrimBack(body, start, body.Length);
    }

    private static int TrimBack(string s, int start, int end)
    {
        while (end > start && char.IsWhiteSpace(s[end - 1]))
        {
            end--;
        }
        return end;
    }

    private static int SkipString(string s, int i)
    {
        var quote = s[i];
        var triple = i + 2 < s.Length && s[i + 1] == quote && s[i + 2] == quote;
        if (triple)
        {
            var endTriple = s.IndexOf(new string(quote, 3), i + 3, StringComparison.Ordinal);
            return endTriple < 0 ? s.Length : endTriple + 2;
        }
        for (int j = i + 1; j < s.Length; j++)
        {
            if (s[j] == '\\')
            {
                j++;
            }
            else if (s[j] == quote || s[j] == '\n')
            {
                return j;
            }
        }
        return s.Length;
    }

    [GeneratedRegex(@"^[ \t]*options\s*=\s*\{", RegexOptions.Multiline)]
    private static partial Regex OptionsStart();
}
