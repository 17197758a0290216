using System.Text;
using System.Text.RegularExpressions;

namespace PoapLab.Switch.Cli;

/// <summary>
/// POSIX regular expressions (what NX-OS's <c>grep</c> and <c>sed</c> filters take)
/// translated to .NET ones. Basic syntax (BRE, grep/sed without <c>-E</c>) treats
/// <c>( ) { } + ? |</c> as literals and their backslashed forms as operators; both
/// syntaxes allow <c>[[:digit:]]</c> classes and a literal backslash inside brackets.
/// </summary>
internal static class CliRegex
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Compiles a POSIX pattern; null when it does not parse.</summary>
    public static Regex? TryCreate(string pattern, bool extended, bool ignoreCase)
    {
        try
        {
            var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
            return new Regex(Translate(pattern, extended), options, MatchTimeout);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The .NET form of a POSIX pattern.</summary>
    public static string Translate(string pattern, bool extended)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '[')
            {
                i = CopyBracket(pattern, i, sb);
                continue;
            }
            if (c == '\\' && i + 1 < pattern.Length)
            {
                var n = pattern[++i];
                if (!extended && n is '(' or ')' or '{' or '}' or '+' or '?' or '|')
                {
                    sb.Append(n);
                }
                else
                {
                    sb.Append('\\').Append(n);
                }
                continue;
            }
            if (!extended && c is '(' or ')' or '{' or '}' or '+' or '?' or '|')
            {
                sb.Append('\\').Append(c);
                continue;
            }
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>A sed replacement (<c>&amp;</c>, <c>\1</c>) as a .NET replacement pattern.</summary>
    public static string TranslateReplacement(string replacement)
    {
        var sb = new StringBuilder(replacement.Length + 4);
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '\\' && i + 1 < replacement.Length)
            {
                var n = replacement[++i];
                if (char.IsAsciiDigit(n))
                {
                    sb.Append("${").Append(n).Append('}');
                }
                else if (n == 'n')
                {
                    sb.Append('\n');
                }
                else if (n == 't')
                {
                    sb.Append('\t');
                }
                else if (n == '$')
                {
                    sb.Append("$$");
                }
                else
                {
                    sb.Append(n);
                }
            }
            else if (c == '&')
            {
                sb.Append("$0");
            }
            else if (c == '$')
            {
                sb.Append("$$");
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static int CopyBracket(string pattern, int open, StringBuilder sb)
    {
        // Find the closing bracket the POSIX way: a ']' right after '[' or '[^' is a member.
        var j = open + 1;
        if (j < pattern.Length && pattern[j] == '^')
        {
            j++;
        }
        if (j < pattern.Length && pattern[j] == ']')
        {
            j++;
        }
        while (j < pattern.Length && pattern[j] != ']')
        {
            if (pattern[j] == '[' && j + 1 < pattern.Length && pattern[j + 1] == ':')
            {
                var end = pattern.IndexOf(":]", j + 2, StringComparison.Ordinal);
                j = end < 0 ? j + 1 : end + 2;
                continue;
            }
            j++;
        }
        if (j >= pattern.Length)
        {
            // No closing bracket: a literal '[' as grep would reject; keep it literal.
            sb.Append("\\[");
            return open;
        }
        sb.Append('[');
        var k = open + 1;
        if (pattern[k] == '^')
        {
            sb.Append('^');
            k++;
        }
        for (; k < j; k++)
        {
            var c = pattern[k];
            if (c == '[' && k + 1 < j && pattern[k + 1] == ':')
            {
                var end = pattern.IndexOf(":]", k + 2, StringComparison.Ordinal);
                sb.Append(pattern[(k + 2)..end] switch
                {
                    "digit" => "0-9",
                    "alpha" => "a-zA-Z",
                    "alnum" => "a-zA-Z0-9",
                    "upper" => "A-Z",
                    "lower" => "a-z",
                    "space" => "\\s",
                    "blank" => " \\t",
                    "xdigit" => "0-9a-fA-F",
                    "punct" => "!-/:-@\\[-`{-~",
                    _ => "",
                });
                k = end + 1;
                continue;
            }
            if (c is '\\' or '[' or ']')
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
        sb.Append(']');
        return j;
    }
}
