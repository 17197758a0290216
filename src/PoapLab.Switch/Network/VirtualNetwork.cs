using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Time;

namespace PoapLab.Switch.Network;

/// <summary>Counters of what the link did to the switch's datagrams.</summary>
public sealed class LinkStatistics
{
    private long _droppedToSwitch;
    private long _droppedFromSwitch;
    private long _duplicated;
    private long _reordered;
    private long _delayed;

    public long DroppedToSwitch => Interlocked.Read(ref _droppedToSwitch);
    public long DroppedFromSwitch => Interlocked.Read(ref _droppedFromSwitch);
    public long Duplicated => Interlocked.Read(ref _duplicated);
    public long Reordered => Interlocked.Read(ref _reordered);
    public long Delayed => Interlocked.Read(ref _delayed);

    internal void DropTo() => Interlocked.Increment(ref _droppedToSwitch);
    internal void DropFrom() => Interlocked.Increment(ref _droppedFromSwitch);
    internal void Duplicate() => Interlocked.Increment(ref _duplicated);
    internal void Reorder() => Interlocked.Increment(ref _reordered);
    internal void Delay() => Interlocked.Increment(ref _delayed);

    public override string ToString() =>
        $"dropped {DroppedToSwitch} to / {DroppedFromSwitch} from the switch, duplicated {Duplicated}, reordered {Reordered}, delayed {Delayed}";
}

/// <summary>
/// The switch's network on loopback: lab addresses are translated through a
/// <see cref="LabAddressMap"/> to where the servers really listen, and the switch's
/// own sockets are bound to a loopback address of its own so servers see each switch
/// as a distinct client. No root, no privileged ports. Link faults (<see cref="LinkFaults"/>)
/// are applied here, in switch time.
/// </summary>
public sealed class VirtualNetwork : ISwitchNetwork
{
    /// <summary>Real time a receive waits for stragglers once it knows its answer was lost or held back.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(3);

    private readonly LabAddressMap _map;
    private readonly SimClock _clock;
    private readonly LinkFaults _faults;
    private readonly Func<int> _attempt;
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private readonly bool _uniformDelay;

    /// <param name="attempt">The switch's current POAP attempt, for attempt-keyed link rules.</param>
    public VirtualNetwork(LabAddressMap map, IPAddress switchLoopback, SimClock clock, LinkFaults? faults = null, Func<int>? attempt = null)
    {
        _map = map;
        _clock = clock;
        _faults = faults ?? LinkFaults.None;
        _attempt = attempt ?? (() => 1);
        _random = new Random(_faults.Seed);
        // With one delay for every datagram and no reordering, nothing can overtake a held
        // datagram: it is delivered at its switch time without waiting for stragglers.
        _uniformDelay = _faults.Reorder == 0 && _faults.Rules.All(r => r.Delay == TimeSpan.Zero);
        SwitchLoopback = switchLoopback;
    }

    /// <summary>The loopback address the switch's sockets use.</summary>
    public IPAddress SwitchLoopback { get; }

    /// <summary>What the link did so far.</summary>
    public LinkStatistics Statistics { get; } = new();

    /// <inheritdoc />
    public IPAddress? Resolve(string host) => _map.Resolve(host);

    /// <inheritdoc />
    public string LoginName(IPAddress host, int port, string user) => _map.FindLogin(host, port, user) ?? user;

    private readonly Lock _socketsGate = new();
    private readonly List<VirtualUdpSocket> _sockets = [];

    /// <summary>
    /// Tells the switch's pending waits that no answer is coming (a lab server chose not
    /// to answer: an injected fault, a client it ignores), so a switch-time timeout costs
    /// almost no real time.
    /// </summary>
    public void ExpectSilence()
    {
        VirtualUdpSocket[] sockets;
        lock (_socketsGate)
        {
            sockets = [.. _sockets];
        }
        foreach (var s in sockets)
        {
            s.Silence();
        }
    }

