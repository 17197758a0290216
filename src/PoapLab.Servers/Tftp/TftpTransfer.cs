using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PoapLab.Core.Events;
using PoapLab.Core.Sockets;
using PoapLab.Core.Threading;
using PoapLab.Protocols;
using PoapLab.Protocols.Tftp;

namespace PoapLab.Servers.Tftp;

/// <summary>How a wait for the client's next packet ended.</summary>
internal enum TftpWait
{
    Received,
    TimedOut,
    Stopped,
}

/// <summary>
/// One transfer: its own socket on a new port (the server's TID, RFC 1350 §4), the
/// client's TID it is locked to, and the one reusable retransmission timer.
/// </summary>
internal abstract class TftpTransfer : IDisposable
{
    private const int MaxStrayPacketsPerWait = 1000;

    // How long a transfer waits for the client's answer on its own thread before it hands the
    // wait to the socket engine: on loopback or a LAN an ACK comes back within tens of
    // microseconds, and waiting in poll(2) saves the two thread hand-offs of an asynchronous
    // receive (the engine's thread, then a pool thread) on every block of a lock-step transfer.
    private const int PollMicroseconds = 250;

    // A transfer on a thread of its own waits for the client in poll(2) in slices this long,
    // looking at its retransmission timer (and so at the server's stop) between two slices.
    private const int OwnThreadSliceMicroseconds = 20_000;

    private readonly SocketAddress _client;
    private readonly SocketAddress _from;
    private readonly TimeProvider _time;
    // The server's stop, or this transfer's end when the client asks again (Supersede).
    private readonly CancellationTokenSource _ended;
    private readonly CancellationToken _stopping;
    private int _superseded;
    private int _holdsSlot = 1;
    // OACK, ACK and ERROR packets: small, so a transfer does not hold a 64 KiB buffer for them.
    private const int ControlBufferSize = 516;

    private byte[] _controlBuffer = new byte[ControlBufferSize];
    private CancellationTokenSource _timer;
    private CancellationTokenRegistration _stopRegistration;
    private Action? _outcome;

    protected TftpTransfer(Socket socket, IPEndPoint client, TftpRequest request, TftpServerOptions options, IEventSink events, string source, TimeProvider time, CancellationToken stopping)
    {
        Channel = new PolledUdpSocket(socket);
        Client = client;
        Request = request;
        Options = options;
        Events = events;
        Source = source;
        _time = time;
        _ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _stopping = _ended.Token;
        _client = client.Serialize();
        _from = new SocketAddress(client.AddressFamily);
        _timer = NewTimer();
        Started = time.GetTimestamp();
    }

    /// <summary>The transfer's socket: sends on the caller's thread, waits through the reactor.</summary>
    protected PolledUdpSocket Channel { get; }

    /// <summary>The socket itself (options, batches, poll(2) on a thread of the transfer's own).</summary>
    protected Socket Socket => Channel.Socket;

    /// <summary>The client's TID (address and port) the transfer is locked to.</summary>
    public IPEndPoint Client { get; }

    protected TftpRequest Request { get; }

    protected TftpServerOptions Options { get; }

    protected IEventSink Events { get; }

    protected string Source { get; }

    protected long Started { get; }

    protected int Retransmissions { get; set; }

    /// <summary>
    /// Whether the transfer may wait briefly for an answer on the thread it runs on (see
    /// <c>PollMicroseconds</c>); null: never. The server allows it while few transfers run, so
    /// a fleet's transfers never hold pool threads.
    /// </summary>
    public Func<bool>? MayPoll { get; init; }

    /// <summary>
    /// Set when the transfer runs on a thread of its own (not a pool thread): while it stays
    /// there it waits for the client in poll(2) until its timer fires, like a forking tftpd's
    /// child in recvfrom(2), never handing the wait to the socket engine and a pool thread.
    /// </summary>
    public bool OwnThread { get; set; }

    protected TimeSpan Elapsed => _time.GetElapsedTime(Started);

    /// <summary>Why the transfer was stopped before its end: the server stopped, or the client asked again.</summary>
    protected string StopReason => Volatile.Read(ref _superseded) != 0 ? "superseded by a new request from the same client port" : "server stopped";

