using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using PoapLab.Core.Events;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Faults;

namespace PoapLab.Servers.Tftp;

/// <summary>Serves one RRQ: optional OACK, then DATA in windows (RFC 1350 §2, RFC 7440 §4).</summary>
internal sealed class TftpReadTransfer : TftpTransfer
{
    /// <summary>Whether the client agreed to a window of more than one block (RFC 7440).</summary>
    internal bool Windowed => _agreement.WindowSize > 1;

    private readonly FileStream _file;
    private readonly TftpAgreement _agreement;
    private readonly TftpFault? _fault;
    private readonly Action<long>? _faultFired;
    // The length the file is served as: shorter than the file under a Truncate fault.
    private readonly long _servedLength;
    private readonly byte[] _send;
    private readonly byte[] _receive = new byte[1024];
    private long _bufferedBlock = -1;
    private int _bufferedLength;
    private long _fileBlock = 1;
    private long _finalBlock = -1;
    private int _finalLength;
    // With segmentation offload: several DATA packets side by side, sent in one call.
    private byte[]? _batch;
    private int _batchBlocks;
    // Linux: the file mapped and each window sent in one sendmmsg(2) (null: the portable path).
    private readonly MappedFileWindow? _mapped;
    private readonly DatagramBatch? _native;
    // Packets a message of the native path: more than one with segmentation offload.
    private int _segmentsPerSend = 1;

    // The mapped view: 1 MiB, or two windows when they are larger, so a retransmission from the
    // last ACK rarely moves it, and a fleet of transfers each holds little of the file mapped.
    private const long MappedViewBytes = 1024 * 1024;

    public TftpReadTransfer(Socket socket, IPEndPoint client, TftpRequest request, FileStream file, TftpAgreement agreement,
        TftpServerOptions options, IEventSink events, string source, TimeProvider time, CancellationToken stopping,
        TftpFault? fault = null, Action<long>? faultFired = null)
        : base(socket, client, request, options, events, source, time, stopping)
    {
        _file = file;
        _agreement = agreement;
        _fault = fault;
        _faultFired = faultFired;
        _servedLength = fault is { Kind: TftpFaultKind.Truncate } ? Math.Clamp(fault.AfterBytes, 0, file.Length) : long.MaxValue;
        _send = GC.AllocateUninitializedArray<byte>(TftpLimits.DataHeaderSize + agreement.BlockSize);
        // Windows only: in lock step one block goes per ACK, and a read(2) of it measured as fast
        // as moving the mapped view along (mmap/munmap) at the largest blocks.
        if (fault is null && agreement.WindowSize > 1 && DatagramBatch.Supported && !options.PortableSend)
        {
            _mapped = MappedFileWindow.TryOpen(file, file.Length, Math.Max(MappedViewBytes, 2L * agreement.WindowSize * agreement.BlockSize));
            _native = _mapped is null ? null : new DatagramBatch(socket, client, agreement.WindowSize);
        }
        if (options.SegmentationOffload && agreement.WindowSize > 1 && fault is null)
        {
            EnableSegmentation();
        }
    }

    // UDP_SEGMENT (udp(7)): one send of n packets of the same size, cut into n datagrams by the
    // kernel (the last may be shorter, as the last DATA is). At most 64 segments and 64 KiB.
    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    private const int MaxSegments = 64;
    private const int MaxOffloadBytes = 65_000;

    private void EnableSegmentation()
    {
        var packet = TftpLimits.DataHeaderSize + _agreement.BlockSize;
        var blocks = Math.Min(Math.Min(_agreement.WindowSize, MaxSegments), MaxOffloadBytes / packet);
        if (blocks < 2 || !OperatingSystem.IsLinux())
        {
            return;
        }
        try
        {
            Socket.SetRawSocketOption(SolUdp, UdpSegment, BitConverter.GetBytes(packet));
        }
        catch (SocketException)
        {
            // A kernel before 4.18: one send per packet.
            return;
        }
        if (_native is null)
        {
            _batch = GC.AllocateUninitializedArray<byte>(blocks * packet);
        }
        _batchBlocks = blocks;
        _segmentsPerSend = blocks;
    }

    /// <summary>Back to one send per packet (the offloaded send failed on this path).</summary>
    private void DisableSegmentation()
    {
        _batch = null;
        _segmentsPerSend = 1;
        try
        {
            Socket.SetRawSocketOption(SolUdp, UdpSegment, BitConverter.GetBytes(0));
        }
        catch (SocketException)
        {
            // Nothing more to undo.
        }
    }

