using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PoapLab.Benchmarks.Servers;

/// <summary>
/// A plain TFTP reader for the benchmark (curl's TFTP has no windowsize): RRQ with blksize and
/// windowsize (RFC 2348, RFC 7440), one ACK per window, the bytes counted and dropped. A server
/// that does not acknowledge windowsize gets one ACK per block (window 1), so the same client
/// measures a server with windows and one without. Every wait is bounded.
/// </summary>
internal static class WindowedTftpClient
{
    private const int MaxTimeouts = 10;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(1);

    /// <summary>Reads <paramref name="file"/>; returns the wall time and the bytes read, or throws.</summary>
    public static (double Milliseconds, long Bytes, int Window) Read(IPEndPoint server, string file, int blockSize, int windowSize, TimeSpan limit)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(server.Address, 0));
        socket.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        socket.ReceiveBufferSize = 4 * 1024 * 1024;
        var request = new List<byte> { 0, 1 };
        void Add(string s)
        {
            request.AddRange(Encoding.ASCII.GetBytes(s));
            request.Add(0);
        }
        Add(file);
        Add("octet");
        Add("blksize");
        Add(blockSize.ToString(CultureInfo.InvariantCulture));
        if (windowSize > 1)
        {
            Add("windowsize");
            Add(windowSize.ToString(CultureInfo.InvariantCulture));
        }
        var watch = Stopwatch.StartNew();
        socket.SendTo(request.ToArray(), server);

        var buffer = new byte[65536 + 4];
        var ack = new byte[4];
        ack[1] = 4;
        // SocketAddress overloads: no endpoint object per datagram.
        var from = new SocketAddress(server.AddressFamily);
        SocketAddress? peer = null;
        var agreedBlock = 512;
        var agreedWindow = 1;
        ushort last = 0;
        var inWindow = 0;
        long bytes = 0;
        var timeouts = 0;
        void Ack(ushort block)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ack.AsSpan(2), block);
            socket.SendTo(ack, SocketFlags.None, peer!);
        }
        while (true)
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"TFTP read of {file} from {server} did not finish within {limit.TotalSeconds:0} s");
            }
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                if (++timeouts > MaxTimeouts || peer is null)
                {
                    throw new TimeoutException($"TFTP read of {file} from {server}: no answer after {timeouts} waits");
                }
                Ack(last);
                inWindow = 0;
                continue;
            }
            timeouts = 0;
            if (peer is null)
            {
                peer = new SocketAddress(from.Family, from.Size);
                from.Buffer.CopyTo(peer.Buffer);
            }
            var opcode = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            if (opcode == 6)
            {
                // OACK: the options the server took (RFC 2347).
                var parts = Encoding.ASCII.GetString(buffer, 2, length - 2).Split('\0');
                for (var i = 0; i + 1 < parts.Length; i += 2)
                {
                    if (parts[i].Equals("blksize", StringComparison.OrdinalIgnoreCase))
                    {
                        agreedBlock = int.Parse(parts[i + 1], CultureInfo.InvariantCulture);
                    }
                    else if (parts[i].Equals("windowsize", StringComparison.OrdinalIgnoreCase))
                    {
                        agreedWindow = int.Parse(parts[i + 1], CultureInfo.InvariantCulture);
                    }
                }
                Ack(0);
                continue;
            }
            if (opcode == 5)
            {
                throw new InvalidOperationException($"TFTP read of {file} from {server}: ERROR {BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2))} {Encoding.ASCII.GetString(buffer, 4, Math.Max(0, length - 5))}");
            }
            if (opcode != 3 || length < 4)
            {
                continue;
            }
            var block = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2));
            if (block != (ushort)(last + 1))
            {
                // Out of order (a block lost): RFC 7440 §4, acknowledge the last one in order.
                if (block != last)
                {
                    Ack(last);
                    inWindow = 0;
                }
                continue;
            }
            last = block;
            bytes += length - 4;
            inWindow++;
            var final = length - 4 < agreedBlock;
            if (final)
            {
                Ack(last);
                watch.Stop();
                return (watch.Elapsed.TotalMilliseconds, bytes, agreedWindow);
            }
            if (inWindow >= agreedWindow)
            {
                Ack(last);
                inWindow = 0;
            }
        }
    }
}
