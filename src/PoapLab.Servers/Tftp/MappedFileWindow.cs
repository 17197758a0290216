using System.IO.MemoryMappedFiles;

namespace PoapLab.Servers.Tftp;

/// <summary>
/// A read-only view of part of a served file in memory (mmap(2)), moved along as a transfer
/// goes, so DATA payloads go from the page cache to the socket in one copy, by the kernel
/// (sendmsg(2) reads the view), instead of a read(2) into a buffer and a second copy from it.
/// The process itself never reads the view: a file cut short meanwhile makes the send fail
/// with EFAULT, not the process with SIGBUS. The view is bounded, so the memory a transfer
/// maps stays small whatever the file's size.
/// </summary>
internal sealed unsafe class MappedFileWindow : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly long _length;
    private readonly long _viewSize;
    private MemoryMappedViewAccessor? _view;
    private long _viewStart;
    private long _viewLength;
    private byte* _pointer;

    private MappedFileWindow(MemoryMappedFile map, long length, long viewSize)
    {
        _map = map;
        _length = length;
        _viewSize = viewSize;
    }

    /// <summary>The length mapped: the file's length when it was opened, or less.</summary>
    public long Length => _length;

    /// <summary>Maps the first <paramref name="length"/> bytes of <paramref name="file"/>; null where the file cannot be mapped (empty, or a device).</summary>
    public static MappedFileWindow? TryOpen(FileStream file, long length, long viewSize)
    {
        if (length <= 0)
        {
            return null;
        }
        try
        {
            var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            return new MappedFileWindow(map, Math.Min(length, file.Length), viewSize);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The address of byte <paramref name="offset"/> of the file, with the <paramref name="count"/>
    /// bytes from it mapped too (the view moves to take them).
    /// </summary>
    public byte* At(long offset, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, _length);
        if (_view is null || offset < _viewStart || offset + count > _viewStart + _viewLength)
        {
            Move(offset, Math.Max(count, _viewSize));
        }
        return _pointer + (offset - _viewStart);
    }

    private void Move(long offset, long size)
    {
        Release();
        var length = Math.Min(size, _length - offset);
        var view = _map.CreateViewAccessor(offset, length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _view = view;
        _pointer = pointer + view.PointerOffset;
        _viewStart = offset;
        _viewLength = length;
    }

    private void Release()
    {
        if (_view is { } view)
        {
            _view = null;
            _pointer = null;
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }
    }

    public void Dispose()
    {
        Release();
        _map.Dispose();
    }
}
