using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using PoapLab.Core.Time;
using PoapLab.Protocols;
using PoapLab.Protocols.Tftp;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Transfer.Tftp;

/// <summary>
/// The switch's TFTP client (RFC 1350 with RFC 2347/2348/2349/7440 options) over the
/// switch's lab network, timed by the scenario clock: every answered packet costs a
/// modelled round trip or packet time, every timeout its whole virtual timeout, so the
/// same run gives the same virtual timeline however fast the host is.
/// </summary>
public sealed class TftpClient(ISwitchNetwork network, SimClock clock)
{
    private readonly ISwitchNetwork _network = network ?? throw new ArgumentNullException(nameof(network));
    private readonly SimClock _clock = clock ?? throw new ArgumentNullException(nameof(clock));

    /// <summary>
    /// Downloads <paramref name="fileName"/> from <paramref name="server"/> (a lab address)
    /// into <paramref name="destination"/>. The tsize the server announces goes to
    /// <paramref name="announcedSize"/> before the first byte; an <see cref="IOException"/>
    /// thrown there or by the destination ends the download as
    /// <see cref="TftpOutcome.DestinationFailed"/> with ERROR 3 sent to the server.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; the server was sent an ERROR first.</exception>
    public async Task<TftpDownloadResult> DownloadAsync(IPAddress server, int port, string fileName, Stream destination,
        TftpClientOptions options, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        // RFC 1350 §5: the file name ends at the first NUL; one inside it would add options of its own.
        if (fileName.Any(char.IsControl))
        {
            throw new ArgumentException("A TFTP file name cannot hold control characters.", nameof(fileName));
        }
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        var socket = await _network.OpenUdpAsync(0, cancellationToken).ConfigureAwait(false);
        await using (socket.ConfigureAwait(false))
        {
            var session = new TftpDownload(socket, _clock, new IPEndPoint(server, port), fileName, destination, options, announcedSize, cancellationToken);
            return await session.RunAsync().ConfigureAwait(false);
        }
    }