    /// <summary>True once: the transfer's place under the server's cap is given back (at its end, or when superseded).</summary>
    public bool ReleaseSlot() => Interlocked.Exchange(ref _holdsSlot, 0) == 1;

    /// <summary>
    /// Ends the transfer without a word to the client: a new request came from the same client
    /// port (the client's TID, RFC 1350 §4), so the client gave this one up — it never heard the
    /// OACK or first DATA, or it restarted — and would only answer this transfer's
    /// retransmissions with ERROR 5. Safe from any thread, and after the transfer ended.
    /// </summary>
    public void Supersede()
    {
        if (Interlocked.Exchange(ref _superseded, 1) != 0)
        {
            return;
        }
        try
        {
            _ended.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    /// <summary>Runs the transfer to its end; records the outcome as an event, never throws for network trouble.</summary>
    public abstract Task RunAsync();

    /// <summary>Closes the socket and the file, then records the outcome, so that an observer
    /// of the completed or failed event finds every resource of the transfer released.</summary>
    public void Dispose()
    {
        _stopRegistration.Dispose();
        _timer.Dispose();
        _ended.Dispose();
        Channel.Dispose();
        DisposeCore();
        Interlocked.Exchange(ref _outcome, null)?.Invoke();
    }

    protected virtual void DisposeCore()
    {
    }

    protected ValueTask<int> SendAsync(ReadOnlyMemory<byte> datagram)
        => Channel.SendToAsync(datagram, _client, _stopping);

    protected async ValueTask SendPacketAsync(TftpPacket packet)
    {
        var length = packet.EncodeTo(ControlBuffer(packet.EncodedLength));
        await SendAsync(_controlBuffer.AsMemory(0, length)).ConfigureAwait(false);
    }

    /// <summary>Best effort: an ERROR ends the transfer on our side whatever happens to it.</summary>
    protected async Task TrySendErrorAsync(TftpErrorCode code, string message)
    {
        try
        {
            var error = new TftpError(code, message);
            var length = error.EncodeTo(ControlBuffer(error.EncodedLength));
            await Channel.SendToAsync(_controlBuffer.AsMemory(0, length), _client, CancellationToken.None).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The control buffer, grown for an unusually long packet (a long injected ERROR message).</summary>
    private byte[] ControlBuffer(int length)
    {
        if (_controlBuffer.Length < length)
        {
            _controlBuffer = new byte[length];
        }
        return _controlBuffer;
    }

    /// <summary>Starts the retransmission timer for the packet just sent.</summary>
    protected void ArmTimer(TimeSpan timeout)
    {
        // One timer per transfer, re-armed per packet: a timer allocation per DATA block
        // would be hundreds of thousands for a NX-OS image at the default block size.
        if (!_timer.TryReset())
        {
            _stopRegistration.Dispose();
            _timer.Dispose();
            _timer = NewTimer();
        }
        _timer.CancelAfter(timeout);
    }

    /// <summary>
    /// Waits for the next packet from the client's TID into <paramref name="buffer"/>.
    /// Packets from any other endpoint get ERROR 5 (RFC 1350 §4) and do not end the wait.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected async ValueTask<(TftpWait Result, int Length)> ReceiveAsync(Memory<byte> buffer)
    {
        for (var stray = 0; stray < MaxStrayPacketsPerWait; stray++)
        {
            if (!OwnThread && MayPoll is { } mayPoll && mayPoll())
            {
                // While few transfers run, a transfer waits for its client in a short poll on a
                // pool thread, not on the socket engine's thread an inline completion (IoThreads)
                // leaves it on: with one client (curl, 100 MiB at blksize 512) a lock-step
                // transfer took 14.4 s polling there, 9.1–11.4 s with this hop, 6.4–9.2 s with
                // completions not inline at all.
                await IoThreads.LeaveAsync();
            }
            int length;
            try
            {
                length = TryReceiveSoon(buffer.Span)
                    ?? await Channel.ReceiveFromAsync(buffer, _from, _timer.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (!_stopping.IsCancellationRequested)
                {
                    return (TftpWait.TimedOut, 0);
                }
                // Superseded: what the client sent before it asked again (the final ACK of a read
                // it has finished) is still read, so a transfer that is over ends as completed.
                if (Volatile.Read(ref _superseded) != 0 && TryTakeQueued(buffer.Span) is { } queued)
                {
                    return (TftpWait.Received, queued);
                }
                return (TftpWait.Stopped, 0);
            }
            catch (SocketException)
            {
                // An ICMP error reported for an earlier send; the wait goes on.
                continue;
            }
            if (_from.Equals(_client))
            {
                return (TftpWait.Received, length);
            }
            await SendUnknownTidAsync().ConfigureAwait(false);
        }
        return (TftpWait.TimedOut, 0);
    }

    /// <summary>A datagram from the client already queued on the socket, without waiting; null when there is none.</summary>
    private int? TryTakeQueued(Span<byte> buffer)
    {
        try
        {
            return Channel.TryReceiveFrom(buffer, _from, out var length) && _from.Equals(_client) ? length : null;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>The next datagram if one arrives within <c>PollMicroseconds</c> and the server allows the wait; otherwise null.</summary>
    private int? TryReceiveSoon(Span<byte> buffer)
    {
        // A timer that has fired means the wait is over: the asynchronous receive says so at once.
        if (_timer.IsCancellationRequested)
        {
            return null;
        }
        try
        {
            if (OwnThread && !Thread.CurrentThread.IsThreadPoolThread)
            {
                // Bounded by the timer: it fires (or the server stops) and the loop ends
                // within one slice; the asynchronous receive then reports which it was.
                while (!_timer.IsCancellationRequested)
                {
                    try
                    {
                        if (Socket.Poll(OwnThreadSliceMicroseconds, SelectMode.SelectRead))
                        {
                            return Socket.ReceiveFrom(buffer, SocketFlags.None, _from);
                        }
                    }
                    catch (SocketException)
                    {
                        // An ICMP error for an earlier send (the client's port closed): the wait goes on.
                    }
                }
                return null;
            }
            if (MayPoll is not { } mayPoll || !mayPoll())
            {
                return null;
            }
            return Socket.Poll(PollMicroseconds, SelectMode.SelectRead) ? Socket.ReceiveFrom(buffer, SocketFlags.None, _from) : null;
        }
        catch (SocketException)
        {
            // An ICMP error for an earlier send: the asynchronous receive meets it too and goes on.
            return null;
        }
    }

    private async ValueTask SendUnknownTidAsync()
    {
        var stranger = (IPEndPoint)Client.Create(_from);
        try
        {
            var error = new TftpError(TftpErrorCode.UnknownTransferId, "Unknown transfer ID");
            var length = error.EncodeTo(ControlBuffer(error.EncodedLength));
            await Channel.SendToAsync(_controlBuffer.AsMemory(0, length), stranger, _stopping).ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>Decodes a packet that is not on the hot path; null when malformed.</summary>
    protected static TftpPacket? TryDecode(ReadOnlySpan<byte> datagram)
    {
        try
        {
            return TftpPacket.Decode(datagram);
        }
        catch (ProtocolException)
        {
            return null;
        }
    }

    /// <summary>Records the outcome once the transfer's resources are released.</summary>
    protected void SetOutcome(Action record) => _outcome = record;

    protected void RecordFailed(string reason, long bytes)
        => SetOutcome(() => Events.Record(Source, EventKinds.TftpServerFailed, $"TFTP transfer of {Request.FileName} to {Client} failed: {reason}",
            ("client", Client), ("file", Request.FileName), ("reason", reason), ("bytes", bytes),
            ("retransmissions", Retransmissions), ("duration-ms", Elapsed.TotalMilliseconds)));

    protected void RecordAgreed(TftpAgreement agreement)
        => Events.Record(Source, EventKinds.TftpServerOptions, $"TFTP options agreed with {Client}: {agreement.Acknowledged}",
            ("client", Client), ("file", Request.FileName), ("options", agreement.Acknowledged.ToString()),
            ("blksize", agreement.BlockSize), ("windowsize", agreement.WindowSize),
            ("timeout", agreement.Timeout.TotalSeconds), ("tsize", agreement.TransferSize));

    private CancellationTokenSource NewTimer()
    {
        var timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        _stopRegistration = _stopping.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timer);
        return timer;
    }
}