    /// <inheritdoc />
    public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(SwitchLoopback, 0));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var labPort = localPort != 0 ? localPort : ((IPEndPoint)socket.LocalEndPoint!).Port;
        var udp = new VirtualUdpSocket(this, socket, labPort);
        lock (_socketsGate)
        {
            _sockets.Add(udp);
        }
        return ValueTask.FromResult<ILabUdpSocket>(udp);
    }

    /// <inheritdoc />
    public async ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken)
    {
        var real = _map.Find(host, LabTransport.Tcp, port)
            ?? throw new SocketException(_map.ToReal(new IPEndPoint(host, port), LabTransport.Tcp) is null
                ? (int)SocketError.HostUnreachable
                : (int)SocketError.ConnectionRefused);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(SwitchLoopback, 0));
            await socket.ConnectAsync(real, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private bool Chance(double p)
    {
        if (p <= 0)
        {
            return false;
        }
        lock (_randomGate)
        {
            return _random.NextDouble() < p;
        }
    }

    /// <summary>A datagram held by the link until its switch-time delivery.</summary>
    private readonly record struct Held(LabDatagram Datagram, TimeSpan DeliverAt, long Order);

    private sealed class VirtualUdpSocket(VirtualNetwork net, Socket socket, int labPort) : ILabUdpSocket
    {
        private readonly byte[] _receiveBuffer = new byte[65536];
        private readonly List<Held> _held = [];
        private CancellationTokenSource? _wait;
        private readonly Lock _waitGate = new();
        private Task<SocketReceiveFromResult>? _pendingReceive;
        private long _order;

        /// <summary>The link lost something this socket was waiting for: silence is expected.</summary>
        private bool _lossKnown;

        /// <summary>Answers still to come for the last broadcast: one per server it reached.</summary>
        private int _broadcastAnswers;

        public int LocalPort => labPort;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            // Cleared before the datagram leaves, so a server's "no answer" (ExpectSilence)
            // that races the send is not undone by it.
            _lossKnown = false;
            _broadcastAnswers = 0;
            bool delivered;
            if (destination.Address.Equals(IPAddress.Broadcast))
            {
                // A broadcast reaches every DHCP server on the segment (RFC 2131 §4.1: the
                // client broadcasts until it has an address).
                delivered = false;
                if (destination.Port == 67)
                {
                    foreach (var server in net._map.DhcpServers)
                    {
                        if (await SendOneAsync(datagram, server, cancellationToken).ConfigureAwait(false))
                        {
                            delivered = true;
                            _broadcastAnswers++;
                        }
                    }
                }
            }
            else if (destination.Address.Equals(LabAddressMap.AllDhcpServers))
            {
                // RFC 8415 §7.1: clients send to All_DHCP_Relay_Agents_and_Servers.
                delivered = false;
                foreach (var server in net._map.Dhcp6Servers)
                {
                    if (await SendOneAsync(datagram, server, cancellationToken).ConfigureAwait(false))
                    {
                        delivered = true;
                        _broadcastAnswers++;
                    }
                }
            }
            else
            {
                var real = net._map.ToReal(destination, LabTransport.Udp);
                // Nobody at that address: the datagram is lost, as on a real segment.
                delivered = real is not null && await SendOneAsync(datagram, real, cancellationToken).ConfigureAwait(false);
            }
            if (!delivered)
            {
                _lossKnown = true;
            }
        }

        private async ValueTask<bool> SendOneAsync(ReadOnlyMemory<byte> datagram, IPEndPoint real, CancellationToken cancellationToken)
        {
            if (net.Chance(net._faults.LossFromSwitch))
            {
                net.Statistics.DropFrom();
                return false;
            }
            await socket.SendToAsync(datagram, SocketFlags.None, real, cancellationToken).ConfigureAwait(false);
            return true;
        }

        public async ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            timeout = SimClock.Remaining(timeout, TimeSpan.Zero);
            var deadline = net._clock.Elapsed + timeout;
            while (true)
            {
                var now = net._clock.Elapsed;
                var due = EarliestHeld();
                if (due is { } ready && (ready.DeliverAt <= now || (net._uniformDelay && ready.DeliverAt <= deadline)))
                {
                    _held.Remove(ready);
                    if (ready.DeliverAt > now)
                    {
                        net._clock.Advance(ready.DeliverAt - now);
                    }
                    return ready.Datagram;
                }
                var realWait = _held.Count > 0 || _lossKnown
                    ? Grace
                    : timeout < net._clock.RealWaitCap ? timeout : net._clock.RealWaitCap;
                var arrived = await ReceiveRealAsync(realWait, cancellationToken).ConfigureAwait(false);
                if (arrived is null)
                {
                    if (due is { } next && next.DeliverAt <= deadline)
                    {
                        // Nothing overtook it: the held datagram arrives at its switch time.
                        net._clock.Advance(SimClock.Remaining(next.DeliverAt, net._clock.Elapsed));
                        _held.Remove(next);
                        return next.Datagram;
                    }
                    return null;
                }
                var datagram = arrived.Value;
                if (Condition(datagram) is { } delivered)
                {
                    return delivered;
                }
            }
        }

        /// <summary>Applies the link to a datagram that reached the switch: null when it was dropped or held.</summary>
        private LabDatagram? Condition(LabDatagram datagram)
        {
            var faults = net._faults;
            if (faults.IsEmpty)
            {
                return datagram;
            }
            var attempt = net._attempt();
            var delay = faults.Delay;
            foreach (var rule in faults.Rules)
            {
                if (rule.Applies(datagram.Source, attempt))
                {
                    if (rule.Drop)
                    {
                        net.Statistics.DropTo();
                        _lossKnown = true;
                        return null;
                    }
                    delay += rule.Delay;
                }
            }
            if (net.Chance(faults.LossToSwitch))
            {
                net.Statistics.DropTo();
                _lossKnown = true;
                return null;
            }
            var now = net._clock.Elapsed;
            if (net.Chance(faults.Duplicate))
            {
                net.Statistics.Duplicate();
                _held.Add(new Held(datagram, now + delay + TimeSpan.FromTicks(1), ++_order));
            }
            if (net.Chance(faults.Reorder))
            {
                // Held back: whatever arrives next overtakes it.
                net.Statistics.Reorder();
                _held.Add(new Held(datagram, now + delay + TimeSpan.FromMilliseconds(1), ++_order));
                return null;
            }
            if (delay > TimeSpan.Zero)
            {
                net.Statistics.Delay();
                _held.Add(new Held(datagram, now + delay, ++_order));
                return null;
            }
            return datagram;
        }

        private Held? EarliestHeld()
        {
            Held? best = null;
            foreach (var h in _held)
            {
                if (best is null || h.DeliverAt < best.Value.DeliverAt || (h.DeliverAt == best.Value.DeliverAt && h.Order < best.Value.Order))
                {
                    best = h;
                }
            }
            return best;
        }

        /// <summary>The next datagram from the OS within <paramref name="realWait"/>; null when none came.</summary>
        private async ValueTask<LabDatagram?> ReceiveRealAsync(TimeSpan realWait, CancellationToken cancellationToken)
        {
            while (true)
            {
                // One outstanding OS receive survives a timed-out wait, so no datagram is lost
                // between waits and no receive is left behind on an abandoned token.
                _pendingReceive ??= socket.ReceiveFromAsync(_receiveBuffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0));
                if (!_pendingReceive.IsCompleted)
                {
                    CancellationToken token;
                    lock (_waitGate)
                    {
                        if (_wait is null || !_wait.TryReset())
                        {
                            _wait?.Dispose();
                            _wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        }
                        _wait.CancelAfter(_lossKnown ? Grace : realWait);
                        token = _wait.Token;
                    }
                    try
                    {
                        await _pendingReceive.WaitAsync(token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        return null;
                    }
                }
                var task = _pendingReceive;
                _pendingReceive = null;
                SocketReceiveFromResult r;
                try
                {
                    r = await task.ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // ICMP port unreachable from an earlier send: not a datagram, keep waiting.
                    continue;
                }
                // Every server a broadcast reached has answered: nothing more is coming
                // (each answers a DISCOVER or SOLICIT once).
                if (_broadcastAnswers > 0 && --_broadcastAnswers == 0)
                {
                    _lossKnown = true;
                }
                return new LabDatagram(_receiveBuffer.AsSpan(0, r.ReceivedBytes).ToArray(), net._map.ToLab((IPEndPoint)r.RemoteEndPoint));
            }
        }

        /// <summary>No answer is coming: cut the current wait short.</summary>
        public void Silence()
        {
            lock (_waitGate)
            {
                _lossKnown = true;
                _wait?.CancelAfter(Grace);
            }
        }

        public async ValueTask DisposeAsync()
        {
            lock (net._socketsGate)
            {
                net._sockets.Remove(this);
            }
            socket.Dispose();
            if (_pendingReceive is { } pending)
            {
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                }
            }
            lock (_waitGate)
            {
                _wait?.Dispose();
                _wait = null;
            }
        }
    }
}
