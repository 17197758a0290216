using System.Globalization;
using System.Runtime.InteropServices;

namespace PoapLab.Switch.Flash;

/// <summary>
/// One of the switch's filesystems as a tmpfs of the switch's size, mounted over its host
/// directory in PoapLab's private mount namespace (<see cref="PrivateMounts"/>). Writing past
/// the size fails in the kernel with ENOSPC — "No space left on device", the text scripts
/// match — whoever writes, the script or the switch. On dispose what the filesystem holds is
/// copied back into the host directory (regular files, directories and links as links, never
/// followed; FIFOs and devices are dropped) so the report still shows it, and it is unmounted.
/// </summary>
public sealed class FlashMount : IDisposable
{
    private const uint MsNoSuid = 2;
    private const uint MsNoDev = 4;
    private const int MntDetach = 2;

    /// <summary>Files larger than this (generated images) are not copied back on dispose: the report lists them, it does not keep them.</summary>
    public const long MaxCopiedBackBytes = 16L << 20;

    /// <summary>What one filesystem copies back at most, all files together (a script may fill its flash with junk).</summary>
    public const long MaxCopiedBackTotalBytes = 64L << 20;

    private int _disposed;

    private FlashMount(string path, long sizeBytes)
    {
        Path = path;
        SizeBytes = sizeBytes;
    }

    /// <summary>The host directory the tmpfs covers.</summary>
    public string Path { get; }

    /// <summary>The tmpfs's size.</summary>
    public long SizeBytes { get; }

