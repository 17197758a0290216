using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PoapLab.Switch.Flash.Native;

/// <summary>
/// The Linux system calls the switch's file trees are built on (x86_64 and arm64 only):
/// <c>openat2(2)</c> with <c>RESOLVE_BENEATH</c>, and the <c>*at(2)</c> calls that act on a
/// name relative to a directory descriptor without following a link in the last component.
/// Every descriptor is opened with <c>O_CLOEXEC</c>; failures throw <see cref="SwitchFileException"/>
/// with the errno.
/// </summary>
internal static partial class LinuxFs
{
    // asm-generic/fcntl.h; O_DIRECTORY and O_NOFOLLOW differ on arm64 (arch/arm64/include/uapi/asm/fcntl.h).
    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int ONoCtty = 0x100;
    public const int OAppend = 0x400;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;
    public const int OPath = 0x200000;
    public static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x4000 : 0x10000;
    public static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x8000 : 0x20000;

    // linux/openat2.h
    public const ulong ResolveNoXdev = 0x01;
    public const ulong ResolveNoMagicLinks = 0x02;
    public const ulong ResolveNoSymlinks = 0x04;
    public const ulong ResolveBeneath = 0x08;

    // linux/fcntl.h
    private const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    private const int AtEmptyPath = 0x1000;

    // sys/stat.h
    public const int SIfMt = 0xF000;
    public const int SIfReg = 0x8000;
    public const int SIfDir = 0x4000;
    public const int SIfLnk = 0xA000;

    // asm-generic/errno-base.h, errno.h (shared by x86_64 and arm64)
    public const int EPerm = 1;
    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int ENxio = 6;
    public const int EAgain = 11;
    public const int EAcces = 13;
    public const int EExist = 17;
    public const int EXdev = 18;
    public const int ENotDir = 20;
    public const int EIsDir = 21;
    public const int EInval = 22;
    public const int ENoSpc = 28;
    public const int ENoSys = 38;
    public const int ENotEmpty = 39;
    public const int ELoop = 40;

