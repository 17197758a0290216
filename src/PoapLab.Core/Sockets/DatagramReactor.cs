using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace PoapLab.Core.Sockets;

/// <summary>
/// One thread waiting in epoll(7) for datagrams on the sockets of <see cref="PolledUdpSocket"/>,
/// and running what waited for them on that thread. It exists for what .NET's own socket engine
/// costs a lock-step exchange (a TFTP block is one datagram each way, a fleet's images two
/// million of them): the engine registers a socket for readable <em>and</em> writable events,
/// so each datagram the socket sends wakes the engine's thread for a writable edge nobody waits
/// for (measured: about 6 sends in 10 wake it), and each datagram received is handed from that
/// thread to a pool thread. Here a socket is watched only while a receive waits on it, for one
/// readable event (EPOLLIN | EPOLLONESHOT, re-armed by the next wait: a transfer that polls its
/// socket itself costs the reactor nothing); a send is one sendto(2) on the caller's thread; and
/// a receive that had to wait goes on on this thread, which then sends the next packet itself.
/// While it is busy the kernel queues the next events, and one epoll_wait(2) returns them
/// together. A lock-step round trip between two sockets of this process measured 27 µs of
/// machine CPU through the engine and 10 µs here.
/// <para>
/// Code that continues after a receive runs on this thread until it awaits again, so what
/// computes or blocks after a datagram leaves it first (<c>IoThreads.LeaveAsync</c>: a transfer's
/// end, a script's start), as it would leave the engine's thread with inline completions.
/// </para>
/// </summary>
public sealed unsafe partial class DatagramReactor
{
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int EpollCtlMod = 3;
    private const int ENoEnt = 2;
    private const uint EpollIn = 0x001;
    private const uint EpollOneShot = 1u << 30;
    private const int EIntr = 4;
    private const int MaxEvents = 64;

    // struct epoll_event is packed on x86-64 (12 bytes, data at 4) and naturally aligned elsewhere (16, at 8).
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    private static readonly Lazy<DatagramReactor> SharedReactor = new(() => new DatagramReactor(), LazyThreadSafetyMode.ExecutionAndPublication);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static partial int EpollCtl(int epoll, int operation, int fd, byte* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeout);

    private readonly int _epoll;
    private readonly ConcurrentDictionary<long, PolledUdpSocket> _sockets = new();
    private long _nextId;

    private DatagramReactor()
    {
        _epoll = EpollCreate(EpollCloexec);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        new Thread(Run) { IsBackground = true, Name = "udp reactor" }.Start();
    }

    /// <summary>Whether this process can use it: Linux (epoll). Elsewhere a <see cref="PolledUdpSocket"/> waits through .NET's engine.</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>The process's reactor, started on first use; its thread lives as long as the process.</summary>
    internal static DatagramReactor Shared => SharedReactor.Value;

    /// <summary>For tests: whether the calling thread is the reactor's.</summary>
    internal static bool OnReactorThread => t_onReactor;

    [ThreadStatic]
    private static bool t_onReactor;

    /// <summary>
    /// Watches <paramref name="fd"/> for one readable event on behalf of <paramref name="socket"/>
    /// (EPOLLIN | EPOLLONESHOT): registered on the first call, re-armed on the next ones. A datagram
    /// already queued makes the event at once. Returns the registration's id (pass it back).
    /// </summary>
    internal long Arm(PolledUdpSocket socket, int fd, long id)
    {
        var ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, EpollIn | EpollOneShot);
        if (id != 0)
        {
            Unsafe.WriteUnaligned(ev + DataOffset, id);
            if (EpollCtl(_epoll, EpollCtlMod, fd, ev) == 0)
            {
                return id;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno != ENoEnt)
            {
                throw Failed(errno);
            }
            // Not registered any more (cannot happen while the socket is open): register anew.
            _sockets.TryRemove(id, out _);
        }
        id = Interlocked.Increment(ref _nextId);
        _sockets[id] = socket;
        Unsafe.WriteUnaligned(ev + DataOffset, id);
        if (EpollCtl(_epoll, EpollCtlAdd, fd, ev) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _sockets.TryRemove(id, out _);
            throw Failed(errno);
        }
        return id;
    }

    private static System.Net.Sockets.SocketException Failed(int errno)
        => new((int)PolledUdpSocket.ToSocketError(errno), $"epoll_ctl: {Marshal.GetPInvokeErrorMessage(errno)}");

    /// <summary>Stops watching (before the descriptor is closed, so a reused number is never confused with it).</summary>
    internal void Remove(long id, int fd)
    {
        // An event already returned by epoll_wait(2) may still name the id: the lookup then finds nothing.
        EpollCtl(_epoll, EpollCtlDel, fd, null);
        _sockets.TryRemove(id, out _);
    }

    private void Run()
    {
        t_onReactor = true;
        var events = stackalloc byte[MaxEvents * 16];
        while (true)
        {
            var n = EpollWait(_epoll, events, MaxEvents, -1);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }
                // EBADF/EINVAL cannot happen on our own descriptor; never spin on it.
                Thread.Sleep(10);
                continue;
            }
            for (var i = 0; i < n; i++)
            {
                var id = Unsafe.ReadUnaligned<long>(events + (i * EventSize) + DataOffset);
                if (_sockets.TryGetValue(id, out var socket))
                {
                    try
                    {
                        socket.OnReadable();
                    }
                    catch (Exception e)
                    {
                        // A continuation that throws out of its await is a bug (an async method keeps
                        // its exceptions): it ends the process as it would on .NET's engine thread,
                        // but from a pool thread, so the other sockets' waits are not lost first.
                        ThreadPool.UnsafeQueueUserWorkItem(static e => ExceptionDispatchInfo.Throw(e), e, preferLocal: false);
                    }
                }
            }
        }
    }
}
