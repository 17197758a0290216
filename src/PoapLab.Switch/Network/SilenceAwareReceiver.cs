using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PoapLab.Core.Sockets;

namespace PoapLab.Switch.Network;

/// <summary>
/// The receiving half of a switch's UDP socket, shared by every <see cref="ISwitchNetwork"/>:
/// a timed-out wait cancels its OS receive, which on Linux either takes the datagram or leaves
/// it queued in the socket (so no datagram is lost between waits), and a wait known to be in
/// vain (the lab said no answer is coming: <see cref="ExpectSilence"/>) ends after a short grace
/// instead of its full real-time cap. Not for concurrent receives (a socket has one reader, its
/// client). A receive allocates nothing but the datagram it returns: the source address is read
/// into one reused <see cref="SocketAddress"/> and its endpoint made once per peer. The wait is
/// the <see cref="PolledUdpSocket"/>'s: a datagram that ends it goes on on the reactor's thread.
/// </summary>
public sealed class SilenceAwareReceiver(PolledUdpSocket socket) : IAsyncDisposable
{
    /// <summary>Real time a receive waits for stragglers once it knows no answer is coming.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(3);

    private readonly byte[] _buffer = new byte[65536];
    private readonly Lock _gate = new();
    private readonly SocketAddress _address = new(socket.Socket.AddressFamily);
    private readonly IPEndPoint _template = new(socket.Socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    // The last peer's address and endpoint: a transfer hears one peer thousands of times.
    private SocketAddress? _lastAddress;
    private IPEndPoint? _lastFrom;
    private CancellationTokenSource? _wait;
    private bool _silence;
    private int _disposed;

    /// <summary>The socket (its sends go straight out on the caller's thread).</summary>
    public PolledUdpSocket Socket => socket;

    /// <summary>Whether the current wait is known to be in vain (cleared by <see cref="ExpectAnswer"/>).</summary>
    public bool SilenceKnown => Volatile.Read(ref _silence);

    /// <summary>A datagram is on its way (the client just sent): waits last their full time again.</summary>
    public void ExpectAnswer() => Volatile.Write(ref _silence, false);

    /// <summary>No answer is coming: the current and next waits end after <see cref="Grace"/>.</summary>
    public void ExpectSilence()
    {
        lock (_gate)
        {
            _silence = true;
            _wait?.CancelAfter(Grace);
        }
    }

    /// <summary>
    /// The next datagram within <paramref name="realWait"/> of real time (or <see cref="Grace"/>
    /// when silence is known), with its source; null when none came. An ICMP port unreachable
    /// reported for an earlier send is not a datagram and is skipped.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<(byte[] Data, IPEndPoint From)?> ReceiveAsync(TimeSpan realWait, CancellationToken cancellationToken)
    {
        while (true)
        {
            int received;
            CancellationToken token;
            lock (_gate)
            {
                if (_wait is null || !_wait.TryReset())
                {
                    _wait?.Dispose();
                    _wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                }
                _wait.CancelAfter(_silence ? Grace : realWait);
                token = _wait.Token;
            }
            try
            {
                received = await socket.ReceiveFromAsync(_buffer, _address, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The wait is over; a datagram that is queued by now (a wait of no time, one
                // that came as the timer fired) is still taken, as it would be by the next wait.
                try
                {
                    if (!socket.TryReceiveFrom(_buffer, _address, out received))
                    {
                        return null;
                    }
                }
                catch (SocketException e) when (IsIcmpError(e))
                {
                    // An ICMP error queued, not a datagram: the wait stays over.
                    return null;
                }
            }
            catch (SocketException e) when (IsIcmpError(e))
            {
                continue;
            }
            return (_buffer.AsSpan(0, received).ToArray(), From());
        }
    }

    // An ICMP port or host unreachable reported for an earlier send (udp(7): Linux passes them to an unconnected socket too).
    private static bool IsIcmpError(SocketException e) => e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused
        or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

    private IPEndPoint From()
    {
        if (_lastFrom is not null && _address.Equals(_lastAddress))
        {
            return _lastFrom;
        }
        var from = (IPEndPoint)_template.Create(_address);
        if (from.Address.IsIPv4MappedToIPv6)
        {
            from = new IPEndPoint(from.Address.MapToIPv4(), from.Port);
        }
        _lastAddress ??= new SocketAddress(_address.Family, _address.Size);
        _address.Buffer.CopyTo(_lastAddress.Buffer);
        _lastAddress.Size = _address.Size;
        _lastFrom = from;
        return from;
    }

    /// <summary>Closes the socket (a receive still waiting ends with it).</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }
        socket.Dispose();
        lock (_gate)
        {
            _wait?.Dispose();
            _wait = null;
        }
        return ValueTask.CompletedTask;
    }
}
