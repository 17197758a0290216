using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using PoapLab.Switch.Flash.Native;

namespace PoapLab.Switch.Flash;

/// <summary>
/// The files a run's copy-backs (<see cref="FlashMount"/>) have kept, by size and content, so a
/// file identical to one already kept is stored once: the later copy is a hard link to the
/// first (link(2); the run's output is one filesystem). A fleet of 1,000 switches that each
/// copied the same image keeps one image and 999 links to it, and every switch's flash still
/// shows the file where the script left it.
/// </summary>
/// <remarks>
/// Identical means the same bytes, checked every time: a file is linked only onto a kept file
/// of the same size and SHA-256 whose bytes compare equal to it, read through a descriptor
/// opened on the kept file without following a link and checked to be the very inode this
/// store kept (so a file made to look like the image — same name, same size, other content —
/// is copied on its own, and nothing swapped into a kept file's place is ever linked to). The
/// link is made from that descriptor (<c>linkat</c> of <c>/proc/self/fd/N</c> with
/// <c>AT_SYMLINK_FOLLOW</c>, as linkat(2) describes), never by a name that could be swapped,
/// and onto a new name only (an existing target is an error, never overwritten). When a link
/// cannot be made (another filesystem, an inode at its link limit), the file is copied and
/// becomes the kept one. Files smaller than <see cref="MinBytes"/> are always copied. Linked
/// copies share one inode: their modification time and mode are the first copy's, and writing
/// one of them writes all. Thread-safe: switches give their filesystems back concurrently.
/// </remarks>
public sealed partial class IdenticalFiles
{
    /// <summary>Files below this size are copied, not looked up: linking them saves little.</summary>
    public const long DefaultMinBytes = 64 * 1024;

    private const int AtFdCwd = -100;
    private const int AtSymlinkFollow = 0x400;

    private readonly object _gate = new();
    private readonly Dictionary<(long Size, string Sha256), List<Kept>> _kept = [];

