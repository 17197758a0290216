using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PoapLab.Scenarios.Files;

/// <summary>
/// Reads the files a scenario names (the scenario file itself, served scripts and sources)
/// only when they are regular files of bounded size. The type is checked with
/// <c>statx(2)</c> before opening (so a device is never opened), the file is opened with
/// <c>O_NONBLOCK</c> (so a FIFO swapped in meanwhile never blocks) and checked again on
/// the open descriptor; reads stop at the bound whatever the file grows to.
/// </summary>
public static class RegularFile
{
    /// <summary>A scenario file (YAML) is at most 1 MiB.</summary>
    public const long MaxScenarioBytes = 1L << 20;

    /// <summary>A served <c>script:</c> is at most 16 MiB (it is read and edited in memory).</summary>
    public const long MaxScriptBytes = 16L << 20;

    /// <summary>A served <c>source:</c> is at most 1 GiB.</summary>
    public const long MaxSourceBytes = 1L << 30;

    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int ORdOnly = 0;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int OtherRead = 0x4;

    /// <summary>Why <paramref name="path"/> cannot be used (not there, not a regular file, too big, a secret a scenario may not serve), or null when it can.</summary>
    public static string? Problem(string path, long maxBytes, bool namedByScenario = false)
    {
        try
        {
            using var handle = Open(path, maxBytes, namedByScenario);
            return null;
        }
        catch (IOException e)
        {
            return e.Message;
        }
    }

    /// <summary>Opens a regular file of at most <paramref name="maxBytes"/> bytes for reading; anything else is an <see cref="IOException"/> that says why.</summary>
    /// <param name="namedByScenario">
    /// The file is one a scenario serves or puts on a switch's flash (its script reads it).
    /// PoapLab run as root can read any file, so a scenario file (from a merge request, say)
    /// could hand <c>/etc/shadow</c> or a private key to the script it runs: as root, such a
    /// file must be one every local user may read already (mode o+r). The user's own
    /// <c>--script</c> is not asked.
    /// </param>
    public static SafeFileHandle Open(string path, long maxBytes, bool namedByScenario = false)
    {
        // Links are followed: a scenario may name a link to its script. The type checked is the target's.
        Check(path, Statx(AtFdCwd, path, 0), maxBytes);
        var fd = NativeOpen(path, ORdOnly | ONonBlock | OCloExec);
        if (fd < 0)
        {
            throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var stat = Statx(fd, "", AtEmptyPath);
            Check(path, stat, maxBytes);
            if (namedByScenario && Environment.IsPrivilegedProcess && (stat.Mode & OtherRead) == 0)
            {
                throw new IOException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{path} is not readable by every user (mode {Convert.ToString(stat.Mode & 0xFFF, 8)}): PoapLab runs as root and serves only such files, so that a scenario cannot hand a secret (/etc/shadow, a private key) to the script it runs; chmod o+r it if it is meant to be served"));
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    public static byte[] ReadAll(string path, long maxBytes, bool namedByScenario = false)
    {
        using var handle = Open(path, maxBytes, namedByScenario);
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        using var memory = new MemoryStream();
        CopyBounded(stream, memory, path, maxBytes);
        return memory.ToArray();
    }

    /// <summary>Copies a regular file of at most <paramref name="maxBytes"/> bytes to a new file created with <paramref name="mode"/>.</summary>
    public static void CopyTo(string source, string target, long maxBytes, UnixFileMode mode, bool namedByScenario = false)
    {
        using var handle = Open(source, maxBytes, namedByScenario);
        using var input = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        using var output = CreatePrivate(target, mode);
        CopyBounded(input, output, source, maxBytes);
    }

    /// <summary>Creates (or truncates) a file with <paramref name="mode"/>, the mode applied also when it existed.</summary>
    public static FileStream CreatePrivate(string path, UnixFileMode mode)
    {
        var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = mode, BufferSize = 1 << 16 });
        File.SetUnixFileMode(stream.SafeFileHandle, mode);
        return stream;
    }

    private static void CopyBounded(Stream input, Stream output, string path, long maxBytes)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = input.Read(buffer)) > 0)
        {
            total += n;
            if (total > maxBytes)
            {
                throw new IOException($"{path} grew past {maxBytes} bytes while it was read");
            }
            output.Write(buffer, 0, n);
        }
    }

    private static void Check(string path, (int Mode, long Size) stat, long maxBytes)
    {
        var kind = (stat.Mode & 0xF000) switch
        {
            0x8000 => null,
            0x4000 => "a directory",
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "not a regular file",
        };
        if (kind is not null)
        {
            throw new IOException($"{path} is {kind}, not a regular file");
        }
        if (stat.Size > maxBytes)
        {
            throw new IOException($"{path} is {stat.Size} bytes, more than the {maxBytes} bytes ({maxBytes >> 20} MiB) allowed");
        }
    }

    private static (int Mode, long Size) Statx(int dirFd, string path, int flags)
    {
        var buffer = new byte[256];
        if (NativeStatx(dirFd, path, flags, StatxType | StatxSize, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno == 2 ? $"{path} does not exist" : $"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        // struct statx (linux/stat.h): stx_mode is the u16 at offset 28, stx_size the u64 at 40.
        return (MemoryMarshal.Read<ushort>(buffer.AsSpan(28)), (long)Math.Min(MemoryMarshal.Read<ulong>(buffer.AsSpan(40)), long.MaxValue));
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int NativeStatx(int dirFd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int NativeOpen(string path, int flags);
}