    public override async Task RunAsync()
    {
        try
        {
            if (_agreement.Acknowledged.Count > 0)
            {
                RecordAgreed(_agreement);
                if (!await NegotiateAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
            await SendFileAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await TrySendErrorAsync(TftpErrorCode.NotDefined, "Read error").ConfigureAwait(false);
            RecordFailed($"reading the file failed: {ex.Message}", SentBytes);
        }
        catch (SocketException ex)
        {
            RecordFailed($"socket error {ex.SocketErrorCode}", SentBytes);
        }
        catch (OperationCanceledException)
        {
            RecordFailed(StopReason, SentBytes);
        }
    }

    protected override void DisposeCore()
    {
        _mapped?.Dispose();
        _file.Dispose();
    }

    private long SentBytes => _finalBlock > 0 ? ((_finalBlock - 1) * _agreement.BlockSize) + _finalLength : Math.Max(0, (_fileBlock - 1) * _agreement.BlockSize);

    // RFC 2347 §"Negotiation Protocol": after an OACK the reader answers ACK 0 before DATA 1.
    private async Task<bool> NegotiateAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            await SendPacketAsync(new TftpOptionAck(_agreement.Acknowledged)).ConfigureAwait(false);
            if (attempt > 0)
            {
                Retransmissions++;
            }
            ArmTimer(_agreement.Timeout);
            while (true)
            {
                var (result, length) = await ReceiveAsync(_receive).ConfigureAwait(false);
                if (result == TftpWait.Stopped)
                {
                    RecordFailed(StopReason, 0);
                    return false;
                }
                if (result == TftpWait.TimedOut)
                {
                    break;
                }
                if (TftpWire.TryReadAck(_receive.AsSpan(0, length), out var block))
                {
                    if (block == 0)
                    {
                        return true;
                    }
                    continue;
                }
                if (TryDecode(_receive.AsSpan(0, length)) is TftpError error)
                {
                    // RFC 2347: a client that refuses the OACK answers ERROR 8.
                    RecordFailed($"client refused the options: ERROR {(int)error.Code} {error.Message}", 0);
                    return false;
                }
                await TrySendErrorAsync(TftpErrorCode.IllegalOperation, "Expected ACK 0").ConfigureAwait(false);
                RecordFailed("client sent something other than ACK 0 after the OACK", 0);
                return false;
            }
            if (attempt >= Options.MaxRetries)
            {
                RecordFailed($"no ACK for the OACK after {Options.MaxRetries} retransmissions", 0);
                return false;
            }
        }
    }

