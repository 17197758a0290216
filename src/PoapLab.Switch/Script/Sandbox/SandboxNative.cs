using System.Runtime.InteropServices;
using PoapLab.Core.Native;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>The few libc calls the sandbox's set-up needs that .NET does not offer.</summary>
internal static class SandboxNative
{
    [DllImport("libc", EntryPoint = "geteuid")]
    internal static extern uint GetEffectiveUserId();

    [DllImport("libc", EntryPoint = "getegid")]
    internal static extern uint GetEffectiveGroupId();

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChownRaw([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    /// <summary>Changes the owner of <paramref name="path"/> itself, never of what a link points to.</summary>
    internal static void LChown(string path, uint owner, uint group)
    {
        if (LChownRaw(path, owner, group) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"lchown {path} to {owner}:{group} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>
    /// Gives <paramref name="root"/> (a directory PoapLab made and filled itself) and everything
    /// under it to the owner, without following links.
    /// </summary>
    internal static void LChownTree(string root, uint owner, uint group)
    {
        LChown(root, owner, group);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            LChown(entry.FullName, owner, group);
        }
    }

    private const int AfUnix = 1;
    private const int SockStream = 1;
    private const int SockCloexec = 0x80000;
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgNoSignal = 0x4000;
    private const int Eintr = 4;
    private const int Eagain = 11;

    [DllImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static extern int SocketPairRaw(int domain, int type, int protocol, int[] fds);

    [DllImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static extern nint SendMsg(nint socket, ref MessageHeader message, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    internal static extern int Close(int fd);

    /// <summary>A connected pair of Unix stream sockets, both close-on-exec.</summary>
    internal static (int Ours, int Theirs) SocketPair()
    {
        var fds = new int[2];
        if (SocketPairRaw(AfUnix, SockStream | SockCloexec, 0, fds) != 0)
        {
            throw new IOException("socketpair failed: " + Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        }
        return (fds[0], fds[1]);
    }

    /// <summary>
    /// Sends one byte with <paramref name="fds"/> attached (SCM_RIGHTS, unix(7)) on a connected
    /// Unix socket: the receiver gets its own copies of the descriptors.
    /// </summary>
    internal static unsafe void SendDescriptors(System.Net.Sockets.Socket socket, ReadOnlySpan<int> fds)
    {
        var header = sizeof(nuint) + 2 * sizeof(int);
        var dataLength = fds.Length * sizeof(int);
        var space = Align(header) + Align(dataLength);
        var control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        *(nuint*)control = (nuint)(header + dataLength);
        *(int*)(control + sizeof(nuint)) = SolSocket;
        *(int*)(control + sizeof(nuint) + sizeof(int)) = ScmRights;
        fds.CopyTo(new Span<int>(control + Align(header), fds.Length));
        byte payload = (byte)'R';
        var iov = new IoVector { Base = (nint)(&payload), Length = 1 };
        var message = new MessageHeader { Iov = (nint)(&iov), IovLength = 1, Control = (nint)control, ControlLength = (nuint)space };
        var handle = socket.SafeHandle;
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            // .NET keeps its sockets non-blocking: a full buffer is waited out, boundedly.
            for (var attempt = 0; ; attempt++)
            {
                if (SendMsg(handle.DangerousGetHandle(), ref message, MsgNoSignal) == 1)
                {
                    return;
                }
                var errno = Marshal.GetLastPInvokeError();
                if ((errno == Eagain || errno == Eintr) && attempt < 1000)
                {
                    Thread.Sleep(1);
                    continue;
                }
                throw new IOException("sendmsg to the fork server failed: " + Marshal.GetPInvokeErrorMessage(errno));
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        static int Align(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);
    }

    /// <summary>
    /// Whether a process that can still act is in the pid namespace <paramref name="pidNamespace"/>
    /// (<c>pid:[inode]</c>). A zombie cannot: bwrap's init, orphaned when bwrap exits, may wait
    /// a while for a reaper (where the host's pid 1 reaps slowly, as in some containers).
    /// </summary>
    internal static bool AnyProcessIn(string pidNamespace)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }
            try
            {
                if (new FileInfo(Path.Combine(dir, "ns", "pid")).LinkTarget == pidNamespace && !Dead(File.ReadAllText(Path.Combine(dir, "stat"))))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return false;
    }

    /// <summary>A zombie or dead process, from the state field of /proc/&lt;pid&gt;/stat (after the command's closing parenthesis).</summary>
    private static bool Dead(string stat)
    {
        var close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X' or 'x';
    }
}
