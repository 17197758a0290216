using System.Globalization;
using System.Text;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// A value of a generated fleet (<c>switches: [{ count: 1000, name: leaf-{n:03} }]</c>) with
/// placeholders for the switch's number n:
/// <list type="bullet">
/// <item><c>{n}</c>: n in decimal (1, 2, ... 1000);</item>
/// <item><c>{n:03}</c>: decimal, zero-padded to at least 3 digits (001 ... 1000);</item>
/// <item><c>{n:x6}</c> / <c>{n:X6}</c>: lower / upper-case hex, zero-padded to at least 6 digits;
///   a hex pattern may be split by colons in a MAC (<c>00:aa:bb:{n:x6}</c> gives 00:aa:bb:00:00:01:
///   the six digits fill the last three octets);</item>
/// <item><c>{{</c> and <c>}}</c>: a literal brace.</item>
/// </list>
/// Padding never cuts a number short, so distinct numbers give distinct values whenever the
/// pattern holds <c>{n}</c>; a MAC pattern whose value grows past its octets is refused at load.
/// </summary>
public sealed class SwitchPattern
{
    private readonly List<Part> _parts;

    private SwitchPattern(string text, List<Part> parts)
    {
        Text = text;
        _parts = parts;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>Whether it holds the switch's number (else every switch gets the same value).</summary>
    public bool HasNumber => _parts.Any(p => p.Literal is null);

    /// <summary>The pattern language, in one line for error messages.</summary>
    public const string Syntax = "{n} (decimal), {n:03} (zero-padded to 3 digits), {n:x6} or {n:X6} (hex, zero-padded to 6 digits), {{ and }} for a brace";

    private sealed record Part(string? Literal, char Format, int Width);

    /// <summary>Reads a pattern; a malformed one is a <see cref="FormatException"/> saying why.</summary>
    public static SwitchPattern Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<Part>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{')
            {
                literal.Append('{');
                i++;
                continue;
            }
            if (c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                literal.Append('}');
                i++;
                continue;
            }
            if (c == '}')
            {
                throw new FormatException($"a '}}' without its '{{' at character {i + 1} (write }}}} for a brace); placeholders are {Syntax}");
            }
            if (c != '{')
            {
                literal.Append(c);
                continue;
            }
            var close = text.IndexOf('}', i);
            if (close < 0)
            {
                throw new FormatException($"the '{{' at character {i + 1} is never closed; placeholders are {Syntax}");
            }
            var inner = text[(i + 1)..close];
            if (literal.Length > 0)
            {
                parts.Add(new Part(literal.ToString(), ' ', 0));
                literal.Clear();
            }
            parts.Add(Placeholder(inner));
            i = close;
        }
        if (literal.Length > 0)
        {
            parts.Add(new Part(literal.ToString(), ' ', 0));
        }
        return new SwitchPattern(text, parts);
    }

    private static Part Placeholder(string inner)
    {
        if (inner == "n")
        {
            return new Part(null, 'd', 0);
        }
        if (inner.StartsWith("n:", StringComparison.Ordinal) && inner.Length is >= 3 and <= 5)
        {
            var spec = inner[2..];
            var format = spec[0] is 'x' or 'X' ? spec[0] : spec[0] == '0' ? 'd' : '?';
            var digits = spec[0] is 'x' or 'X' ? spec[1..] : spec;
            if (format != '?' && digits.Length is >= 1 and <= 2 && digits.All(char.IsAsciiDigit)
                && int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) is var width and >= 1 and <= 12)
            {
                return new Part(null, format, width);
            }
        }
        throw new FormatException($"'{{{YamlMap.Shown(inner)}}}' is not a placeholder: placeholders are {Syntax}, widths 1 to 12");
    }

    /// <summary>The value for switch number <paramref name="n"/>.</summary>
    public string Expand(long n)
    {
        var sb = new StringBuilder(Text.Length + 8);
        foreach (var p in _parts)
        {
            if (p.Literal is { } l)
            {
                sb.Append(l);
                continue;
            }
            var number = p.Format switch
            {
                'x' => n.ToString("x", CultureInfo.InvariantCulture),
                'X' => n.ToString("X", CultureInfo.InvariantCulture),
                _ => n.ToString(CultureInfo.InvariantCulture),
            };
            sb.Append(number.PadLeft(p.Width, '0'));
        }
        return sb.ToString();
    }

    /// <summary>
    /// A MAC for switch <paramref name="n"/>: the pattern's hex digits laid into the colon-separated
    /// octets, so <c>00:aa:bb:{n:x6}</c> gives <c>00:aa:bb:00:00:2a</c> for 42; null when the value
    /// has no room (more than 12 hex digits) or is no MAC.
    /// </summary>
    public string? ExpandMac(long n)
    {
        var hex = new StringBuilder(12);
        foreach (var ch in Expand(n))
        {
            if (Uri.IsHexDigit(ch))
            {
                hex.Append(char.ToUpperInvariant(ch));
            }
            else if (ch is not (':' or '-' or '.'))
            {
                return null;
            }
        }
        if (hex.Length != 12)
        {
            return null;
        }
        var h = hex.ToString();
        return string.Join(':', Enumerable.Range(0, 6).Select(i => h.Substring(i * 2, 2)));
    }
}
