using System.Text;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>
/// Seeded mutants of the catalogue's scenario files: byte flips, deletions, duplications,
/// deep nesting, huge and odd numbers, NUL and control characters, unicode, lines and keys
/// taken from other files, hostile names and served paths. Mutant <c>i</c> of seed <c>s</c>
/// is the same on every machine (its own <see cref="Random"/> seeded from both).
/// </summary>
internal sealed class ScenarioMutator
{
    private static readonly string[] Numbers =
    [
        "99999999999999999999", "20000000d", "1e400", "-1", "0", "2147483648", "9223372036854775808",
        "NaN", "Infinity", "-Infinity", "100 GiB", "1.5", "000000000000000000000000000000000001", "\u0663", "0x10",
        "1e12", "4294967296s", "18446744073709551616 MiB", "-0", "1_000", "99999999999999999999999999999d",
    ];

    private static readonly string[] Inserts =
    [
        "\0", "\u0001", "\u001b[31m", "\u007f", "\u0085", "\t", "\r", "\u00e9", "\u202e", "\U0001F600", "\uD800", "\uDC00",
        "\uFFFE", "\uFEFF", "\u2028", "\uFB01", "\u0130", "\u0000\u0000", ": ", "- ", "&a ", "*a", "!!binary ", "%YAML 1.1\n",
        "---\n", "...\n", "? ", "|\n", ">\n", "'", "\"", "#", "{", "}", "[", "]", ",", "<<: *a\n",
    ];

    private static readonly string[] Names = ["..", ".", "/etc", "a/../..", "\"x\\0y\"", "\"\\u0001\"", "report.json", "files", "\"\\uD800\"", "''", "~", "CON"];

    private readonly IReadOnlyList<(string Path, string Text)> _files;
    private readonly string[] _hostilePaths;

