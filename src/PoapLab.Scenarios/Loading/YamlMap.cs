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
    private readonly LoadContext _context;
    private readonly string _file;
    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlMap(LoadContext context, YamlNode node, string what)
    {
        _context = context;
        _file = context.File;
        Node = node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value lines)");
        Shape = context.ShapeOf(Node);
        foreach (var (k, v) in Node.Children)
        {
            if ((k as YamlScalarNode)?.Value is not { } key)
            {
                _context.Add(Error(k, "keys must be plain words"), k);
                continue;
            }
            if (!_entries.TryAdd(key, (k, v)))
            {
                _context.Add(Error(k, $"'{Shown(key)}' appears twice"), k);
            }
        }
    }

    public YamlMappingNode Node { get; }

    /// <summary>The mapping's shape in <see cref="ScenarioKeys"/> (null for free mappings: a script's options, an event's fields).</summary>
    public MapShape? Shape { get; }

    public SourceLocation Location => At(Node);

    public SourceLocation At(YamlNode node) => new(_file, (int)Math.Clamp(node.Start.Line, 1, int.MaxValue), (int)Math.Clamp(node.Start.Column, 1, int.MaxValue));

    public ScenarioException Error(YamlNode node, string problem) => new(At(node), problem);

    /// <summary>Records a wrong value (the load goes on, to report every error of the file) and reads it as absent.</summary>
    private T? Bad<T>(YamlNode node, string problem)
        where T : struct
    {
        _context.Add(Error(node, problem), node);
        return null;
    }

    private T? BadRef<T>(YamlNode node, string problem)
        where T : class
    {
        _context.Add(Error(node, problem), node);
        return null;
    }

    public bool Has(string key) => _entries.ContainsKey(key);

    public YamlNode? Get(string key)
    {
        if (Shape is not null && Shape.Key(key) is null)
        {
            // The key table is the one list of keys: the loader may not read a key it lacks.
            throw new InvalidOperationException($"the loader reads '{key}' of a {Shape.Name}, which ScenarioKeys does not list");
        }
        _read.Add(key);
        return _entries.TryGetValue(key, out var e) ? e.Value : null;
    }

    /// <summary>
    /// The error for a required key that is absent: the one already reported when its value
    /// was wrong, an "unknown key 'serail' (did you mean 'serial'?)" when a misspelling of it is
    /// there, else "'serial' is missing: what".
    /// </summary>
    public ScenarioException Missing(string key, string what)
    {
        _read.Add(key);
        if (_entries.TryGetValue(key, out var present) && (_context.ErrorAt(present.Value) ?? _context.ErrorAt(present.Key)) is { } reported)
        {
            return reported;
        }
        foreach (var (other, (k, _)) in _entries)
        {
            if (!_read.Contains(other) && (Shape?.Key(other) is null) && LoadContext.Nearest(other, [key]) is not null)
            {
                _read.Add(other);
                return _context.ErrorAt(k) ?? Error(k, $"unknown key '{Shown(other)}' (did you mean '{key}'?)");
            }
        }
        return new ScenarioException(Location, $"'{key}' is missing: {what}");
    }

    public YamlNode Required(string key, string what)
    {
        return Get(key) ?? throw Missing(key, what);
    }

    public string? String(string key)
    {
        var node = Get(key);
        if (node is null)
        {
            return null;
        }
        return node is YamlScalarNode s ? s.Value : BadRef<string>(node, $"'{key}' must be a single value");
    }

    public string RequiredString(string key, string what) =>
        String(key) ?? throw Missing(key, what);

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
            return Bad<int>(node, $"'{key}' must be a whole number{(min != int.MinValue ? $" from {min}" : "")}{(max != int.MaxValue ? $" to {max}" : "")}, not '{Shown(text)}'");
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
            : Bad<double>(node, $"'{key}' must be a positive number up to {max.ToString(CultureInfo.InvariantCulture)}, not '{Shown(text)}'");
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
            var t => Bad<bool>(node, $"'{key}' must be true or false, not '{Shown(t)}'"),
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
            : BadRef<IPAddress>(node, $"'{key}' must be an IPv4 address such as 10.0.0.1, not '{Shown(text)}'");
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
            : BadRef<IPAddress>(node, $"'{key}' must be an IP address such as 10.0.0.1 or 2001:db8::1, not '{Shown(text)}'");
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
            return Address(key) is { } one ? [one] : [];
        }
        return Sequence(node, key).Select(n => IPAddress.TryParse((n as YamlScalarNode)?.Value, out var ip) ? ip : BadRef<IPAddress>(n, $"'{key}' entries must be IPv4 addresses")).OfType<IPAddress>().ToList();
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
            : Bad<TimeSpan>(node, $"'{key}' must be a duration from {FormatDuration(min)} to {FormatDuration(max)} (such as 30s, 5m, 2h, 1d or a number of seconds), not '{Shown(text)}'");
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
            : Bad<long>(node, $"'{key}' must be a size from {FormatSize(min)} to {FormatSize(max)} (such as 100 MB, 8MiB, 53298520 kB or a number of bytes), not '{Shown(text)}'");
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
        node is YamlSequenceNode seq ? seq.Children.ToList() : BadRef<IReadOnlyList<YamlNode>>(node, $"'{key}' must be a list (lines starting with '- ')") ?? [];

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
        return Sequence(node, key).Select(n => (n as YamlScalarNode)?.Value ?? BadRef<string>(n, $"'{key}' entries must be single values")).OfType<string>().ToList();
    }

    public YamlMap? Map(string key, string what)
    {
        var node = Get(key);
        return node is null ? null : new YamlMap(_context, node, what);
    }

    public YamlMap MapOf(YamlNode node, string what) => new(_context, node, what);

    /// <summary>Reads one part (a list entry, a sub-mapping); when it is unusable, records why and goes on (null).</summary>
    public T? Section<T>(Func<T> parse)
        where T : class? => _context.Section(parse);

    /// <summary>Reads one part; when it is unusable, records why and goes on.</summary>
    public void Section(Action parse) => _context.Section<object>(() =>
    {
        parse();
        return this;
    });

    /// <summary>Records an error and goes on reading.</summary>
    public void Report(ScenarioException e) => _context.Add(e);

    /// <summary>Reports every key no one read, suggesting the closest known one (keys the shape does not list were reported by the walk already).</summary>
    public void EnsureAllRead(params string[] alsoKnown)
    {
        foreach (var (key, (k, _)) in _entries)
        {
            if (_read.Contains(key) || alsoKnown.Contains(key) || _context.ErrorAt(k) is not null)
            {
                continue;
            }
            var known = Shape is not null ? Shape.Keys.Select(x => x.Name).Where(x => _read.Contains(x) || alsoKnown.Contains(x)) : _read.Concat(alsoKnown);
            var applies = Shape?.Key(key) is not null ? $" here ('{key}' is for another kind of {Shape.Name})" : "";
            _context.Add(Error(k, $"unknown key '{Shown(key)}'{applies}{LoadContext.Hint(key, known)}"), k);
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

    [GeneratedRegex(@"^([0-9]{1,30}(?:\.[0-9]{1,30})?)[ \t]*(ms|s|m|min|h|d|)\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^([0-9]{1,30}(?:\.[0-9]{1,30})?)[ \t]*(b|k|kb|kib|m|mb|mib|g|gb|gib|)\z", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();
}