    /// <param name="minBytes">Files below this size are always copied.</param>
    public IdenticalFiles(long minBytes = DefaultMinBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minBytes);
        MinBytes = minBytes;
    }

    /// <summary>Files below this size are always copied.</summary>
    public long MinBytes { get; }

    /// <summary>How many copies were stored as links so far.</summary>
    public int Linked => Volatile.Read(ref _linked);

    /// <summary>How many bytes those links did not write.</summary>
    public long BytesSaved => Interlocked.Read(ref _bytesSaved);

    private int _linked;
    private long _bytesSaved;

    /// <summary>
    /// Puts a copy of the regular file <paramref name="source"/> at the new path
    /// <paramref name="target"/>: a hard link to an identical kept file, or a copy (with
    /// <paramref name="source"/>'s modification time) that is kept from then on.
    /// </summary>
    /// <param name="keptAs">Where the new file will be found from now on, when it is moved there once made (null: <paramref name="target"/>).</param>
    /// <returns>Whether it was linked.</returns>
    /// <exception cref="IOException">The copy failed.</exception>
    public bool CopyOrLink(string source, string target, string? keptAs = null)
    {
        // The source is opened without following a link and must be a regular file: a link on the
        // flash is never read through.
        using var sourceDir = OpenDirectory(Path.GetDirectoryName(Path.GetFullPath(source))!);
        using var sourceHandle = LinuxFs.OpenBeneath(sourceDir, Path.GetFileName(source), LinuxFs.ORdOnly | LinuxFs.ONoFollow | LinuxFs.ONonBlock);
        var status = LinuxFs.Fstat(sourceHandle);
        if (!status.IsRegular)
        {
            throw new IOException($"{source}: not a regular file, not copied");
        }
        using var input = new FileStream(sourceHandle, FileAccess.Read, 1 << 16);
        var size = status.Size;
        if (size >= MinBytes)
        {
            var key = (size, Convert.ToHexStringLower(SHA256.HashData(input)));
            Kept[] candidates;
            lock (_gate)
            {
                candidates = _kept.TryGetValue(key, out var list) ? [.. list] : [];
            }
            foreach (var kept in candidates)
            {
                if (TryLink(kept, input, size, target))
                {
                    Interlocked.Increment(ref _linked);
                    Interlocked.Add(ref _bytesSaved, size);
                    return true;
                }
            }
            var copied = Copy(input, status, target);
            lock (_gate)
            {
                if (!_kept.TryGetValue(key, out var list))
                {
                    _kept[key] = list = [];
                }
                // A few per content at most: a kept file at its link limit is followed by a new one.
                if (list.Count < 8)
                {
                    list.Add(new Kept(Path.GetFullPath(keptAs ?? target), copied.Device, copied.Inode));
                }
            }
            return false;
        }
        Copy(input, status, target);
        return false;
    }

    /// <summary>Copies into a new file (never over one), with the source's mode and modification time; returns the new file's status, read from its own descriptor.</summary>
    private static FileStatus Copy(FileStream input, FileStatus source, string target)
    {
        input.Position = 0;
        using (var output = new FileStream(target, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, PreallocationSize = source.Size }))
        {
            input.CopyTo(output, 1 << 16);
            File.SetUnixFileMode(output.SafeFileHandle, (UnixFileMode)(source.Mode & 0x1FF));
        }
        File.SetLastWriteTimeUtc(target, source.Modified.UtcDateTime);
        using var dir = OpenDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
        using var made = LinuxFs.OpenBeneath(dir, Path.GetFileName(target), LinuxFs.OPath | LinuxFs.ONoFollow);
        return LinuxFs.Fstat(made);
    }

    private static SafeFileHandle OpenDirectory(string path)
    {
        try
        {
            return LinuxFs.OpenRoot(path);
        }
        catch (SwitchFileException e)
        {
            throw new IOException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Links <paramref name="target"/> to <paramref name="kept"/> when it is still the inode kept and its bytes are <paramref name="input"/>'s.</summary>
    private static bool TryLink(Kept kept, FileStream input, long size, string target)
    {
        try
        {
            using var dir = LinuxFs.OpenRoot(Path.GetDirectoryName(kept.Path)!);
            using var path = LinuxFs.OpenBeneath(dir, Path.GetFileName(kept.Path), LinuxFs.OPath | LinuxFs.ONoFollow);
            if (LinuxFs.Fstat(path) is not { IsRegular: true } status || status.Device != kept.Device || status.Inode != kept.Inode || status.Size != size)
            {
                return false;
            }
            using (var handle = LinuxFs.Reopen(path, LinuxFs.ORdOnly))
            using (var keptStream = new FileStream(handle, FileAccess.Read, 1))
            {
                if (!SameBytes(input, keptStream, size))
                {
                    return false;
                }
            }
            var add = false;
            try
            {
                path.DangerousAddRef(ref add);
                return LinkAt(AtFdCwd, $"/proc/self/fd/{path.DangerousGetHandle()}", AtFdCwd, target, AtSymlinkFollow) == 0;
            }
            finally
            {
                if (add)
                {
                    path.DangerousRelease();
                }
            }
        }
        catch (SwitchFileException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool SameBytes(FileStream a, FileStream b, long size)
    {
        a.Position = 0;
        b.Position = 0;
        // Two 64 KiB buffers a call, from the shared pool: a fleet compares one file a switch.
        var x = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        var y = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            long done = 0;
            while (done < size)
            {
                var want = (int)Math.Min(1 << 16, size - done);
                a.ReadExactly(x, 0, want);
                b.ReadExactly(y, 0, want);
                if (!x.AsSpan(0, want).SequenceEqual(y.AsSpan(0, want)))
                {
                    return false;
                }
                done += want;
            }
            // Neither grew since it was measured.
            return a.ReadByte() < 0 && b.ReadByte() < 0;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(x);
            System.Buffers.ArrayPool<byte>.Shared.Return(y);
        }
    }

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkAt(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    private sealed record Kept(string Path, ulong Device, ulong Inode);
}
