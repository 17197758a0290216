using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Time;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Faults;

/// <summary>Counters of what the link did to the switch's datagrams.</summary>
public sealed class LinkStatistics
{
    private long _droppedToSwitch;
    private long _droppedFromSwitch;
    private long _duplicated;
    private long _reordered;
    private long _delayed;

    /// <summary>Datagrams to the switch the link lost.</summary>
    public long DroppedToSwitch => Interlocked.Read(ref _droppedToSwitch);

    /// <summary>Datagrams from the switch the link lost.</summary>
    public long DroppedFromSwitch => Interlocked.Read(ref _droppedFromSwitch);

    /// <summary>Datagrams to the switch delivered twice.</summary>
    public long Duplicated => Interlocked.Read(ref _duplicated);

    /// <summary>Datagrams to the switch held back behind the next one.</summary>
    public long Reordered => Interlocked.Read(ref _reordered);

    /// <summary>Datagrams to the switch delivered late.</summary>
    public long Delayed => Interlocked.Read(ref _delayed);

    internal void DropTo() => Interlocked.Increment(ref _droppedToSwitch);
    internal void DropFrom() => Interlocked.Increment(ref _droppedFromSwitch);
    internal void Duplicate() => Interlocked.Increment(ref _duplicated);
    internal void Reorder() => Interlocked.Increment(ref _reordered);
    internal void Delay() => Interlocked.Increment(ref _delayed);

    /// <inheritdoc />
    public override string ToString() =>
        $"dropped {DroppedToSwitch} to / {DroppedFromSwitch} from the switch, duplicated {Duplicated}, reordered {Reordered}, delayed {Delayed}";
}

/// <summary>
/// The switch's link, wrapped around any <see cref="ISwitchNetwork"/> (virtual or namespace):
/// it loses, duplicates, reorders and delays the switch's UDP datagrams as
/// <see cref="LinkFaults"/> says, in switch time, from a seeded generator so the same scenario
/// gives the same run. A datagram from the switch is lost before it reaches the segment (a
/// broadcast reaches no server, or all). A loss it knows of tells the network beneath
/// (<see cref="ILabUdpSocket.ExpectSilence"/>) so the vain wait costs little real time; a
/// held datagram is delivered at its switch time, the switch's clock advanced to it. TCP is
/// passed through (its own retransmission hides loss; HTTP faults are injected at the server).
/// </summary>
public sealed class LinkFaultNetwork : ISwitchNetwork
{
    /// <summary>Real time a receive waits for stragglers while the link holds a datagram.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(3);

    private readonly ISwitchNetwork _inner;
    private readonly SimClock _clock;
    private readonly LinkFaults _faults;
    private readonly IAttemptSource? _attempt;
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private readonly bool _uniformDelay;

