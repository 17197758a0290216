using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using PoapLab.Core.Threading;

namespace PoapLab.Core.Sockets;

/// <summary>
/// A UDP socket that sends with one sendto(2) on the caller's thread and waits for datagrams
/// through the <see cref="DatagramReactor"/> (watched only while a receive waits), so neither a
/// send nor a receive costs a thread wake-up that carries no datagram. A receive that had to wait goes on
/// on the reactor's thread; a receive that ends by its token or by <see cref="Dispose"/> goes
/// on on a pool thread. One receive at a time (a socket has one reader); sends from any thread.
/// Errors are the <see cref="SocketException"/>s .NET's own sockets throw, and a closed socket
/// throws <see cref="ObjectDisposedException"/>. Where there is no epoll (not Linux) it is .NET's
/// asynchronous socket underneath, with the same behaviour.
/// </summary>
public sealed partial class PolledUdpSocket : IValueTaskSource<int>, IDisposable
{
    private const int MsgDontWait = 0x40;
    private const int EIntr = 4;
    private const int EAgain = 11;

    // A send the socket's buffer cannot take waits for room this long at most, off the reactor's thread.
    private static readonly TimeSpan SendRoomLimit = TimeSpan.FromSeconds(10);

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static unsafe partial nint RecvFrom(int fd, byte* buffer, nuint length, int flags, byte* address, int* addressLength);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static unsafe partial nint SendToNative(int fd, byte* buffer, nuint length, int flags, byte* address, int addressLength);

    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<int> _core;
    private Memory<byte> _buffer;
    private SocketAddress? _from;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private long _id;
    private bool _waiting;
    private bool _disposed;

    /// <summary>For tests: runs between a receive's try that found nothing and its wait (a datagram that lands there must still end the wait).</summary>
    internal Action? AfterEmptyTry { get; set; }

