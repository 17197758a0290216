using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace PoapLab.Core.Events;

/// <summary>
/// The data fields of a recorded event: in the order they were given (a key given twice keeps
/// its last value, in its first place), nulls left out. Strings are kept as they are, and values
/// that cannot change once recorded (numbers, enums, times, <see cref="EventText"/>) are turned
/// into text only when read; anything else is formatted as it is recorded. A few fields, so a
/// key is found by a linear search: cheaper than a hash table to build, and to keep.
/// </summary>
internal sealed class EventFields : IReadOnlyDictionary<string, string>
{
    /// <summary>No fields.</summary>
    public static readonly EventFields Empty = new([], [], 0);

    private readonly string[] _keys;
    // string, or a value formatted on first read (then replaced by its text: any reader's text is the same).
    private readonly object[] _values;
    private readonly int _count;

    private EventFields(string[] keys, object[] values, int count)
    {
        _keys = keys;
        _values = values;
        _count = count;
    }

    /// <summary>The fields of <paramref name="data"/>, and <paramref name="switchName"/> under <paramref name="switchKey"/> when not null.</summary>
    public static EventFields From((string Key, object? Value)[] data, string switchKey, string? switchName)
    {
        var size = data.Length + (switchName is null ? 0 : 1);
        if (size == 0)
        {
            return Empty;
        }
        var keys = new string[size];
        var values = new object[size];
        var count = 0;
        foreach (var (key, value) in data)
        {
            if (value is not null)
            {
                count = Set(keys, values, count, key, Keep(value));
            }
        }
        if (switchName is not null)
        {
            count = Set(keys, values, count, switchKey, switchName);
        }
        return count == 0 ? Empty : new EventFields(keys, values, count);
    }

    private static int Set(string[] keys, object[] values, int count, string key, object value)
    {
        for (var i = 0; i < count; i++)
        {
            if (string.Equals(keys[i], key, StringComparison.Ordinal))
            {
                values[i] = value;
                return count;
            }
        }
        keys[count] = key;
        values[count] = value;
        return count + 1;
    }

    // What is stored for a value: itself when it cannot change (its text is made when read), else its text now.
    private static object Keep(object value) => value switch
    {
        string or EventText => value,
        int or long or uint or ulong or short or ushort or byte or sbyte or bool or char or Enum or TimeSpan or DateTimeOffset or DateTime or Guid => value,
        double or float or decimal => value,
        IPAddress or IPEndPoint => Text(value), // settable properties: formatted now
        _ => Text(value),
    };

    private static string Text(object value) => value switch
    {
        string s => s,
        EventText t => t.Format(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private string ValueAt(int i)
    {
        var v = _values[i];
        if (v is string s)
        {
            return s;
        }
        var text = Text(v);
        _values[i] = text;
        return text;
    }

    /// <inheritdoc />
    public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"no field '{key}'");

    /// <inheritdoc />
    public IEnumerable<string> Keys => _keys.Take(_count);

    /// <inheritdoc />
    public IEnumerable<string> Values
    {
        get
        {
            for (var i = 0; i < _count; i++)
            {
                yield return ValueAt(i);
            }
        }
    }

    /// <inheritdoc />
    public int Count => _count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    /// <inheritdoc />
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        var i = IndexOf(key);
        if (i < 0)
        {
            value = null;
            return false;
        }
        value = ValueAt(i);
        return true;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return new KeyValuePair<string, string>(_keys[i], ValueAt(i));
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_keys[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }
}
