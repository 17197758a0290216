namespace PoapLab.Lab.Wire;

/// <summary>
/// One direction of a TCP connection put back in order (RFC 9293 §3.4 sequence numbers):
/// retransmitted bytes are delivered once, segments that arrive early wait (a bounded
/// number of them and bytes) until the gap before them is filled. When the bound is
/// reached the gap is given up: the bytes before the waiting segments are counted as lost
/// and delivery goes on from the earliest waiting segment, so memory stays bounded whatever
/// the capture holds.
/// </summary>
internal sealed class TcpReassembler(Action<ReadOnlySpan<byte>> deliver)
{
    /// <summary>Most segments waiting for a gap.</summary>
    public const int MaxPendingSegments = 64;

    /// <summary>Most bytes waiting for a gap.</summary>
    public const int MaxPendingBytes = 256 * 1024;

    private readonly SortedDictionary<long, byte[]> _pending = [];
    private bool _started;
    private uint _base;
    private long _next;
    private int _pendingBytes;

    /// <summary>Bytes delivered in order.</summary>
    public long Delivered { get; private set; }

    /// <summary>Bytes the capture never showed (gaps given up).</summary>
    public long Lost { get; private set; }

    /// <summary>A SYN: the stream's bytes start after its sequence number.</summary>
    public void Syn(uint sequence)
    {
        if (!_started)
        {
            _started = true;
            _base = sequence + 1;
            _next = 0;
        }
    }

    /// <summary>A segment's payload at its sequence number.</summary>
    public void Segment(uint sequence, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return;
        }
        if (!_started)
        {
            // Capture began mid-connection: the first bytes seen start the stream.
            _started = true;
            _base = sequence;
            _next = 0;
        }
        // Position in the stream, measured from the next byte expected (wrap-safe: RFC 9293
        // compares sequence numbers modulo 2^32 within half the space).
        var position = _next + (int)(sequence - unchecked((uint)(_base + _next)));
        var end = position + payload.Length;
        if (end <= _next)
        {
            return; // a retransmission of bytes already delivered
        }
        if (position <= _next)
        {
            Deliver(payload[(int)(_next - position)..]);
            Drain();
            return;
        }
        if (_pending.Count >= MaxPendingSegments || _pendingBytes + payload.Length > MaxPendingBytes)
        {
            // Give the oldest gap up rather than hold more.
            SkipToFirstPending();
            if (position <= _next)
            {
                Segment(sequence, payload);
                return;
            }
        }
        if (!_pending.TryGetValue(position, out var held) || held.Length < payload.Length)
        {
            _pendingBytes += payload.Length - (held?.Length ?? 0);
            _pending[position] = payload.ToArray();
        }
    }

    /// <summary>Ends the stream: a gap still open is lost.</summary>
    public void Close()
    {
        while (_pending.Count > 0)
        {
            SkipToFirstPending();
        }
    }

    private void SkipToFirstPending()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var first = _pending.Keys.First();
        if (first > _next)
        {
            Lost += first - _next;
            _next = first;
        }
        Drain();
    }

    private void Drain()
    {
        while (_pending.Count > 0)
        {
            var (position, bytes) = _pending.First();
            if (position > _next)
            {
                return;
            }
            _pending.Remove(position);
            _pendingBytes -= bytes.Length;
            var end = position + bytes.Length;
            if (end > _next)
            {
                Deliver(bytes.AsSpan((int)(_next - position)));
            }
        }
    }

    private void Deliver(ReadOnlySpan<byte> bytes)
    {
        _next += bytes.Length;
        Delivered += bytes.Length;
        deliver(bytes);
    }
}
