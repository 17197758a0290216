using System.Net;
using System.Net.Sockets;
using PoapLab.Protocols.Tftp;

namespace PoapLab.Servers.Tests.Tftp;

/// <summary>A scriptable TFTP client on loopback: the other side of the server under test.</summary>
internal sealed class RawTftpPeer : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly byte[] _buffer = new byte[TftpLimits.MaxDatagramSize + 16];

    public RawTftpPeer() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public async Task SendAsync(TftpPacket packet, IPEndPoint to, CancellationToken cancellationToken)
        => await _socket.SendToAsync(packet.Encode(), SocketFlags.None, to, cancellationToken);

    /// <summary>The next packet, or null when nothing came within <paramref name="timeout"/>.</summary>
    public async Task<(TftpPacket Packet, IPEndPoint From)?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            var result = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            return (TftpPacket.Decode(_buffer.AsSpan(0, result.ReceivedBytes)), (IPEndPoint)result.RemoteEndPoint);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Downloads a file the RFC way (windowed when the OACK says so).</summary>
    public async Task<DownloadResult> DownloadAsync(IPEndPoint server, string file, TftpOptionList? options, CancellationToken cancellationToken)
    {
        await SendAsync(new TftpRequest(TftpOpcode.ReadRequest, file, "octet", options), server, cancellationToken);
        var data = new MemoryStream();
        var blockSize = 512;
        var windowSize = 1;
        TftpOptionAck? oack = null;
        IPEndPoint? tid = null;
        ushort expected = 1;
        var inWindow = 0;
        long blocks = 0;
        for (var packets = 0; packets < 2_000_000; packets++)
        {
            var received = await ReceiveAsync(TimeSpan.FromSeconds(10), cancellationToken)
                ?? throw new TimeoutException($"no answer after {blocks} blocks");
            var (packet, from) = received;
            tid ??= from;
            from.ShouldBe(tid);
            switch (packet)
            {
                case TftpOptionAck ack when blocks == 0:
                    oack = ack;
                    blockSize = ack.Options.TryGetInt64("blksize", out var b) ? (int)b : 512;
                    windowSize = ack.Options.TryGetInt64("windowsize", out var w) ? (int)w : 1;
                    await SendAsync(new TftpAck(0), tid, cancellationToken);
                    break;
                case TftpError error:
                    return new DownloadResult(data.ToArray(), oack, error, tid, blocks);
                case TftpData d when d.Block == expected:
                    data.Write(d.Payload.Span);
                    blocks++;
                    inWindow++;
                    var last = d.Payload.Length < blockSize;
                    if (last || inWindow == windowSize)
                    {
                        await SendAsync(new TftpAck(d.Block), tid, cancellationToken);
                        inWindow = 0;
                    }
                    if (last)
                    {
                        return new DownloadResult(data.ToArray(), oack, null, tid, blocks);
                    }
                    expected++;
                    break;
                default:
                    throw new InvalidOperationException($"unexpected {packet}");
            }
        }
        throw new InvalidOperationException("too many packets");
    }

    public void Dispose() => _socket.Dispose();
}

internal sealed record DownloadResult(byte[] Data, TftpOptionAck? OptionAck, TftpError? Error, IPEndPoint? ServerTid, long Blocks);
