using System.Runtime.InteropServices;

namespace PoapLab.Lab.Services.Real;

/// <summary>
/// Checks a file a real server is given (its configuration, unmodified) before anything is
/// started: it must be a regular file, named by a path that is not a symbolic link, of at most
/// 1 MiB. A FIFO would block the daemon (or PoapLab) reading it, a device would be read
/// forever, and a link may point anywhere by the time the daemon opens it.
/// </summary>
internal static partial class ConfigFile
{
    /// <summary>No configuration of these servers comes near 1 MiB.</summary>
    public const long MaxBytes = 1L << 20;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;

    /// <summary>The full path of the file, or a <see cref="RealServerException"/> saying what is wrong with it.</summary>
    public static string Check(string server, string what, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new RealServerException(server, $"{server}: its {what} path contains a NUL character", null);
        }
        var full = Path.GetFullPath(path);
        var (mode, size) = Statx(server, what, full);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => null,
            0xA000 => "a symbolic link",
            0x4000 => "a directory",
            0x1000 => "a FIFO",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
        if (kind is not null)
        {
            throw new RealServerException(server, $"{server}: its {what} {full} is {kind}; give the path of the regular file itself", null);
        }
        if (size > MaxBytes)
        {
            throw new RealServerException(server, $"{server}: its {what} {full} is {size} bytes, more than the {MaxBytes >> 20} MiB allowed", null);
        }
        return full;
    }

    /// <summary>Checks a directory (a TFTP or web root): it must exist and be a directory, not a link to one.</summary>
    public static string CheckDirectory(string server, string what, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var (mode, _) = Statx(server, what, full);
        if ((mode & 0xF000) != 0x4000)
        {
            throw new RealServerException(server, $"{server}: its {what} {full} is not a directory{((mode & 0xF000) == 0xA000 ? " (it is a symbolic link)" : "")}", null);
        }
        return full;
    }

    private static (int Mode, long Size) Statx(string server, string what, string path)
    {
        var buffer = new byte[256];
        if (NativeStatx(AtFdCwd, path, AtSymlinkNoFollow, StatxType | StatxSize, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new RealServerException(server, errno == 2
                ? $"{server}: its {what} {path} does not exist"
                : $"{server}: its {what} {path} cannot be read: {Marshal.GetPInvokeErrorMessage(errno)}", null);
        }
        // struct statx (linux/stat.h): stx_mode is the u16 at offset 28, stx_size the u64 at 40.
        return (MemoryMarshal.Read<ushort>(buffer.AsSpan(28)), (long)Math.Min(MemoryMarshal.Read<ulong>(buffer.AsSpan(40)), long.MaxValue));
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeStatx(int dirFd, string path, int flags, uint mask, [Out] byte[] buffer);
}