    private async Task SendFileAsync()
    {
        long windowStart = 1;
        var retries = 0;
        while (true)
        {
            var sent = await SendWindowAsync(windowStart).ConfigureAwait(false);
            if (sent < 0)
            {
                return;
            }
            ArmTimer(_agreement.Timeout);
            while (true)
            {
                var (result, length) = await ReceiveAsync(_receive).ConfigureAwait(false);
                if (result == TftpWait.Stopped)
                {
                    RecordFailed(StopReason, SentBytes);
                    return;
                }
                if (result == TftpWait.TimedOut)
                {
                    if (++retries > Options.MaxRetries)
                    {
                        RecordFailed($"no ACK after {Options.MaxRetries} retransmissions", SentBytes);
                        return;
                    }
                    Retransmissions += sent;
                    break;
                }
                if (TftpWire.TryReadAck(_receive.AsSpan(0, length), out var ack))
                {
                    // Block numbers are 16 bits and wrap (a 100 MB image at 512 bytes is
                    // 204,800 blocks): place the ACK relative to the window's first block.
                    var offset = (ushort)(ack - (ushort)windowStart);
                    if (offset >= sent)
                    {
                        // A duplicate or older ACK: answering it would double every later
                        // packet (the Sorcerer's Apprentice bug, RFC 1123 §4.2.3.1); the
                        // timer alone retransmits. Unless the server stands in for one whose
                        // timer runs in the client's time: the client's repeated ACK of the
                        // block before the window is its timeout, and the window goes again.
                        if (!Options.RetransmitOnClientTimeout || ack != (ushort)(windowStart - 1))
                        {
                            continue;
                        }
                        if (++retries > Options.MaxRetries)
                        {
                            RecordFailed($"no ACK after {Options.MaxRetries} retransmissions", SentBytes);
                            return;
                        }
                        Retransmissions += sent;
                        break;
                    }
                    var acked = windowStart + offset;
                    retries = 0;
                    if (acked == _finalBlock)
                    {
                        RecordCompleted();
                        return;
                    }
                    // RFC 7440 §4: an ACK inside the window means the blocks after it were
                    // lost; the next window starts right after the acknowledged block.
                    windowStart = acked + 1;
                    break;
                }
                if (TryDecode(_receive.AsSpan(0, length)) is TftpError error)
                {
                    RecordFailed($"client sent ERROR {(int)error.Code} {error.Message}", SentBytes);
                    return;
                }
                await TrySendErrorAsync(TftpErrorCode.IllegalOperation, "Expected ACK").ConfigureAwait(false);
                RecordFailed("client sent something other than an ACK", SentBytes);
                return;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> SendWindowAsync(long first)
    {
        if (_native is not null)
        {
            return await SendWindowMappedAsync(first).ConfigureAwait(false);
        }
        if (_batch is not null)
        {
            return await SendWindowInBatchesAsync(first).ConfigureAwait(false);
        }
        return await SendBlocksAsync(first, _agreement.WindowSize).ConfigureAwait(false);
    }

    /// <summary>
    /// The window from the file's mapping in one sendmmsg(2) (no fault is planned on this path).
    /// The file is served as long as it was when opened (the length tsize announced).
    /// </summary>
    private async ValueTask<int> SendWindowMappedAsync(long first)
    {
        var blockSize = _agreement.BlockSize;
        var length = _mapped!.Length;
        // RFC 1350 §6: the last DATA is shorter than the block size, empty if need be.
        var lastBlock = (length / blockSize) + 1;
        var count = (int)Math.Min(_agreement.WindowSize, lastBlock - first + 1);
        var windowEnd = first + count - 1;
        var lastLength = (int)Math.Min(blockSize, length - ((windowEnd - 1) * blockSize));
        var sent = 0;
        while (sent < count)
        {
            var (result, blocks) = SendMapped(first + sent, count - sent, lastLength);
            sent += blocks;
            if (result == BatchResult.NoOffload)
            {
                // This path cannot offload (EIO from a device without checksum offload, a
                // segment above the path's MTU): the rest one datagram a message.
                DisableSegmentation();
            }
            else if (result == BatchResult.WouldBlock)
            {
                // The socket's buffer is full: the next block through the send that waits for room.
                var block = first + sent;
                var payload = ReadPayload(block, block == windowEnd ? lastLength : blockSize);
                await SendAsync(_send.AsMemory(0, TftpLimits.DataHeaderSize + payload)).ConfigureAwait(false);
                sent++;
            }
        }
        _fileBlock = windowEnd + 1;
        if (windowEnd == lastBlock)
        {
            _finalBlock = lastBlock;
            _finalLength = lastLength;
        }
        return count;
    }

    private unsafe (BatchResult Result, int Blocks) SendMapped(long first, int count, int lastLength)
    {
        var blockSize = _agreement.BlockSize;
        var bytes = ((long)(count - 1) * blockSize) + lastLength;
        var payload = bytes == 0 ? null : _mapped!.At((first - 1) * blockSize, bytes);
        return _native!.Send(first, count, payload, blockSize, lastLength, _segmentsPerSend);
    }

    /// <summary>Block <paramref name="block"/> read into the single-packet buffer by pread(2); throws when the file is shorter than that now.</summary>
    private int ReadPayload(long block, int length)
    {
        _bufferedBlock = -1;
        var payload = _send.AsSpan(TftpLimits.DataHeaderSize, length);
        var offset = (block - 1) * _agreement.BlockSize;
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(_file.SafeFileHandle, payload[read..], offset + read);
            if (n == 0)
            {
                throw new IOException("the file was cut short while it was being served");
            }
            read += n;
        }
        TftpWire.WriteDataHeader(_send, (ushort)block);
        return length;
    }

    /// <summary>Up to <paramref name="max"/> DATA packets from <paramref name="first"/>, one send each; -1 when a fault ended the transfer.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> SendBlocksAsync(long first, int max)
    {
        var count = 0;
        for (var block = first; count < max; block++)
        {
            if (_fault is { Kind: TftpFaultKind.ErrorMidTransfer or TftpFaultKind.GoneMidTransfer } && (block - 1) * _agreement.BlockSize >= _fault.AfterBytes)
            {
                return await FailByFaultAsync(_fault, (block - 1) * _agreement.BlockSize).ConfigureAwait(false);
            }
            var length = FillBlock(block);
            await SendAsync(_send.AsMemory(0, TftpLimits.DataHeaderSize + length)).ConfigureAwait(false);
            count++;
            if (block == _finalBlock)
            {
                break;
            }
        }
        return count;
    }

    /// <summary>The window as batches of packets side by side, one send each (no fault is planned on this path).</summary>
    private async ValueTask<int> SendWindowInBatchesAsync(long first)
    {
        var packet = TftpLimits.DataHeaderSize + _agreement.BlockSize;
        var count = 0;
        var block = first;
        while (count < _agreement.WindowSize && _batch is { } batch)
        {
            var length = 0;
            var inBatch = 0;
            var final = false;
            while (inBatch < _batchBlocks && count + inBatch < _agreement.WindowSize && !final)
            {
                var payload = ReadBlock(block, batch.AsSpan(inBatch * packet, packet));
                length = (inBatch * packet) + TftpLimits.DataHeaderSize + payload;
                final = block == _finalBlock;
                inBatch++;
                block++;
            }
            try
            {
                await SendAsync(batch.AsMemory(0, length)).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // This path cannot offload (EIO from a device without checksum offload): send
                // the rest, this batch included, one packet at a time.
                DisableSegmentation();
                return count + await SendBlocksAsync(block - inBatch, _agreement.WindowSize - count).ConfigureAwait(false);
            }
            count += inBatch;
            if (final)
            {
                break;
            }
        }
        return count;
    }

    /// <summary>Ends the transfer the way the fault says; returns -1 for "no window went out".</summary>
    private async ValueTask<int> FailByFaultAsync(TftpFault fault, long sent)
    {
        _faultFired?.Invoke(sent);
        if (fault.Kind == TftpFaultKind.ErrorMidTransfer)
        {
            await TrySendErrorAsync((TftpErrorCode)fault.ErrorCode, fault.ErrorMessage).ConfigureAwait(false);
            RecordFailed($"injected fault: ERROR {fault.ErrorCode} {fault.ErrorMessage}", sent);
        }
        else
        {
            // A dead server says nothing: the client's own timeout is what ends this for it.
            RecordFailed("injected fault: server gone", sent);
        }
        return -1;
    }

    private int FillBlock(long block)
    {
        if (block == _bufferedBlock)
        {
            return _bufferedLength;
        }
        var length = ReadBlock(block, _send);
        _bufferedBlock = block;
        _bufferedLength = length;
        return length;
    }

    /// <summary>Reads block <paramref name="block"/> into <paramref name="packet"/> behind its DATA header; returns the payload length.</summary>
    private int ReadBlock(long block, Span<byte> packet)
    {
        // The single-packet buffer no longer holds what it says if this is it.
        _bufferedBlock = -1;
        var blockSize = _agreement.BlockSize;
        if (block != _fileBlock)
        {
            _file.Seek((block - 1) * blockSize, SeekOrigin.Begin);
        }
        var wanted = (int)Math.Clamp(_servedLength - ((block - 1) * blockSize), 0, blockSize);
        var payload = packet.Slice(TftpLimits.DataHeaderSize, wanted);
        var length = _file.ReadAtLeast(payload, wanted, throwOnEndOfStream: false);
        _fileBlock = block + 1;
        if (length < blockSize)
        {
            // RFC 1350 §6: a DATA shorter than the block size (possibly empty) ends the transfer.
            _finalBlock = block;
            _finalLength = length;
        }
        TftpWire.WriteDataHeader(packet, (ushort)block);
        return length;
    }

    private void RecordCompleted()
    {
        var duration = Elapsed;
        var bytes = SentBytes;
        SetOutcome(() => Events.Record(Source, EventKinds.TftpServerCompleted,
            $"TFTP sent {Request.FileName} to {Client}: {bytes} bytes in {_finalBlock} blocks, {Retransmissions} retransmissions",
            ("client", Client), ("file", Request.FileName), ("direction", "read"), ("bytes", bytes), ("blocks", _finalBlock),
            ("retransmissions", Retransmissions), ("duration-ms", duration.TotalMilliseconds),
            ("blksize", _agreement.BlockSize), ("windowsize", _agreement.WindowSize)));
    }
}