    /// <summary>Takes <paramref name="socket"/> (bound or not; a datagram socket) over: disposing this disposes it.</summary>
    public PolledUdpSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.SocketType != SocketType.Dgram)
        {
            throw new ArgumentException("A datagram socket is needed.", nameof(socket));
        }
        Socket = socket;
        // Never block a thread in a send or a receive (the reactor's least of all).
        socket.Blocking = false;
    }

    /// <summary>The socket (for options, binding, poll(2) on a thread of the caller's own).</summary>
    public Socket Socket { get; }

    /// <summary>Sends one datagram now; <see cref="SocketError.WouldBlock"/> when the socket's buffer is full.</summary>
    public int SendTo(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        ArgumentNullException.ThrowIfNull(to);
        if (!DatagramReactor.Supported)
        {
            return Socket.SendTo(datagram, SocketFlags.None, to);
        }
        return TrySendTo(datagram, to, out var sent) ? sent : throw new SocketException((int)SocketError.WouldBlock);
    }

    /// <summary>Sends one datagram: at once when the socket's buffer has room (the usual case), else when it has (within 10 s).</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> datagram, SocketAddress to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(to);
        cancellationToken.ThrowIfCancellationRequested();
        if (!DatagramReactor.Supported)
        {
            return Socket.SendToAsync(datagram, SocketFlags.None, to, cancellationToken);
        }
        return TrySendTo(datagram.Span, to, out var sent) ? new ValueTask<int>(sent) : SendWhenRoomAsync(datagram, to, cancellationToken);
    }

    /// <summary>Sends one datagram to <paramref name="to"/> (see <see cref="SendToAsync(ReadOnlyMemory{byte}, SocketAddress, CancellationToken)"/>).</summary>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> datagram, EndPoint to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(to);
        return SendToAsync(datagram, to.Serialize(), cancellationToken);
    }

    private async ValueTask<int> SendWhenRoomAsync(ReadOnlyMemory<byte> datagram, SocketAddress to, CancellationToken cancellationToken)
    {
        // Waiting for room is not for the reactor's thread.
        await IoThreads.LeaveAsync();
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < SendRoomLimit)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Socket.Poll(20_000, SelectMode.SelectWrite) && TrySendTo(datagram.Span, to, out var sent))
            {
                return sent;
            }
        }
        throw new SocketException((int)SocketError.TimedOut);
    }

    private unsafe bool TrySendTo(ReadOnlySpan<byte> datagram, SocketAddress to, out int sent)
    {
        using var lease = new DescriptorLease(Socket.SafeHandle);
        var address = to.Buffer.Span;
        while (true)
        {
            nint n;
            fixed (byte* data = datagram)
            fixed (byte* name = address)
            {
                n = SendToNative(lease.Fd, data, (nuint)datagram.Length, MsgDontWait, name, to.Size);
            }
            if (Outcome(n, out sent) is { } done)
            {
                return done;
            }
        }
    }

    /// <summary>Whether a call returned <paramref name="n"/> is done (true), found the socket not ready (false) or was interrupted (null, call again); throws for an error.</summary>
    private static bool? Outcome(nint n, out int value)
    {
        if (n >= 0)
        {
            value = (int)n;
            return true;
        }
        value = 0;
        var errno = Marshal.GetLastPInvokeError();
        return errno switch
        {
            EIntr => null,
            EAgain => false,
            _ => throw Error(errno),
        };
    }

    /// <summary>
    /// The datagram queued now, if there is one, into <paramref name="buffer"/> with its source in
    /// <paramref name="from"/>; false when none is. Never waits.
    /// </summary>
    public unsafe bool TryReceiveFrom(Span<byte> buffer, SocketAddress from, out int length)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (!DatagramReactor.Supported)
        {
            if (Socket.Available == 0)
            {
                length = 0;
                return false;
            }
            length = Socket.ReceiveFrom(buffer, SocketFlags.None, from);
            return true;
        }
        using var lease = new DescriptorLease(Socket.SafeHandle);
        var address = from.Buffer.Span;
        while (true)
        {
            var addressLength = address.Length;
            nint n;
            fixed (byte* data = buffer)
            fixed (byte* name = address)
            {
                n = RecvFrom(lease.Fd, data, (nuint)buffer.Length, MsgDontWait, name, &addressLength);
            }
            if (Outcome(n, out length) is { } done)
            {
                if (done)
                {
                    from.Size = Math.Min(addressLength, address.Length);
                }
                return done;
            }
        }
    }

    /// <summary>The socket's descriptor for one call: a Dispose on another thread meanwhile closes it only after the call, so its number is never reused under it.</summary>
    private readonly ref struct DescriptorLease
    {
        private readonly SafeHandle _handle;
        private readonly bool _added;

        public DescriptorLease(SafeHandle handle)
        {
            _handle = handle;
            handle.DangerousAddRef(ref _added);
            Fd = (int)handle.DangerousGetHandle();
        }

        public int Fd { get; }

        public void Dispose()
        {
            if (_added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The next datagram, into <paramref name="buffer"/> with its source in <paramref name="from"/>.
    /// The token ends the wait with an <see cref="OperationCanceledException"/> for it; a datagram
    /// queued by then is left for the next receive.
    /// </summary>
    public ValueTask<int> ReceiveFromAsync(Memory<byte> buffer, SocketAddress from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (!DatagramReactor.Supported)
        {
            return Socket.ReceiveFromAsync(buffer, SocketFlags.None, from, cancellationToken);
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (TryReceiveFrom(buffer.Span, from, out var length))
        {
            return new ValueTask<int>(length);
        }
        AfterEmptyTry?.Invoke();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_waiting)
            {
                throw new InvalidOperationException("A receive is already waiting on this socket.");
            }
            _core.Reset();
            _core.RunContinuationsAsynchronously = false;
            _buffer = buffer;
            _from = from;
            _token = cancellationToken;
            _waiting = true;
            if (cancellationToken.CanBeCanceled)
            {
                // A token cancelled meanwhile runs the callback here, which ends the wait at once.
                _registration = cancellationToken.UnsafeRegister(static (s, t) => ((PolledUdpSocket)s!).OnCancelled(t), this);
            }
            if (_waiting)
            {
                try
                {
                    // A datagram that came after the try makes the event at once (arming looks at the queue).
                    ArmLocked();
                }
                catch (SocketException)
                {
                    _registration.Unregister();
                    _registration = default;
                    throw;
                }
            }
            return new ValueTask<int>(this, _core.Version);
        }
    }

    private void ArmLocked()
    {
        try
        {
            _id = DatagramReactor.Shared.Arm(this, (int)Socket.SafeHandle.DangerousGetHandle(), _id);
        }
        catch (SocketException)
        {
            // No wait without a watch: the receive fails as the socket call would have.
            _waiting = false;
            throw;
        }
    }

    /// <summary>The reactor saw the socket readable (the watch is off again until the next arming).</summary>
    internal void OnReadable()
    {
        Memory<byte> buffer;
        SocketAddress from;
        lock (_gate)
        {
            if (!_waiting)
            {
                // The wait this watch was armed for ended by its token: nobody to hand it to.
                return;
            }
            _waiting = false;
            buffer = _buffer;
            from = _from!;
        }
        int length;
        try
        {
            if (!TryReceiveFrom(buffer.Span, from, out length))
            {
                // Readable but nothing to take (a datagram with a bad checksum is dropped only now): wait on.
                lock (_gate)
                {
                    if (!_disposed && !_token.IsCancellationRequested)
                    {
                        _waiting = true;
                        ArmLocked();
                        return;
                    }
                }
                Complete(0, _disposed ? Aborted() : new OperationCanceledException(_token), asynchronously: true);
                return;
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Complete(0, e is ObjectDisposedException ? Aborted() : e, asynchronously: false);
            return;
        }
        Complete(length, null, asynchronously: false);
    }

    private void OnCancelled(CancellationToken token)
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                return;
            }
            _waiting = false;
        }
        Complete(0, new OperationCanceledException(token), asynchronously: true);
    }

    private void Complete(int length, Exception? error, bool asynchronously)
    {
        CancellationTokenRegistration registration;
        lock (_gate)
        {
            registration = _registration;
            _registration = default;
            _buffer = default;
            _from = null;
        }
        // Never waits for a callback that is running (it finds the wait taken and returns).
        registration.Unregister();
        // A receive ended by its token or by Dispose goes on on a pool thread, not inside
        // the canceller's Cancel() or Dispose().
        _core.RunContinuationsAsynchronously = asynchronously;
        if (error is null)
        {
            _core.SetResult(length);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>Closes the socket; a receive waiting ends with <see cref="SocketError.OperationAborted"/>, as .NET's does.</summary>
    public void Dispose()
    {
        bool waiting;
        long id;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            waiting = _waiting;
            _waiting = false;
            id = _id;
        }
        if (id != 0)
        {
            DatagramReactor.Shared.Remove(id, (int)Socket.SafeHandle.DangerousGetHandle());
        }
        Socket.Dispose();
        if (waiting)
        {
            Complete(0, Aborted(), asynchronously: true);
        }
    }

    private static SocketException Aborted() => new((int)SocketError.OperationAborted);

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    private static SocketException Error(int errno) => new((int)ToSocketError(errno), Marshal.GetPInvokeErrorMessage(errno));

    /// <summary>The <see cref="SocketError"/> .NET reports for a Linux errno of a socket call.</summary>
    internal static SocketError ToSocketError(int errno) => errno switch
    {
        1 or 13 => SocketError.AccessDenied,
        9 => SocketError.OperationAborted,
        11 => SocketError.WouldBlock,
        22 => SocketError.InvalidArgument,
        90 => SocketError.MessageSize,
        97 => SocketError.AddressFamilyNotSupported,
        99 => SocketError.AddressNotAvailable,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        104 => SocketError.ConnectionReset,
        105 => SocketError.NoBufferSpaceAvailable,
        111 => SocketError.ConnectionRefused,
        113 => SocketError.HostUnreachable,
        _ => SocketError.SocketError,
    };
}
