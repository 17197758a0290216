using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Protocols.Tftp;

namespace PoapLab.Servers.Tftp;

/// <summary>Receives one WRQ (RFC 1350 §2): ACK 0 or OACK, then lock-step DATA/ACK.</summary>
internal sealed class TftpWriteTransfer : TftpTransfer
{
    private readonly FileStream _file;
    private readonly string _path;
    private readonly TftpAgreement _agreement;
    private readonly byte[] _receive = new byte[TftpLimits.MaxDatagramSize];
    private readonly byte[] _ack = new byte[TftpLimits.DataHeaderSize];
    private long _bytes;
    private bool _complete;

    public TftpWriteTransfer(Socket socket, IPEndPoint client, TftpRequest request, FileStream file, string path, TftpAgreement agreement,
        TftpServerOptions options, IEventSink events, string source, TimeProvider time, CancellationToken stopping)
        : base(socket, client, request, options, events, source, time, stopping)
    {
        _file = file;
        _path = path;
        _agreement = agreement;
    }

    public override async Task RunAsync()
    {
        try
        {
            await ReceiveFileAsync().ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await TrySendErrorAsync(TftpErrorCode.DiskFull, "Disk full or allocation exceeded").ConfigureAwait(false);
            RecordFailed($"writing the file failed: {ex.Message}", _bytes);
        }
        catch (SocketException ex)
        {
            RecordFailed($"socket error {ex.SocketErrorCode}", _bytes);
        }
        catch (OperationCanceledException)
        {
            RecordFailed(StopReason, _bytes);
        }
    }

    protected override void DisposeCore()
    {
        _file.Dispose();
        if (!_complete)
        {
            // A partial upload must not look like a finished file.
            File.Delete(_path);
        }
    }

    private async Task ReceiveFileAsync()
    {
        var useOack = _agreement.Acknowledged.Count > 0;
        if (useOack)
        {
            RecordAgreed(_agreement);
        }
        TftpWire.WriteAck(_ack, 0);
        ushort expected = 1;
        long blocks = 0;
        var retries = 0;
        // RFC 2347: the OACK takes the place of ACK 0 for a write.
        await SendLastAsync(useOack).ConfigureAwait(false);
        while (true)
        {
            ArmTimer(_agreement.Timeout);
            var (result, length) = await ReceiveAsync(_receive).ConfigureAwait(false);
            if (result == TftpWait.Stopped)
            {
                RecordFailed(StopReason, _bytes);
                return;
            }
            if (result == TftpWait.TimedOut)
            {
                if (++retries > Options.MaxRetries)
                {
                    RecordFailed($"no DATA after {Options.MaxRetries} retransmissions", _bytes);
                    return;
                }
                Retransmissions++;
                await SendLastAsync(useOack && blocks == 0).ConfigureAwait(false);
                continue;
            }
            if (TftpWire.TryReadData(_receive.AsSpan(0, length), _agreement.BlockSize, out var block, out var payload))
            {
                var payloadLength = payload.Length;
                if (block == expected)
                {
                    _file.Write(payload);
                    _bytes += payloadLength;
                    blocks++;
                    retries = 0;
                    TftpWire.WriteAck(_ack, block);
                    await SendAsync(_ack).ConfigureAwait(false);
                    if (payloadLength < _agreement.BlockSize)
                    {
                        _file.Flush();
                        _complete = true;
                        var (bytes, duration) = (_bytes, Elapsed);
                        SetOutcome(() => Events.Record(Source, EventKinds.TftpServerCompleted,
                            $"TFTP received {Request.FileName} from {Client}: {bytes} bytes in {blocks} blocks",
                            ("client", Client), ("file", Request.FileName), ("direction", "write"), ("bytes", bytes), ("blocks", blocks),
                            ("retransmissions", Retransmissions), ("duration-ms", duration.TotalMilliseconds),
                            ("blksize", _agreement.BlockSize), ("windowsize", 1)));
                        return;
                    }
                    expected++;
                }
                else if (block == (ushort)(expected - 1))
                {
                    // Our ACK was lost: the client resent the block; acknowledge it again.
                    await SendLastAsync(useOack && blocks == 0).ConfigureAwait(false);
                }
                continue;
            }
            if (TryDecode(_receive.AsSpan(0, length)) is TftpError error)
            {
                RecordFailed($"client sent ERROR {(int)error.Code} {error.Message}", _bytes);
                return;
            }
            await TrySendErrorAsync(TftpErrorCode.IllegalOperation, "Expected DATA").ConfigureAwait(false);
            RecordFailed("client sent something other than DATA", _bytes);
            return;
        }
    }

    private async ValueTask SendLastAsync(bool oack)
    {
        if (oack)
        {
            await SendPacketAsync(new TftpOptionAck(_agreement.Acknowledged)).ConfigureAwait(false);
        }
        else
        {
            await SendAsync(_ack).ConfigureAwait(false);
        }
    }
}
