using System.Runtime.CompilerServices;
using System.Text;

[assembly: InternalsVisibleTo("PoapLab.Switch.Tests")]

namespace PoapLab.Switch.Script;

/// <summary>
/// Keeps the last <c>capacity</c> bytes written to it: a script that prints in a loop
/// must not exhaust the host's memory, and the end of its output is what explains a failure.
/// </summary>
internal sealed class TailBuffer
{
    private readonly byte[] _ring;
    private long _written;

    public TailBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new byte[capacity];
    }

    /// <summary>How many bytes were dropped from the front.</summary>
    public long Dropped => Math.Max(0, _written - _ring.Length);

    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length >= _ring.Length)
        {
            data[^_ring.Length..].CopyTo(_ring);
            _written += data.Length;
            // Realign so that the ring starts at offset 0 after this write.
            var shift = (int)(_written % _ring.Length);
            if (shift != 0)
            {
                var copy = _ring.ToArray();
                copy.AsSpan(0, _ring.Length - shift).CopyTo(_ring.AsSpan(shift));
                copy.AsSpan(_ring.Length - shift).CopyTo(_ring);
            }
            return;
        }
        var start = (int)(_written % _ring.Length);
        var first = Math.Min(data.Length, _ring.Length - start);
        data[..first].CopyTo(_ring.AsSpan(start));
        data[first..].CopyTo(_ring);
        _written += data.Length;
    }

    /// <summary>The kept bytes as UTF-8 text; a character cut at the front is dropped, not mangled.</summary>
    public override string ToString()
    {
        byte[] bytes;
        if (_written <= _ring.Length)
        {
            bytes = _ring.AsSpan(0, (int)_written).ToArray();
        }
        else
        {
            var start = (int)(_written % _ring.Length);
            bytes = [.. _ring.AsSpan(start), .. _ring.AsSpan(0, start)];
        }
        var skip = 0;
        if (Dropped > 0)
        {
            // Skip UTF-8 continuation bytes (10xxxxxx) left over from a character cut in half.
            while (skip < bytes.Length && skip < 3 && (bytes[skip] & 0xC0) == 0x80)
            {
                skip++;
            }
        }
        return Encoding.UTF8.GetString(bytes, skip, bytes.Length - skip);
    }
}
