using System.Net;
using System.Net.Sockets;

namespace PoapLab.Switch.Network;

/// <summary>
/// The receiving half of a switch's UDP socket, shared by every <see cref="ISwitchNetwork"/>:
/// one outstanding OS receive survives a timed-out wait (so no datagram is lost between waits
/// and none is left behind on an abandoned token), and a wait known to be in vain (the lab said
/// no answer is coming: <see cref="ExpectSilence"/>) ends after a short grace instead of its
/// full real-time cap. Not for concurrent receives (a socket has one reader, its client).
/// </summary>
public sealed class SilenceAwareReceiver(Socket socket) : IAsyncDisposable
{
    /// <summary>Real time a receive waits for stragglers once it knows no answer is coming.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(3);

    private readonly byte[] _buffer = new byte[65536];
    private readonly Lock _gate = new();
    private CancellationTokenSource? _wait;
    private Task<SocketReceiveFromResult>? _pending;
    private bool _silence;

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
    public async ValueTask<(byte[] Data, IPEndPoint From)?> ReceiveAsync(TimeSpan realWait, CancellationToken cancellationToken)
    {
        while (true)
        {
            _pending ??= socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0));
            if (!_pending.IsCompleted)
            {
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
                    await _pending.WaitAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return null;
                }
            }
            var task = _pending;
            _pending = null;
            SocketReceiveFromResult r;
            try
            {
                r = await task.ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue;
            }
            var from = (IPEndPoint)r.RemoteEndPoint;
            if (from.Address.IsIPv4MappedToIPv6)
            {
                from = new IPEndPoint(from.Address.MapToIPv4(), from.Port);
            }
            return (_buffer.AsSpan(0, r.ReceivedBytes).ToArray(), from);
        }
    }

    /// <summary>Closes the socket and observes the receive it leaves pending.</summary>
    public async ValueTask DisposeAsync()
    {
        socket.Dispose();
        if (_pending is { } pending)
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
            }
        }
        lock (_gate)
        {
            _wait?.Dispose();
            _wait = null;
        }
    }
}
