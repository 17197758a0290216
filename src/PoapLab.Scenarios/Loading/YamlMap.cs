using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PoapLab.Scenarios.Model;
using YamlDotNet.RepresentationModel;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// A YAML mapping read key by key, so every error names the file, line and column, and
/// every key nobody read is reported (a misspelt key must not be silently ignored).
/// </summary>
internal sealed partial class YamlMap
{
    private readonly string _file;
    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlMap(string file, YamlNode node, string what)
    {
        _file = file;
        Node = node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value lines)");
        foreach (var (k, v) in Node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? throw Error(k, "keys must be plain words");
            if (!_entries.TryAdd(key, (k, v)))
            {
                throw Error(k, $"'{key}' appears twice");
            }
        }
    }

    public YamlMappingNode Node { get; }

    public SourceLocation Location => At(Node);

    public SourceLocation At(YamlNode node) => new(_file, (int)node.Start.Line, (int)node.Start.Column);

    public ScenarioException Error(YamlNode node, string problem) => new(At(node), problem);

    public bool Has(string key) => _entries.ContainsKey(key);

    public YamlNode? Get(string key)
    {
        _read.Add(key);
        return _entries.TryGetValue(key, out var e) ? e.Value : null;
    }

    public YamlNode Required(string key, string what)
    {
        return Get(key) ?? throw new ScenarioException(Location, $"'{key}' is missing: {what}");
    }

    public string? String(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        return node is YamlScalarNode s ? s.Value : throw Error(node, $"'{key}' must be a single value");
    }

    public string RequiredString(string key, string what) =>
        String(key) ?? throw new ScenarioException(Location, $"'{key}' is missing: {what}");

    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        var text = (node as YamlScalarNode)?.Value;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
        {
            throw Error(node, $"'{key}' must be a whole number{(min != int.MinValue ? $" from {min}" : "")}{(max != int.MaxValue ? $" to {max}" : "")}, not '{Shown(text)}'");
        }
        return v;
    }

    /// <summary>A positive number no larger than <paramref name="max"/> (NaN and infinities are refused).</summary>
    public double? Double(string key, double max)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        var text = (node as YamlScalarNode)?.Value;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0 && v <= max
            ? v
            : throw Error(node, $"'{key}' must be a positive number up to {max.ToString(CultureInfo.InvariantCulture)}, not '{Shown(text)}'");
    }

    public bool? Bool(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        return (node as YamlScalarNode)?.Value?.ToLowerInvariant() switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var t => throw Error(node, $"'{key}' must be true or false, not '{t}'"),
        };
    }

    public IPAddress? Address(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        var text = (node as YamlScalarNode)?.Value;
        return IPAddress.TryParse(text, out var ip) && text!.Contains('.')
            ? ip
            : throw Error(node, $"'{key}' must be an IPv4 address such as 10.0.0.1, not '{text}'");
    }

    /// <summary>An IPv4 or IPv6 address.</summary>
    public IPAddress? AnyAddress(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        var text = ((node as YamlScalarNode)?.Value ?? "").Trim('[', ']');
        return IPAddress.TryParse(text, out var ip) && (text.Contains('.') || text.Contains(':'))
            ? ip
            : throw Error(node, $"'{key}' must be an IP address such as 10.0.0.1 or 2001:db8::1, not '{text}'");
    }

    public IReadOnlyList<IPAddress> Addresses(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return [];
        }
        if (node is YamlScalarNode)
        {
            return [Address(key)!];
        }
        return Sequence(node, key).Select(n => IPAddress.TryParse((n as YamlScalarNode)?.Value, out var ip) ? ip : throw Error(n, $"'{key}' entries must be IPv4 addresses")).ToList();
    }

    /// <summary>A duration from <paramref name="min"/> to <paramref name="max"/>; anything outside is an error that says the range.</summary>
    public TimeSpan? Duration(string key, TimeSpan min, TimeSpan max)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        var text = (node as YamlScalarNode)?.Value ?? "";
        var value = ParseDuration(text);
        return value is { } v && v >= min && v <= max
            ? v
            : throw Error(node, $"'{key}' must be a duration from {FormatDuration(min)} to {FormatDuration(max)} (such as 30s, 5m, 2h, 1d or a number of seconds), not '{Shown(text)}'");
    }

    /// <summary>A size in bytes from <paramref name="min"/> to <paramref name="max"/>; anything outside is an error that says the range.</summary>
    public long? Size(string key, long min, long max)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        var text = (node as YamlScalarNode)?.Value ?? "";
        var value = ParseSize(text);
        return value is { } v && v >= min && v <= max
            ? v
            : throw Error(node, $"'{key}' must be a size from {FormatSize(min)} to {FormatSize(max)} (such as 100 MB, 8MiB, 53298520 kB or a number of bytes), not '{Shown(text)}'");
    }

    /// <summary>A value as an error message shows it: control characters escaped, long text cut.</summary>
    public static string Shown(string? text)
    {
        if (text is null)
        {
            return "";
        }
        var cut = text.Length > 80 ? text[..80] + "..." : text;
        var sb = new System.Text.StringBuilder(cut.Length);
        foreach (var c in cut)
        {
            sb.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }
        return sb.ToString();
    }

    internal static string FormatDuration(TimeSpan t) =>
        t == TimeSpan.Zero ? "0s"
        : t.TotalDays >= 1 && t.Ticks % TimeSpan.TicksPerDay == 0 ? $"{t.TotalDays.ToString(CultureInfo.InvariantCulture)}d"
        : t.TotalHours >= 1 && t.Ticks % TimeSpan.TicksPerHour == 0 ? $"{t.TotalHours.ToString(CultureInfo.InvariantCulture)}h"
        : t.Ticks % TimeSpan.TicksPerSecond == 0 ? $"{t.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"
        : $"{t.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms";

    internal static string FormatSize(long bytes) =>
        bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{(bytes >> 30).ToString(CultureInfo.InvariantCulture)} GiB"
        : bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? $"{(bytes >> 20).ToString(CultureInfo.InvariantCulture)} MiB"
        : bytes >= 1L << 10 && bytes % (1L << 10) == 0 ? $"{(bytes >> 10).ToString(CultureInfo.InvariantCulture)} KiB"
        : $"{bytes.ToString(CultureInfo.InvariantCulture)} B";

    public IReadOnlyList<YamlNode> Sequence(YamlNode node, string key) =>
        node is YamlSequenceNode seq ? seq.Children.ToList() : throw Error(node, $"'{key}' must be a list (lines starting with '- ')");

    public IReadOnlyList<YamlNode> List(string key)
    {
        var node = Get(key);
        return node is null ? [] : Sequence(node, key);
    }

    public IReadOnlyList<string> Strings(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return [];
        }
        if (node is YamlScalarNode s)
        {
            return [s.Value ?? ""];
        }
        return Sequence(node, key).Select(n => (n as YamlScalarNode)?.Value ?? throw Error(n, $"'{key}' entries must be single values")).ToList();
    }

    public YamlMap? Map(string key, string what)
    {
        var node = Get(key);
        return node is null ? null : new YamlMap(_file, node, what);
    }

    public YamlMap MapOf(YamlNode node, string what) => new(_file, node, what);

    /// <summary>Fails on any key no one read, suggesting the closest known one.</summary>
    public void EnsureAllRead(params string[] alsoKnown)
    {
        foreach (var (key, (k, _)) in _entries)
        {
            if (_read.Contains(key))
            {
                continue;
            }
            var known = _read.Concat(alsoKnown).Distinct().ToList();
            // A misspelling is short: a long key (a fuzzer's, a pasted blob) gets no hint, and no quadratic work.
            var near = key.Length <= 64 ? known.OrderBy(x => Distance(x, key)).FirstOrDefault() : null;
            var hint = near is not null && Distance(near, key) <= 3 ? $" (did you mean '{near}'?)" : known.Count > 0 ? $" (known here: {string.Join(", ", known.Order())})" : "";
            throw Error(k, $"unknown key '{Shown(key)}'{hint}");
        }
    }

    /// <summary>The longest duration any field accepts (fields have their own, smaller limits).</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(36500);

    /// <summary>Parses <c>30s</c>, <c>5m</c>, <c>2h</c>, <c>1d</c>, <c>250ms</c> or seconds; null when malformed or beyond <see cref="MaxDuration"/> (never overflows).</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var m = DurationPattern().Match(text.Trim());
        if (!m.Success)
        {
            return null;
        }
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        double? seconds = m.Groups[2].Value.ToLowerInvariant() switch
        {
            "ms" => n / 1000,
            "" or "s" => n,
            "m" or "min" => n * 60,
            "h" => n * 3600,
            "d" => n * 86400,
            _ => null,
        };
        return seconds is { } s && double.IsFinite(s) && s <= MaxDuration.TotalSeconds ? TimeSpan.FromSeconds(s) : null;
    }

    /// <summary>Parses <c>8 MiB</c>, <c>100 MB</c>, <c>512</c>... (binary units); null when malformed or beyond 1 PiB (never overflows).</summary>
    public static long? ParseSize(string text)
    {
        var m = SizePattern().Match(text.Trim());
        if (!m.Success)
        {
            return null;
        }
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        double factor = m.Groups[2].Value.ToLowerInvariant() switch
        {
            "" or "b" => 1,
            "kb" or "k" => 1024,
            "kib" => 1024,
            "mb" or "m" or "mib" => 1024 * 1024,
            "gb" or "g" or "gib" => 1024L * 1024 * 1024,
            _ => 0,
        };
        var bytes = n * factor;
        return factor == 0 || !double.IsFinite(bytes) || bytes > (double)(1L << 50) ? null : (long)bytes;
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) { d[i, 0] = i; }
        for (int j = 0; j <= b.Length; j++) { d[0, j] = j; }
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }
        return d[a.Length, b.Length];
    }

    [GeneratedRegex(@"^([0-9]{1,30}(?:\.[0-9]{1,30})?)[ \t]*(ms|s|m|min|h|d|)\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^([0-9]{1,30}(?:\.[0-9]{1,30})?)[ \t]*(b|k|kb|kib|m|mb|mib|g|gb|gib|)\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();
}
