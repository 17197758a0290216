using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("PoapLab.Servers.Tests")]

namespace PoapLab.Servers.Hosting;

/// <summary>
/// The socket and receive loop of a datagram server (DHCPv4, DHCPv6, the TFTP request
/// port): bind once, hand each datagram to the server's handler one at a time, stop on
/// dispose. Servers compose it rather than derive from it: a public server cannot derive
/// from an internal base, and a public base would add to every server's API.
/// </summary>
internal sealed class UdpServerLoop : IAsyncDisposable
{
    private readonly int _maxDatagram;
    // Exactly one of these: an async handler on the thread pool, or a reply made on a thread of the loop's own.
    private readonly Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask>? _handle;
    private readonly Func<ReadOnlyMemory<byte>, IPEndPoint, (byte[] Reply, IPEndPoint To)?>? _answer;
    private readonly CancellationTokenSource _stop = new();
    private ISocketFactory _sockets = SystemSocketFactory.Instance;
    private Socket? _socket;
    private IPEndPoint? _local;
    private Task? _loop;
    private int _stopped;

    /// <param name="maxDatagram">The receive buffer size; longer datagrams are truncated by the socket.</param>
    /// <param name="handle">
    /// Called for every datagram in arrival order. The bytes live in a buffer the next
    /// receive reuses, so the handler must be done with them when its task completes.
    /// An exception from it ends the loop and surfaces from <see cref="StopAsync"/>.
    /// </param>
    public UdpServerLoop(int maxDatagram, Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask> handle)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagram, 1);
        ArgumentNullException.ThrowIfNull(handle);
        _maxDatagram = maxDatagram;
        _handle = handle;
    }

    /// <summary>
    /// A request/reply service (DHCP): <paramref name="answer"/> returns the reply for one
    /// datagram, or null to stay silent, and the reply goes back to the datagram's source.
    /// </summary>
    public UdpServerLoop(int maxDatagram, Func<ReadOnlyMemory<byte>, IPEndPoint, byte[]?> answer)
        : this(maxDatagram, Routed(answer))
    {
    }

    /// <summary>
    /// A request/reply service that chooses where each reply goes (DHCP by RFC 2131 §4.1):
    /// <paramref name="answer"/> returns the reply and its destination, or null to stay silent.
    /// It runs on a thread of the loop's own that blocks in recvfrom(2) and sendto(2): no
    /// epoll wake-up and thread-pool hop per datagram, which under perfdhcp cost more than
    /// the DHCP itself (most of the server's CPU was the kernel switching threads).
    /// </summary>
    public UdpServerLoop(int maxDatagram, Func<ReadOnlyMemory<byte>, IPEndPoint, (byte[] Reply, IPEndPoint To)?> answer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagram, 1);
        ArgumentNullException.ThrowIfNull(answer);
        _maxDatagram = maxDatagram;
        _answer = answer;
    }

    private static Func<ReadOnlyMemory<byte>, IPEndPoint, (byte[] Reply, IPEndPoint To)?> Routed(Func<ReadOnlyMemory<byte>, IPEndPoint, byte[]?> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return (datagram, from) => answer(datagram, from) is { } reply ? (reply, from) : null;
    }

    /// <summary>Where the socket is made (default: this process's network namespace); set before <see cref="Start"/>.</summary>
    public ISocketFactory Sockets
    {
        get => _sockets;
        init => _sockets = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>SO_RCVBUF to ask for (socket(7); the kernel caps it at net.core.rmem_max); null: the system default.</summary>
    public int? ReceiveBufferSize { get; init; }

    /// <summary>Lets the socket send to broadcast addresses (SO_BROADCAST), for DHCP replies by broadcast.</summary>
    public bool EnableBroadcast { get; init; }

    /// <summary>
    /// An IPv6 multicast group the socket joins when bound to the wildcard address (a DHCPv6
    /// server on a real link: All_DHCP_Relay_Agents_and_Servers, RFC 8415 §7.1).
    /// </summary>
    public IPAddress? Ipv6Group { get; init; }

    /// <summary>The bound socket, or null before <see cref="Start"/>.</summary>
    public Socket? Socket => _socket;

    /// <summary>The bound endpoint, or null before <see cref="Start"/>.</summary>
    public IPEndPoint? LocalEndPoint => _local;

    /// <summary>Binds and starts receiving; returns the bound endpoint (port 0 picks one).</summary>
    public IPEndPoint Start(IPEndPoint bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        cancellationToken.ThrowIfCancellationRequested();
        if (_socket is not null)
        {
            throw new InvalidOperationException("the server is already started");
        }
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) != 0, this);
        var socket = _sockets.Create(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (EnableBroadcast)
            {
                socket.EnableBroadcast = true;
            }
            if (ReceiveBufferSize is { } size)
            {
                socket.ReceiveBufferSize = size;
            }
            socket.Bind(bind);
            if (Ipv6Group is { } group && bind.Address.Equals(IPAddress.IPv6Any))
            {
                // Interface 0: the kernel takes the link its multicast route names (the host's one link).
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group));
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _socket = socket;
        _local = (IPEndPoint)socket.LocalEndPoint!;
        var stopping = _stop.Token;
        _loop = _answer is { } answer
            ? AnswerOnOwnThread(socket, answer, stopping)
            : Task.Run(() => ReceiveLoopAsync(socket, _handle!, stopping), CancellationToken.None);
        return _local;
    }

    /// <summary>
    /// Sends one datagram from the bound socket. Delivery is best effort, as for any
    /// datagram service: a peer that went away or a server that is stopping is not an error.
    /// </summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to, CancellationToken cancellationToken)
    {
        var socket = _socket ?? throw new InvalidOperationException("the server is not started");
        try
        {
            await socket.SendToAsync(datagram, SocketFlags.None, to, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            // The client went away; nothing to do for a datagram service.
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (ObjectDisposedException)
        {
            // Stopped.
        }
    }

    /// <summary>
    /// Cancels the token handed to the handler, closes the socket and waits for the loop
    /// to end; later calls do nothing. Work the handler started under that token (a TFTP
    /// transfer) may still be finishing: await it before <see cref="DisposeAsync"/>.
    /// </summary>
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Expected on stop.
            }
        }
    }

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases the cancellation source; later calls do nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    // How long the answering thread blocks in recvfrom(2) before it looks at the stop token again
    // (closing the socket wakes it sooner: .NET shuts a blocking socket down before closing it).
    private static readonly TimeSpan StopPoll = TimeSpan.FromMilliseconds(250);

    private Task AnswerOnOwnThread(Socket socket, Func<ReadOnlyMemory<byte>, IPEndPoint, (byte[] Reply, IPEndPoint To)?> answer, CancellationToken stopping)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        socket.ReceiveTimeout = (int)StopPoll.TotalMilliseconds;
        var thread = new Thread(() =>
        {
            try
            {
                AnswerLoop(socket, answer, stopping);
                done.TrySetResult();
            }
            catch (Exception e)
            {
                // As the async loop: the handler's exception ends the loop and surfaces from StopAsync.
                done.TrySetException(e);
            }
        }, maxStackSize: 256 * 1024)
        {
            IsBackground = true,
            Name = $"udp {_local}",
        };
        thread.Start();
        return done.Task;
    }

    private void AnswerLoop(Socket socket, Func<ReadOnlyMemory<byte>, IPEndPoint, (byte[] Reply, IPEndPoint To)?> answer, CancellationToken stopping)
    {
        var buffer = new byte[_maxDatagram];
        var from = new SocketAddress(socket.AddressFamily);
        while (!stopping.IsCancellationRequested)
        {
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // The receive timeout (the loop condition then ends it if we are stopping), an
                // ICMP port-unreachable from an earlier reply, or the socket shut down on stop.
                continue;
            }
            if (answer(buffer.AsMemory(0, length), (IPEndPoint)_local!.Create(from)) is { } reply)
            {
                try
                {
                    socket.SendTo(reply.Reply, SocketFlags.None, reply.To);
                }
                catch (SocketException)
                {
                    // The client went away; nothing to do for a datagram service.
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }

    private async Task ReceiveLoopAsync(Socket socket, Func<ReadOnlyMemory<byte>, IPEndPoint, CancellationToken, ValueTask> handle, CancellationToken stopping)
    {
        var buffer = new byte[_maxDatagram];
        var from = new SocketAddress(socket.AddressFamily);
        while (!stopping.IsCancellationRequested)
        {
            int length;
            try
            {
                length = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP port-unreachable from an earlier reply surfaces here on some stacks;
                // the loop condition ends it if the socket failed because we are stopping.
                continue;
            }
            await handle(buffer.AsMemory(0, length), (IPEndPoint)_local!.Create(from), stopping).ConfigureAwait(false);
        }
    }
}