    /// <param name="inner">The network the link sits in front of.</param>
    /// <param name="clock">The switch's clock.</param>
    /// <param name="faults">What the link does.</param>
    /// <param name="attempt">The switch's current POAP attempt, for attempt-keyed rules (null: always attempt 1).</param>
    public LinkFaultNetwork(ISwitchNetwork inner, SimClock clock, LinkFaults faults, IAttemptSource? attempt)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(faults);
        _inner = inner;
        _clock = clock;
        _faults = faults;
        _attempt = attempt;
        _random = new Random(faults.Seed);
        // With one delay for every datagram and no reordering, nothing can overtake a held
        // datagram: it is delivered at its switch time without waiting for stragglers.
        _uniformDelay = faults.Reorder == 0 && faults.Rules.All(r => r.Delay == TimeSpan.Zero);
    }

    /// <summary>The network beneath the link.</summary>
    public ISwitchNetwork Inner => _inner;

    /// <summary>What the link did so far.</summary>
    public LinkStatistics Statistics { get; } = new();

    /// <inheritdoc />
    public async ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken) =>
        new LinkSocket(this, await _inner.OpenUdpAsync(localPort, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) =>
        _inner.ConnectTcpAsync(host, port, cancellationToken);

    /// <inheritdoc />
    public IPAddress? Resolve(string host) => _inner.Resolve(host);

    /// <inheritdoc />
    public string LoginName(IPAddress host, int port, string user) => _inner.LoginName(host, port, user);

    /// <inheritdoc />
    public void ExpectSilence() => _inner.ExpectSilence();

    /// <inheritdoc />
    public ValueTask ConfigureAsync(IPAddress address, int prefixLength, IPAddress? gateway, CancellationToken cancellationToken) =>
        _inner.ConfigureAsync(address, prefixLength, gateway, cancellationToken);

    /// <inheritdoc />
    public IReadOnlyList<string> ClientCommandPrefix => _inner.ClientCommandPrefix;

    /// <inheritdoc />
    public Socket CreateLocalSocket(AddressFamily family, SocketType type, ProtocolType protocol) => _inner.CreateLocalSocket(family, type, protocol);

    /// <inheritdoc />
    /// <remarks>The VRF of the faulty link is this network, faults included; another VRF has no link of its own here, so no link faults.</remarks>
    public async ValueTask<ISwitchNetwork?> ForVrfAsync(string vrf, CancellationToken cancellationToken)
    {
        var network = await _inner.ForVrfAsync(vrf, cancellationToken).ConfigureAwait(false);
        return ReferenceEquals(network, _inner) ? this : network;
    }

    /// <inheritdoc />
    public bool HasRoute(IPAddress host) => _inner.HasRoute(host);

    /// <inheritdoc />
    public ValueTask AnnounceAsync(LinkAnnouncement announcement, CancellationToken cancellationToken) => _inner.AnnounceAsync(announcement, cancellationToken);

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

    private sealed class LinkSocket(LinkFaultNetwork net, ILabUdpSocket inner) : ILabUdpSocket
    {
        private readonly List<Held> _held = [];
        private long _order;

        public int LocalPort => inner.LocalPort;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            if (net.Chance(net._faults.LossFromSwitch))
            {
                net.Statistics.DropFrom();
                // Nothing left the switch: nothing can come back.
                inner.ExpectSilence();
                return;
            }
            await inner.SendAsync(datagram, destination, cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            timeout = SimClock.Remaining(timeout, TimeSpan.Zero);
            var clock = net._clock;
            var deadline = clock.Elapsed + timeout;
            while (true)
            {
                var now = clock.Elapsed;
                var due = EarliestHeld();
                if (due is { } ready && (ready.DeliverAt <= now || (net._uniformDelay && ready.DeliverAt <= deadline)))
                {
                    _held.Remove(ready);
                    if (ready.DeliverAt > now)
                    {
                        clock.Advance(ready.DeliverAt - now);
                    }
                    return ready.Datagram;
                }
                // While the link holds something, only a short real wait for stragglers.
                var arrived = await inner.ReceiveAsync(_held.Count > 0 ? Grace : timeout, cancellationToken).ConfigureAwait(false);
                if (arrived is null)
                {
                    if (due is { } next && next.DeliverAt <= deadline)
                    {
                        // Nothing overtook it: the held datagram arrives at its switch time.
                        clock.Advance(SimClock.Remaining(next.DeliverAt, clock.Elapsed));
                        _held.Remove(next);
                        return next.Datagram;
                    }
                    return null;
                }
                if (Condition(arrived.Value) is { } delivered)
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
            var attempt = net._attempt?.CurrentAttempt ?? 1;
            var delay = faults.Delay;
            foreach (var rule in faults.Rules)
            {
                if (rule.Applies(datagram.Source, attempt))
                {
                    if (rule.Drop)
                    {
                        net.Statistics.DropTo();
                        inner.ExpectSilence();
                        return null;
                    }
                    delay += rule.Delay;
                }
            }
            if (net.Chance(faults.LossToSwitch))
            {
                net.Statistics.DropTo();
                inner.ExpectSilence();
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

        public void ExpectSilence() => inner.ExpectSilence();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