    public ScenarioMutator(string fifo)
    {
        _files = Directory.EnumerateFiles(RepoPaths.Scenarios, "*.yaml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => (p, File.ReadAllText(p)))
            .ToList();
        _hostilePaths = ["/dev/zero", "/dev/urandom", "/etc/shadow", "/proc/self/mem", "../../../../../../etc/passwd", fifo, "/", "/nonexistent", "\"\\0\"", "/proc/self/fd/0"];
    }

    public IReadOnlyList<(string Path, string Text)> Files => _files;

    /// <summary>Mutant <paramref name="index"/> of <paramref name="seed"/>: which catalogue file it came from, and its text.</summary>
    public (string Path, string Text) Mutant(int seed, int index)
    {
        var random = new Random(unchecked(seed * 1_000_003 + index));
        var (path, text) = _files[index % _files.Count];
        var sb = new StringBuilder(text);
        var count = 1 + random.Next(3);
        for (int i = 0; i < count; i++)
        {
            Mutate(sb, random);
        }
        return (path, sb.ToString());
    }

    private void Mutate(StringBuilder sb, Random r)
    {
        if (sb.Length == 0)
        {
            sb.Append("name: x\n");
        }
        var at = r.Next(sb.Length);
        switch (r.Next(12))
        {
            case 0: // byte flip
                sb[at] = (char)r.Next(1, 128);
                break;
            case 1: // deletion
                sb.Remove(at, Math.Min(sb.Length - at, 1 + r.Next(60)));
                break;
            case 2: // duplication of a span, somewhere
            {
                var len = Math.Min(sb.Length - at, 1 + r.Next(300));
                var span = sb.ToString(at, len);
                sb.Insert(r.Next(sb.Length + 1), span);
                break;
            }
            case 3: // deep nesting
            {
                var depth = r.Next(4) == 0 ? 20_000 : 30 + r.Next(200);
                var (open, close) = r.Next(3) switch { 0 => ("[", "]"), 1 => ("{a: ", "}"), _ => ("- ", "") };
                var nest = r.Next(2) == 0 ? string.Concat(Enumerable.Repeat(open, depth)) + "x" + string.Concat(Enumerable.Repeat(close, depth)) : string.Concat(Enumerable.Repeat(open, depth));
                sb.Insert(LineStartOrValue(sb, r), nest);
                break;
            }
            case 4: // huge or odd numbers in place of a number
                ReplaceDigits(sb, r, Numbers[r.Next(Numbers.Length)]);
                break;
            case 5: // NUL, control characters, unicode, YAML syntax
                sb.Insert(at, Inserts[r.Next(Inserts.Length)]);
                break;
            case 6: // a line of another file (keys swapped between files)
            {
                var other = _files[r.Next(_files.Count)].Text.Split('\n');
                var line = other[r.Next(other.Length)];
                var lines = sb.ToString().Split('\n').ToList();
                var where = r.Next(lines.Count + 1);
                if (r.Next(2) == 0 && where < lines.Count)
                {
                    lines[where] = line;
                }
                else
                {
                    lines.Insert(where, line);
                }
                sb.Clear().Append(string.Join('\n', lines));
                break;
            }
            case 7: // hostile names
                ReplaceValue(sb, r, "name: ", Names[r.Next(Names.Length)]);
                break;
            case 8: // hostile served files
                ReplaceValue(sb, r, r.Next(2) == 0 ? "source: " : "script: ", _hostilePaths[r.Next(_hostilePaths.Length)]);
                break;
            case 9: // sizes and durations out of range
                ReplaceValue(sb, r, new[] { "size: ", "lease: ", "script_timeout: ", "delay: ", "rate: ", "after: ", "mbps: ", "retry_delay: ", "used: " }[r.Next(9)], Numbers[r.Next(Numbers.Length)]);
                break;
            case 10: // anchors and aliases, nested repeats
                sb.Append("\nx_a: &a [1, 2, 3]\nx_b: &b [*a, *a, *a, *a]\nx_c: [*b, *b, *b, *b]\n");
                break;
            default: // duplicate whole lines (repeated keys, repeated list items)
            {
                var lines = sb.ToString().Split('\n').ToList();
                var from = r.Next(lines.Count);
                var take = Math.Min(lines.Count - from, 1 + r.Next(8));
                lines.InsertRange(from + take, lines.GetRange(from, take));
                sb.Clear().Append(string.Join('\n', lines));
                break;
            }
        }
    }

    private static int LineStartOrValue(StringBuilder sb, Random r)
    {
        var text = sb.ToString();
        var colons = new List<int>();
        for (int i = text.IndexOf(": ", StringComparison.Ordinal); i >= 0 && colons.Count < 500; i = text.IndexOf(": ", i + 1, StringComparison.Ordinal))
        {
            colons.Add(i + 2);
        }
        return colons.Count == 0 ? 0 : colons[r.Next(colons.Count)];
    }

    private static void ReplaceDigits(StringBuilder sb, Random r, string with)
    {
        var text = sb.ToString();
        var runs = new List<(int Start, int Length)>();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                int j = i;
                while (j < text.Length && char.IsAsciiDigit(text[j]))
                {
                    j++;
                }
                runs.Add((i, j - i));
                i = j;
            }
        }
        if (runs.Count > 0)
        {
            var (start, length) = runs[r.Next(runs.Count)];
            sb.Remove(start, length).Insert(start, with);
        }
    }

    private static void ReplaceValue(StringBuilder sb, Random r, string key, string value)
    {
        var text = sb.ToString();
        var hits = new List<int>();
        for (int i = text.IndexOf(key, StringComparison.Ordinal); i >= 0; i = text.IndexOf(key, i + 1, StringComparison.Ordinal))
        {
            hits.Add(i + key.Length);
        }
        if (hits.Count == 0)
        {
            return;
        }
        var start = hits[r.Next(hits.Count)];
        var end = start;
        while (end < text.Length && text[end] is not ('\n' or ',' or '}'))
        {
            end++;
        }
        sb.Remove(start, end - start).Insert(start, value);
    }

    /// <summary>A mutant as a failure message shows it: escaped, cut at 4,000 characters.</summary>
    public static string Show(string text)
    {
        var cut = text.Length > 4000 ? text[..4000] + $"... ({text.Length} characters)" : text;
        var sb = new StringBuilder();
        foreach (var c in cut)
        {
            sb.Append(c == '\n' ? "\n" : char.IsControl(c) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFEFF' ? $"\\u{(int)c:x4}" : c.ToString());
        }
        return sb.ToString();
    }
}
