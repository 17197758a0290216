using System.Runtime.InteropServices;

namespace PoapLab.Lab.Transports.Namespace;

/// <summary>The libc calls that move a thread into a network namespace (setns(2)).</summary>
internal static partial class NamespaceNative
{
    /// <summary>CLONE_NEWNET from &lt;sched.h&gt;: the descriptor must refer to a network namespace.</summary>
    public const int CloneNewNet = 0x40000000;

    /// <summary>Moves the calling thread into the namespace the descriptor refers to (setns(2)).</summary>
    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int nstype);

    /// <summary>SOL_SOCKET and SO_BINDTODEVICE from &lt;asm-generic/socket.h&gt; (socket(7)).</summary>
    public const int SolSocket = 1;

    public const int SoBindToDevice = 25;

    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>Opens a file read-only and close-on-exec; -1 and the errno when it fails.</summary>
    public static int OpenReadOnly(string path, out int errno)
    {
        var fd = Open(path, ORdOnly | OCloExec);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }
}
