namespace PoapLab.Switch.Transfer;

/// <summary>
/// The destination of one copy, counting what arrives: it reports a quarter, a half and three
/// quarters of the size the server announced (TFTP tsize, HTTP Content-Length, scp/sftp/FTP
/// sizes), or every <see cref="UnannouncedStep"/> bytes when none was, so a person watching
/// the run sees a long copy move. At most three reports for an announced size; writes go
/// through unchanged; the inner stream stays the caller's.
/// </summary>
internal sealed class TransferProgressStream(Stream inner, Action<long, long?> report) : Stream
{
    /// <summary>How often a copy of unknown size is reported.</summary>
    public const long UnannouncedStep = 64L << 20;

    private long? _announced;
    private long _written;
    private long _next = UnannouncedStep;
    private int _quarter;

    /// <summary>The size the server announced; from then on the reports are quarters of it.</summary>
    public void Announce(long size)
    {
        if (size > 0 && _announced is null)
        {
            _announced = size;
            _quarter = 0;
            Advance();
        }
    }

    private void Advance()
    {
        if (_announced is { } size)
        {
            while (_quarter < 3 && _written >= size * (_quarter + 1) / 4)
            {
                _quarter++;
                report(_written, size);
            }
        }
        else
        {
            while (_written >= _next)
            {
                _next += UnannouncedStep;
                report(_written, null);
            }
        }
    }

    private void Count(int n)
    {
        _written += n;
        Advance();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Count(count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        Count(buffer.Length);
    }

    public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        await inner.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false);
        Count(count);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        Count(buffer.Length);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