    private static void Validate(TftpClientOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockSize, TftpLimits.MinBlockSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BlockSize, TftpLimits.MaxBlockSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WindowSize, TftpLimits.MinWindowSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.WindowSize, TftpLimits.MaxWindowSize, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RoundTripTime, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.LinkBitsPerSecond, 1, nameof(options));
        if (options.Timeout != TimeSpan.FromSeconds(1)
            && (options.Timeout.Ticks % TimeSpan.TicksPerSecond != 0
                || options.Timeout.TotalSeconds is < TftpLimits.MinTimeoutSeconds or > TftpLimits.MaxTimeoutSeconds))
        {
            throw new ArgumentException("Timeout must be whole seconds from 1 to 255 (RFC 2349).", nameof(options));
        }
    }

    /// <summary>One download's state; the hot loop allocates nothing beyond the datagrams the network hands over.</summary>
    private sealed class TftpDownload
    {
        private readonly ILabUdpSocket _socket;
        private readonly SimClock _clock;
        private readonly IPEndPoint _server;
        private readonly string _fileName;
        private readonly Stream _destination;
        private readonly TftpClientOptions _options;
        private readonly Action<long>? _announcedSize;
        private readonly CancellationToken _cancellationToken;
        private readonly byte[] _ack = new byte[TftpLimits.DataHeaderSize];

        /// <summary>Switch time at which the answer to the last packet sent is overdue.</summary>
        private TimeSpan _deadline;
        private IPEndPoint? _tid;
        private bool _sentSinceReceive;
        private TimeSpan _modelled;
        private int _retransmissions;
        private long _bytes;
        private long? _announced;
        private string? _destinationError;

        public TftpDownload(ILabUdpSocket socket, SimClock clock, IPEndPoint server, string fileName, Stream destination,
            TftpClientOptions options, Action<long>? announcedSize, CancellationToken cancellationToken)
        {
            _socket = socket;
            _clock = clock;
            _server = server;
            _fileName = fileName;
            _destination = destination;
            _options = options;
            _announcedSize = announcedSize;
            _cancellationToken = cancellationToken;
        }

        public async Task<TftpDownloadResult> RunAsync()
        {
            try
            {
                return await TransferAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                // Tell the server at once rather than leave it retransmitting into the void.
                await TrySendAsync(new TftpError(TftpErrorCode.NotDefined, "Transfer cancelled").Encode(), _tid ?? _server).ConfigureAwait(false);
                throw;
            }
        }

        private async Task<TftpDownloadResult> TransferAsync()
        {
            var requested = RequestedOptions();
            var request = new TftpRequest(TftpOpcode.ReadRequest, _fileName, "octet", requested).Encode();
            // Until the server agrees otherwise, RFC 1350 defaults hold: a server that
            // ignores options answers with DATA 1 of 512 bytes.
            var blockSize = TftpLimits.DefaultBlockSize;
            var windowSize = 1;
            ReadOnlyMemory<byte> last = request;
            var lastTo = _server;
            await SendAsync(last, lastTo).ConfigureAwait(false);

            ushort expected = 1;
            var inWindow = 0;
            var gapAcknowledged = false;
            var retries = 0;
            var dataStarted = false;
            var optionsAgreed = false;
            // Bounded by the timer: only progress (a new block, the first OACK) resets the
            // retry count, and noise or duplicates never re-arm the timer by themselves.
            while (true)
            {
                var datagram = await ReceiveAsync().ConfigureAwait(false);
                if (datagram is null)
                {
                    if (++retries > _options.MaxRetries)
                    {
                        return Result(TftpOutcome.TimedOut, null, $"no answer after {_options.MaxRetries} retransmissions");
                    }
                    if (dataStarted)
                    {
                        // RFC 7440 §4: on timeout, acknowledge the last block received in order.
                        TftpWire.WriteAck(_ack, (ushort)(expected - 1));
                        last = _ack;
                    }
                    _retransmissions++;
                    await SendAsync(last, lastTo).ConfigureAwait(false);
                    continue;
                }
                var (payload, from) = (datagram.Value.Payload, datagram.Value.Source);

                if (TftpWire.TryReadData(payload, blockSize, out var block, out var data))
                {
                    dataStarted = true;
                    if (block != expected)
                    {
                        // RFC 7440 §4: a gap or a duplicate; acknowledge the last block in
                        // order once, so the sender restarts right after it.
                        if (!gapAcknowledged)
                        {
                            TftpWire.WriteAck(_ack, (ushort)(expected - 1));
                            last = _ack;
                            await SendAsync(last, from).ConfigureAwait(false);
                            gapAcknowledged = true;
                        }
                        inWindow = 0;
                        continue;
                    }
                    var length = data.Length;
                    retries = 0;
                    gapAcknowledged = false;
                    if (!await WriteAsync(payload.AsMemory(TftpLimits.DataHeaderSize, length)).ConfigureAwait(false))
                    {
                        return await DestinationFailedAsync().ConfigureAwait(false);
                    }
                    // RFC 1350 §6: a block shorter than the block size is the last one.
                    var final = length < blockSize;
                    if (final || ++inWindow == windowSize)
                    {
                        TftpWire.WriteAck(_ack, block);
                        last = _ack;
                        lastTo = from;
                        await SendAsync(last, lastTo).ConfigureAwait(false);
                        inWindow = 0;
                    }
                    if (final)
                    {
                        return Result(TftpOutcome.Completed, null, null);
                    }
                    expected++;
                    continue;
                }

                TftpPacket packet;
                try
                {
                    packet = TftpPacket.Decode(payload);
                }
                catch (ProtocolException)
                {
                    // Noise on our port; the timer decides what happens next.
                    continue;
                }
                switch (packet)
                {
                    case TftpError error:
                        // RFC 2347: ERROR 8 is the server refusing the requested options.
                        return Result(error.Code == TftpErrorCode.OptionNegotiationFailed && requested.Count > 0 ? TftpOutcome.OptionsRefused : TftpOutcome.ServerError,
                            error.Code, error.Message);
                    case TftpOptionAck oack when !dataStarted:
                        if (!optionsAgreed)
                        {
                            optionsAgreed = true;
                            retries = 0;
                            var refusal = CheckOptionAck(oack.Options, requested, out blockSize, out windowSize);
                            if (refusal is not null)
                            {
                                await TrySendAsync(new TftpError(TftpErrorCode.OptionNegotiationFailed, refusal).Encode(), from).ConfigureAwait(false);
                                return Result(TftpOutcome.OptionsRefused, null, refusal);
                            }
                            if (oack.Options.TryGetInt64(TftpOptionNames.TransferSize, out var size))
                            {
                                _announced = size;
                                if (!Announce(size))
                                {
                                    return await DestinationFailedAsync().ConfigureAwait(false);
                                }
                            }
                        }
                        // RFC 2347: the reader acknowledges an OACK with ACK 0 (again, if
                        // the server repeats the OACK because our ACK 0 was lost).
                        TftpWire.WriteAck(_ack, 0);
                        last = _ack;
                        lastTo = from;
                        await SendAsync(last, lastTo).ConfigureAwait(false);
                        continue;
                    default:
                        continue;
                }
            }
        }

        private TftpOptionList RequestedOptions()
        {
            // Ask only for what differs from RFC 1350 defaults, so a plain server sees a plain request.
            var requested = new List<(string, string)>();
            if (_options.BlockSize != TftpLimits.DefaultBlockSize)
            {
                requested.Add((TftpOptionNames.BlockSize, _options.BlockSize.ToString(CultureInfo.InvariantCulture)));
            }
            if (_options.Timeout != TimeSpan.FromSeconds(1))
            {
                requested.Add((TftpOptionNames.Timeout, ((int)_options.Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)));
            }
            if (_options.RequestTransferSize)
            {
                requested.Add((TftpOptionNames.TransferSize, "0"));
            }
            if (_options.WindowSize != 1)
            {
                requested.Add((TftpOptionNames.WindowSize, _options.WindowSize.ToString(CultureInfo.InvariantCulture)));
            }
            return requested.Count == 0 ? TftpOptionList.Empty : TftpOptionList.Of([.. requested]);
        }

        // RFC 2347 §"Negotiation Protocol": an OACK may only carry options the client asked
        // for; RFC 2348 and RFC 7440 let the server lower blksize/windowsize, RFC 2349
        // requires the timeout echoed exactly.
        private static string? CheckOptionAck(TftpOptionList acknowledged, TftpOptionList requested, out int blockSize, out int windowSize)
        {
            blockSize = TftpLimits.DefaultBlockSize;
            windowSize = 1;
            foreach (var (name, value) in acknowledged)
            {
                if (!requested.TryGetInt64(name, out var asked))
                {
                    return $"option {name} was not requested";
                }
                if (!acknowledged.TryGetInt64(name, out var agreed))
                {
                    return $"option {name} has a bad value '{value}'";
                }
                switch (name.ToLowerInvariant())
                {
                    case TftpOptionNames.BlockSize when agreed >= TftpLimits.MinBlockSize && agreed <= asked:
                        blockSize = (int)agreed;
                        break;
                    case TftpOptionNames.WindowSize when agreed >= TftpLimits.MinWindowSize && agreed <= asked:
                        windowSize = (int)agreed;
                        break;
                    case TftpOptionNames.Timeout when agreed == asked:
                    case TftpOptionNames.TransferSize:
                        break;
                    default:
                        return $"option {name}={value} is outside what was requested";
                }
            }
            return null;
        }

        private bool Announce(long size)
        {
            try
            {
                _announcedSize?.Invoke(size);
                return true;
            }
            catch (IOException ex)
            {
                _destinationError = ex.Message;
                return false;
            }
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data)
        {
            try
            {
                await _destination.WriteAsync(data, _cancellationToken).ConfigureAwait(false);
                _bytes += data.Length;
                return true;
            }
            catch (IOException ex)
            {
                _destinationError = ex.Message;
            }
            catch (UnauthorizedAccessException ex)
            {
                _destinationError = ex.Message;
            }
            catch (NotSupportedException ex)
            {
                _destinationError = ex.Message;
            }
            return false;
        }

        private async Task<TftpDownloadResult> DestinationFailedAsync()
        {
            // RFC 1350 §5 error code 3: the receiving side ran out of room.
            await TrySendAsync(new TftpError(TftpErrorCode.DiskFull, "Disk full or allocation exceeded").Encode(), _tid ?? _server).ConfigureAwait(false);
            return Result(TftpOutcome.DestinationFailed, null, null) with { DestinationError = _destinationError };
        }

        private TftpDownloadResult Result(TftpOutcome outcome, TftpErrorCode? code, string? message)
            => new(outcome, _bytes, code, message, _retransmissions)
            {
                AnnouncedSize = _announced,
                ModelledDuration = _modelled,
            };

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint to)
        {
            await _socket.SendAsync(datagram, to, _cancellationToken).ConfigureAwait(false);
            _sentSinceReceive = true;
            // Only a packet sent re-arms the timeout: noise and duplicates never extend it.
            _deadline = _clock.Elapsed + _options.Timeout;
        }

        private async Task TrySendAsync(byte[] datagram, IPEndPoint to)
        {
            try
            {
                await _socket.SendAsync(datagram, to, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
            {
            }
        }

        /// <summary>The next datagram from the server's TID; null when the timeout passed.</summary>
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<LabDatagram?> ReceiveAsync()
        {
            while (true)
            {
                var remaining = SimClock.Remaining(_deadline, _clock.Elapsed);
                var before = _clock.Elapsed;
                var received = remaining > TimeSpan.Zero
                    ? await _socket.ReceiveAsync(remaining, _cancellationToken).ConfigureAwait(false)
                    : null;
                if (received is not { } datagram)
                {
                    // The link may already have spent part of the wait holding a late datagram.
                    if (remaining > TimeSpan.Zero)
                    {
                        Cost(SimClock.Remaining(remaining, _clock.Elapsed - before));
                    }
                    return null;
                }
                var from = datagram.Source;
                if (_tid is null && from.Address.Equals(_server.Address))
                {
                    // RFC 1350 §4: the server's first answer fixes its TID for the transfer.
                    _tid = from;
                }
                if (_tid is not null && from.Equals(_tid))
                {
                    var packetTime = TimeSpan.FromTicks(datagram.Payload.Length * 8L * TimeSpan.TicksPerSecond / _options.LinkBitsPerSecond);
                    Cost(_sentSinceReceive ? _options.RoundTripTime + packetTime : packetTime);
                    _sentSinceReceive = false;
                    return datagram;
                }
                // RFC 1350 §4: a packet from another TID gets ERROR 5 and does not disturb the transfer.
                await TrySendAsync(new TftpError(TftpErrorCode.UnknownTransferId, "Unknown transfer ID").Encode(), from).ConfigureAwait(false);
            }
        }

        private void Cost(TimeSpan duration)
        {
            _clock.Advance(duration);
            _modelled += duration;
        }
    }
}
