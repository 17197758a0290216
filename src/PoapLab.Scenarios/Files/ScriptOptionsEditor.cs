using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PoapLab.Scenarios.Files;

/// <summary>
/// Edits the <c>options = { ... }</c> dict of a POAP script the way an engineer does before
/// deploying it: the value of each named key is replaced in place (or the key added), and
/// nothing else in the file changes. Values are Python literals (<see cref="ToPython"/>):
/// strings, numbers, booleans, None, lists and dicts.
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
            string literal;
            try
            {
                literal = ToPython(value);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"{scriptName}: option '{key}': {e.Message}", e);
            }
            if (TopLevelValue(body, key) is { } valueStart)
            {
                var valueEnd = FindValueEnd(body, valueStart);
                body = body[..valueStart] + literal + body[valueEnd..];
            }
            else
            {
                var indent = IndentOf(body);
                body = $"\n{indent}{Quote(key)}: {literal},{body}";
            }
        }
        return script[..(open + 1)] + body + script[close..];
    }

    /// <summary>How deep lists and mappings may nest in one option value.</summary>
    public const int MaxDepth = 16;

    /// <summary>The longest Python literal one option becomes.</summary>
    public const int MaxLiteralChars = 1 << 20;

    /// <summary>
    /// A Python literal for a scenario value, the same under Python 2.7 and 3: <c>None</c>,
    /// <c>True</c>/<c>False</c>, an integer, a string (escaped; <c>u"…"</c> with <c>\u</c>
    /// escapes when it holds non-ASCII, so the source stays ASCII for Python 2 too), a list
    /// <c>[…]</c> of values or a dict <c>{"key": value}</c>, nested at most <see cref="MaxDepth"/> deep.
    /// </summary>
    /// <exception cref="ArgumentException">Nested too deep, too long, or not valid Unicode.</exception>
    public static string ToPython(object? value)
    {
        var sb = new StringBuilder();
        Append(sb, value, 0);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, object? value, int depth)
    {
        if (sb.Length > MaxLiteralChars)
        {
            throw new ArgumentException($"the option's value is longer than {MaxLiteralChars} characters as Python");
        }
        switch (value)
        {
            case null:
                sb.Append("None");
                return;
            case bool b:
                sb.Append(b ? "True" : "False");
                return;
            case long or int:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case string s:
                sb.Append(Quote(s));
                return;
            case IReadOnlyDictionary<string, object?> map:
                Nested(depth);
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in map)
                {
                    sb.Append(first ? "" : ", ").Append(Quote(k)).Append(": ");
                    first = false;
                    Append(sb, v, depth + 1);
                }
                sb.Append('}');
                return;
            case IEnumerable<object?> list:
                Nested(depth);
                sb.Append('[');
                var head = true;
                foreach (var v in list)
                {
                    sb.Append(head ? "" : ", ");
                    head = false;
                    Append(sb, v, depth + 1);
                }
                sb.Append(']');
                return;
            default:
                sb.Append(Quote(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
                return;
        }

        static void Nested(int depth)
        {
            if (depth >= MaxDepth)
            {
                throw new ArgumentException($"the option's lists and mappings nest more than {MaxDepth} deep");
            }
        }
    }

    private static string Quote(string s)
    {
        var ascii = s.All(c => c < 0x80);
        var sb = new StringBuilder(ascii ? "\"" : "u\"");
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ' or '\x7f':
                    sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                case < '\x80':
                    sb.Append(c);
                    break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        sb.Append("\\U").Append(char.ConvertToUtf32(c, s[++i]).ToString("x8", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsSurrogate(c))
                    {
                        throw new ArgumentException("an option's text is not valid Unicode (a lone surrogate)");
                    }
                    else
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    break;
            }
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

    /// <summary>
    /// Where the value of <paramref name="key"/> starts among the dict's own entries, or null:
    /// a key of a dict nested in a value, or text inside a string, is not one of them.
    /// </summary>
    private static int? TopLevelValue(string body, string key)
    {
        var depth = 0;
        for (int i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c is '"' or '\'')
            {
                var end = SkipString(body, i);
                if (depth == 0 && end < body.Length && body.AsSpan(i + 1, end - i - 1).SequenceEqual(key))
                {
                    var after = end + 1;
                    while (after < body.Length && char.IsWhiteSpace(body[after]))
                    {
                        after++;
                    }
                    if (after < body.Length && body[after] == ':')
                    {
                        after++;
                        while (after < body.Length && char.IsWhiteSpace(body[after]))
                        {
                            after++;
                        }
                        return after;
                    }
                }
                i = end;
                continue;
            }
            if (c == '#')
            {
                while (i < body.Length && body[i] != '\n') { i++; }
                continue;
            }
            if (c is '{' or '[' or '(')
            {
                depth++;
            }
            else if (c is '}' or ']' or ')')
            {
                depth--;
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