    private const long SysOpenat2X64AndArm64 = 437;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>The resolution every open beneath a tree root uses.</summary>
    public const ulong Beneath = ResolveBeneath | ResolveNoMagicLinks | ResolveNoXdev;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct statx (linux/stat.h): the same layout on every architecture, unlike struct stat.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial long SyscallOpenat2(long number, int dirfd, string path, ref OpenHow how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAt(int dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkAt(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAt(int dirfd, string path, uint mode);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxCall(int dirfd, string path, int flags, uint mask, out Statx buffer);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FchownCall(int fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FchownAt(int dirfd, string path, uint uid, uint gid, int flags);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FchmodAt(int dirfd, string path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UtimensAt(int dirfd, string path, [In] Timespec[] times, int flags);

    /// <summary>Whether this process can use <c>openat2</c> at all (Linux ≥ 5.6 on x86_64 or arm64).</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Opens a directory the harness itself names (a tree root): follows links, as any harness path does.</summary>
    public static SafeFileHandle OpenRoot(string hostPath)
    {
        EnsureSupported();
        var fd = Retry(() => OpenAt(AtFdCwd, hostPath, OPath | ODirectory | OCloExec, 0));
        return fd < 0 ? throw Error(Marshal.GetLastPInvokeError(), hostPath) : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary><c>openat2(dirfd, path, {flags | O_CLOEXEC, mode, resolve})</c>.</summary>
    public static SafeFileHandle OpenBeneath(SafeFileHandle dir, string path, int flags, uint mode = 0, ulong resolve = Beneath)
    {
        CheckName(path);
        var how = new OpenHow { Flags = (ulong)(uint)(flags | OCloExec), Mode = (flags & OCreat) != 0 ? mode : 0, Resolve = resolve };
        var add = false;
        try
        {
            dir.DangerousAddRef(ref add);
            var raw = dir.DangerousGetHandle().ToInt32();
            for (var i = 0; i < 16; i++)
            {
                var fd = SyscallOpenat2(SysOpenat2X64AndArm64, raw, path, ref how, (nuint)Marshal.SizeOf<OpenHow>());
                if (fd >= 0)
                {
                    return new SafeFileHandle((nint)fd, ownsHandle: true);
                }
                var errno = Marshal.GetLastPInvokeError();
                // openat2 answers EAGAIN when a rename raced a ".." check: try again, a bounded number of times.
                if (errno is EIntr or EAgain)
                {
                    continue;
                }
                if (errno == ENoSys)
                {
                    throw new SwitchFileException(SwitchFileError.Unsupported, errno,
                        "openat2(2) is not available: PoapLab needs Linux 5.6 or later to keep switch file operations inside the switch's tree");
                }
                throw Error(errno, path);
            }
            throw Error(EAgain, path);
        }
        finally
        {
            if (add)
            {
                dir.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Re-opens an <c>O_PATH</c> descriptor for I/O through <c>/proc/self/fd</c>: the inode is
    /// the one already checked, so nothing swapped in between is opened.
    /// </summary>
    public static SafeFileHandle Reopen(SafeFileHandle pathHandle, int flags)
    {
        var fd = Retry(() => OpenAt(AtFdCwd, $"/proc/self/fd/{pathHandle.DangerousGetHandle()}", flags | OCloExec | ONoCtty, 0));
        return fd < 0 ? throw Error(Marshal.GetLastPInvokeError(), "(reopen)") : new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The status of what a descriptor refers to (works on <c>O_PATH</c> descriptors).</summary>
    public static FileStatus Fstat(SafeFileHandle handle) => Stat(handle, "", AtEmptyPath | AtSymlinkNoFollow);

    /// <summary><c>statx(dirfd, name, AT_SYMLINK_NOFOLLOW)</c>: the entry itself, never a link's target.</summary>
    public static FileStatus? StatEntry(SafeFileHandle dir, string name)
    {
        CheckName(name);
        try
        {
            return Stat(dir, name, AtSymlinkNoFollow);
        }
        catch (SwitchFileException e) when (e.Errno is ENoEnt or ENotDir)
        {
            return null;
        }
    }

    public static void Unlink(SafeFileHandle dir, string name, bool directory)
    {
        CheckName(name);
        Check(WithFd(dir, fd => UnlinkAt(fd, name, directory ? AtRemoveDir : 0)), name);
    }

    public static void Mkdir(SafeFileHandle dir, string name, uint mode)
    {
        CheckName(name);
        Check(WithFd(dir, fd => MkdirAt(fd, name, mode)), name);
    }

    public static void Rename(SafeFileHandle fromDir, string fromName, SafeFileHandle toDir, string toName)
    {
        CheckName(fromName);
        CheckName(toName);
        Check(WithFd(fromDir, from => WithFd(toDir, to => RenameAt(from, fromName, to, toName))), toName);
    }

    public static void Fchown(SafeFileHandle handle, uint uid, uint gid) =>
        Check(WithFd(handle, fd => FchownCall(fd, uid, gid)), "(fchown)");

    /// <summary><c>fchownat(dirfd, name, AT_SYMLINK_NOFOLLOW)</c>: a link gets the owner, its target does not.</summary>
    public static void ChownEntry(SafeFileHandle dir, string name, uint uid, uint gid)
    {
        CheckName(name);
        Check(WithFd(dir, fd => FchownAt(fd, name, uid, gid, AtSymlinkNoFollow)), name);
    }

    /// <summary>Changes the owner of what an <c>O_PATH</c> descriptor refers to (<c>fchownat(fd, "", AT_EMPTY_PATH)</c>).</summary>
    public static void ChownHandle(SafeFileHandle handle, uint uid, uint gid) =>
        Check(WithFd(handle, fd => FchownAt(fd, "", uid, gid, AtEmptyPath | AtSymlinkNoFollow)), "(fchownat)");

    /// <summary>
    /// <c>fchmodat(dirfd, name, mode)</c> on an entry its caller has just found is not a link
    /// (Linux cannot chmod a link itself); the directory descriptor pins where the name is.
    /// </summary>
    public static void ChmodEntry(SafeFileHandle dir, string name, int mode)
    {
        CheckName(name);
        Check(WithFd(dir, fd => FchmodAt(fd, name, (uint)mode, 0)), name);
    }

    /// <summary>Sets the modification time of the entry itself (<c>utimensat</c>, <c>AT_SYMLINK_NOFOLLOW</c>).</summary>
    public static void SetModified(SafeFileHandle dir, string name, DateTimeOffset time)
    {
        CheckName(name);
        const long UtimeOmit = (1L << 30) - 2;
        var unix = time.ToUnixTimeMilliseconds();
        var times = new[]
        {
            new Timespec { Seconds = 0, Nanoseconds = UtimeOmit },
            new Timespec { Seconds = Math.DivRem(unix, 1000, out var ms) - (ms < 0 ? 1 : 0), Nanoseconds = ((ms + 1000) % 1000) * 1_000_000 },
        };
        Check(WithFd(dir, fd => UtimensAt(fd, name, times, AtSymlinkNoFollow)), name);
    }

    private static FileStatus Stat(SafeFileHandle handle, string name, int flags)
    {
        Statx buffer = default;
        var rc = WithFd(handle, fd => Retry(() => StatxCall(fd, name, flags, StatxBasicStats, out buffer)));
        Check(rc, name);
        return new FileStatus(buffer.Mode, (long)buffer.Size, buffer.Nlink, buffer.Uid, buffer.Gid,
            ((ulong)buffer.DevMajor << 32) | buffer.DevMinor, buffer.Ino,
            DateTimeOffset.FromUnixTimeSeconds(buffer.MtimeSeconds).AddTicks(buffer.MtimeNanoseconds / 100));
    }

    private static int WithFd(SafeFileHandle handle, Func<int, int> call)
    {
        var add = false;
        try
        {
            handle.DangerousAddRef(ref add);
            return call(handle.DangerousGetHandle().ToInt32());
        }
        finally
        {
            if (add)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static int Retry(Func<int> call)
    {
        for (var i = 0; ; i++)
        {
            var rc = call();
            if (rc >= 0 || i >= 16 || Marshal.GetLastPInvokeError() != EIntr)
            {
                return rc;
            }
        }
    }

    private static void Check(int rc, string name)
    {
        if (rc < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), name);
        }
    }

    private static void CheckName(string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new SwitchFileException(SwitchFileError.NotFound, ENoEnt, "No such file or directory");
        }
    }

    private static void EnsureSupported()
    {
        if (!IsSupported)
        {
            throw new SwitchFileException(SwitchFileError.Unsupported, ENoSys,
                $"switch file trees need Linux on x86_64 or arm64 (this is {RuntimeInformation.OSDescription} on {RuntimeInformation.ProcessArchitecture})");
        }
    }

    public static SwitchFileException Error(int errno, string name)
    {
        var kind = errno switch
        {
            ENoEnt or ENotDir => SwitchFileError.NotFound,
            // RESOLVE_BENEATH refuses an absolute path, a ".." above the root or a link out with EXDEV;
            // O_NOFOLLOW and RESOLVE_NO_MAGICLINKS refuse a link with ELOOP.
            EXdev or ELoop => SwitchFileError.OutsideTree,
            EIsDir => SwitchFileError.IsDirectory,
            EExist => SwitchFileError.Exists,
            ENotEmpty => SwitchFileError.NotEmpty,
            ENoSpc => SwitchFileError.NoSpace,
            ENxio => SwitchFileError.NotRegularFile,
            ENoSys => SwitchFileError.Unsupported,
            _ => SwitchFileError.PermissionDenied,
        };
        return new SwitchFileException(kind, errno, $"{name}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}

/// <summary>What <c>statx</c> says about one entry.</summary>
internal readonly record struct FileStatus(int Mode, long Size, uint Links, uint Uid, uint Gid, ulong Device, ulong Inode, DateTimeOffset Modified)
{
    public int Type => Mode & LinuxFs.SIfMt;

    public bool IsRegular => Type == LinuxFs.SIfReg;

    public bool IsDirectory => Type == LinuxFs.SIfDir;

    public bool IsSymlink => Type == LinuxFs.SIfLnk;
}
