using System.Collections;
using System.Globalization;

namespace PoapLab.Protocols.Tftp;

/// <summary>
/// The options of a request or an OACK, in wire order. Option names compare without case
/// (RFC 2347 §"Packet Formats": "case in-sensitive"); values keep their text. Equality is
/// by content, so packets that carry equal options compare equal.
/// </summary>
public sealed class TftpOptionList : IReadOnlyList<KeyValuePair<string, string>>, IEquatable<TftpOptionList>
{
    private readonly KeyValuePair<string, string>[] _items;

    /// <summary>A request or OACK without options.</summary>
    public static readonly TftpOptionList Empty = new([]);

    /// <summary>Builds a list; names must be unique (without case), non-empty and free of NUL.</summary>
    public TftpOptionList(IEnumerable<KeyValuePair<string, string>> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _items = [.. options];
        for (var i = 0; i < _items.Length; i++)
        {
            var (name, value) = (_items[i].Key, _items[i].Value);
            ArgumentException.ThrowIfNullOrEmpty(name, nameof(options));
            ArgumentNullException.ThrowIfNull(value, nameof(options));
            if (name.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"Option '{name}' contains a NUL character.", nameof(options));
            }
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(_items[j].Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArgumentException($"Option '{name}' appears twice.", nameof(options));
                }
            }
        }
    }

    /// <summary>Builds a list from name/value pairs.</summary>
    public static TftpOptionList Of(params (string Name, string Value)[] options)
        => new(options.Select(o => new KeyValuePair<string, string>(o.Name, o.Value)));

    /// <inheritdoc />
    public int Count => _items.Length;

    /// <inheritdoc />
    public KeyValuePair<string, string> this[int index] => _items[index];

    /// <summary>The value of an option (name without case), or null.</summary>
    public string? this[string name] => TryGetValue(name, out var v) ? v : null;

    /// <summary>Looks an option up by name, without case.</summary>
    public bool TryGetValue(string name, out string value)
    {
        foreach (var item in _items)
        {
            if (string.Equals(item.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                value = item.Value;
                return true;
            }
        }
        value = "";
        return false;
    }

    /// <summary>
    /// Reads an option as a decimal integer (RFC 2348/2349/7440 values are ASCII decimal);
    /// false when absent or not a non-negative number.
    /// </summary>
    public bool TryGetInt64(string name, out long value)
    {
        value = 0;
        return TryGetValue(name, out var text)
            && text.Length is > 0 and <= 19
            && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(TftpOptionList? other)
    {
        if (other is null || other.Count != Count)
        {
            return false;
        }
        for (var i = 0; i < _items.Length; i++)
        {
            if (!string.Equals(_items[i].Key, other._items[i].Key, StringComparison.OrdinalIgnoreCase)
                || !string.Equals(_items[i].Value, other._items[i].Value, StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TftpOptionList);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (k, v) in _items)
        {
            hash.Add(k, StringComparer.OrdinalIgnoreCase);
            hash.Add(v, StringComparer.Ordinal);
        }
        return hash.ToHashCode();
    }

    /// <summary><c>blksize=1468,tsize=0</c>: for events and messages.</summary>
    public override string ToString() => string.Join(",", _items.Select(i => $"{i.Key}={i.Value}"));
}