    /// <summary>Mounts a tmpfs of <paramref name="sizeBytes"/> over the empty <paramref name="path"/>, or returns null when this process cannot (<see cref="PrivateMounts.Active"/> false).</summary>
    public static FlashMount? TryMount(string path, long sizeBytes)
    {
        if (!PrivateMounts.Active)
        {
            return null;
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sizeBytes);
        Directory.CreateDirectory(path);
        // What is already there (the scenario's bootflash files) moves into the tmpfs.
        var waiting = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path)!, "." + System.IO.Path.GetFileName(path) + ".mounting");
        var moved = Directory.EnumerateFileSystemEntries(path).Any();
        if (moved)
        {
            if (Directory.Exists(waiting))
            {
                Directory.Delete(waiting, recursive: true);
            }
            Directory.Move(path, waiting);
            Directory.CreateDirectory(path);
        }
        // A whole number of pages: tmpfs rounds down, and the flash must hold its full size.
        var pages = (sizeBytes + Environment.SystemPageSize - 1) / Environment.SystemPageSize;
        var options = string.Create(CultureInfo.InvariantCulture, $"size={pages * Environment.SystemPageSize},mode=0755,nr_inodes=65536");
        if (Mount("tmpfs", path, "tmpfs", MsNoSuid | MsNoDev, options) != 0)
        {
            throw new IOException($"could not mount the switch's filesystem at {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        var mount = new FlashMount(path, sizeBytes);
        if (moved)
        {
            try
            {
                var budget = long.MaxValue;
                CopyTree(waiting, path, long.MaxValue, ref budget);
            }
            catch (IOException e)
            {
                mount.Dispose();
                throw new IOException($"the files placed on {path} do not fit its {sizeBytes} bytes: {e.Message}", e);
            }
            Directory.Delete(waiting, recursive: true);
        }
        return mount;
    }

    /// <summary>Copies the contents back to the host directory and unmounts. Call only when no process of a script is alive.</summary>
    public void Dispose() => Release(null);

    /// <summary>
    /// As <see cref="Dispose"/>, a file identical to one <paramref name="identical"/> kept stored
    /// as a hard link to it (null: every file copied). Call only when no process of a script is alive.
    /// </summary>
    public void Release(IdenticalFiles? identical)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        var keep = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, "." + System.IO.Path.GetFileName(Path) + ".unmounting");
        try
        {
            if (Directory.Exists(keep))
            {
                Directory.Delete(keep, recursive: true);
            }
            Directory.CreateDirectory(keep);
            var budget = MaxCopiedBackTotalBytes;
            CopyTree(Path, keep, MaxCopiedBackBytes, ref budget, identical, Path);
        }
        finally
        {
            if (Umount(Path, MntDetach) != 0)
            {
                var error = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
                throw new IOException($"could not unmount the switch's filesystem at {Path}: {error}");
            }
        }
        foreach (var entry in new DirectoryInfo(keep).EnumerateFileSystemInfos())
        {
            var target = System.IO.Path.Combine(Path, entry.Name);
            if (entry is DirectoryInfo && entry.LinkTarget is null)
            {
                Directory.Move(entry.FullName, target);
            }
            else
            {
                File.Move(entry.FullName, target, overwrite: true);
            }
        }
        Directory.Delete(keep, recursive: true);
    }

    /// <summary>
    /// Regular files, directories and links (as links); no link is followed and nothing else is
    /// copied. A regular file goes through <paramref name="identical"/> when given (a hard link
    /// to an identical kept file, or a copy kept from then on, under the name it will have in
    /// <paramref name="finalDir"/>, where <paramref name="to"/>'s entries are moved once copied).
    /// </summary>
    internal static void CopyTree(string from, string to, long largestFile, ref long budget, IdenticalFiles? identical = null, string? finalDir = null)
    {
        // The directory is opened once for all its entries' checks (first needed by the first file).
        Microsoft.Win32.SafeHandles.SafeFileHandle? directory = null;
        try
        {
            CopyEntries(from, to, largestFile, ref budget, identical, finalDir, ref directory);
        }
        finally
        {
            directory?.Dispose();
        }
    }

    private static void CopyEntries(string from, string to, long largestFile, ref long budget, IdenticalFiles? identical, string? finalDir, ref Microsoft.Win32.SafeHandles.SafeFileHandle? directory)
    {
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            var target = System.IO.Path.Combine(to, entry.Name);
            try
            {
                if (entry.LinkTarget is { } link)
                {
                    File.CreateSymbolicLink(target, link);
                }
                else if (entry is DirectoryInfo)
                {
                    Directory.CreateDirectory(target);
                    CopyTree(entry.FullName, target, largestFile, ref budget, identical, finalDir is null ? null : System.IO.Path.Combine(finalDir, entry.Name));
                }
                else if (IsRegularFile(directory ??= Native.LinuxFs.OpenRoot(from), entry.Name) && ((FileInfo)entry).Length <= Math.Min(largestFile, budget))
                {
                    budget -= ((FileInfo)entry).Length;
                    if (identical is null)
                    {
                        File.Copy(entry.FullName, target);
                        File.SetLastWriteTimeUtc(target, entry.LastWriteTimeUtc);
                    }
                    else
                    {
                        identical.CopyOrLink(entry.FullName, target, finalDir is null ? null : System.IO.Path.Combine(finalDir, entry.Name));
                    }
                }
            }
            catch (IOException) when (largestFile != long.MaxValue)
            {
                // Copying back is for the report: an entry that cannot be copied (a name that is
                // not UTF-8, a file that vanished) is left out, never the unmount.
            }
        }
    }

    /// <summary>Whether the entry itself (never a link's target) is a regular file: FileInfo cannot tell a FIFO or a socket from one.</summary>
    private static bool IsRegularFile(Microsoft.Win32.SafeHandles.SafeFileHandle directory, string name) =>
        Native.LinuxFs.StatEntry(directory, name) is { IsRegular: true };

    [DllImport("libc", EntryPoint = "mount", SetLastError = true)]
    private static extern int Mount(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string source,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string type,
        uint flags,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string data);

    [DllImport("libc", EntryPoint = "umount2", SetLastError = true)]
    private static extern int Umount(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        int flags);
}
