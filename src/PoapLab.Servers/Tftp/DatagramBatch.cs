using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using PoapLab.Core.Native;

namespace PoapLab.Servers.Tftp;

/// <summary>How a batch send ended.</summary>
internal enum BatchResult
{
    /// <summary>Every datagram went out.</summary>
    Sent,

    /// <summary>The socket's buffer is full (EAGAIN): the count says how many blocks went; the rest is for the portable path.</summary>
    WouldBlock,

    /// <summary>The path cannot take segmentation offload (EIO, EINVAL, EMSGSIZE on a batch): the count says how many blocks went before.</summary>
    NoOffload,
}

/// <summary>
/// The DATA packets of a window (RFC 7440) in one sendmmsg(2) call on Linux (64-bit), each a
/// 4-byte header from a small pinned array and its payload straight from the file's mapping
/// (<see cref="MappedFileWindow"/>): no copy in the process and one system call a window.
/// With UDP_SEGMENT set on the socket, several packets of one message are cut into datagrams
/// by the kernel (udp(7)); without it, one message is one datagram.
/// </summary>
internal sealed unsafe partial class DatagramBatch
{
    private const int EIntr = 4;
    private const int EIo = 5;
    private const int EAgain = 11;
    private const int EFault = 14;
    private const int EInval = 22;
    private const int EMsgSize = 90;
    private const int ENoBufs = 105;
    private const int ENetUnreach = 101;
    private const int EConnRefused = 111;
    private const int EHostUnreach = 113;
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MessageHeader Header;
        public uint Length;
    }

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    private static partial int SendMMsg(nint fd, MMsgHdr* messages, uint count, int flags);

    private readonly nint _fd;
    private readonly byte[] _address;
    private readonly byte[] _headers;
    private readonly IoVector[] _iov;
    private readonly MMsgHdr[] _messages;

    /// <summary>Whether this process can use it: Linux on a 64-bit processor (the layout of msghdr above).</summary>
    public static bool Supported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <param name="maxBlocks">The most DATA packets of one call (the window size).</param>
    public DatagramBatch(Socket socket, IPEndPoint client, int maxBlocks)
    {
        _fd = socket.SafeHandle.DangerousGetHandle();
        _address = GC.AllocateArray<byte>(28, pinned: true);
        if (client.AddressFamily == AddressFamily.InterNetwork)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_address, AfInet);
            BinaryPrimitives.WriteUInt16BigEndian(_address.AsSpan(2), (ushort)client.Port);
            client.Address.TryWriteBytes(_address.AsSpan(4), out _);
            AddressLength = 16;
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_address, AfInet6);
            BinaryPrimitives.WriteUInt16BigEndian(_address.AsSpan(2), (ushort)client.Port);
            client.Address.TryWriteBytes(_address.AsSpan(8), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(_address.AsSpan(24), (uint)client.Address.ScopeId);
            AddressLength = 28;
        }
        _headers = GC.AllocateArray<byte>(4 * maxBlocks, pinned: true);
        _iov = GC.AllocateArray<IoVector>(2 * maxBlocks, pinned: true);
        _messages = GC.AllocateArray<MMsgHdr>(maxBlocks, pinned: true);
    }

    private uint AddressLength { get; }

    /// <summary>
    /// Sends <paramref name="count"/> DATA packets from block <paramref name="first"/>, block b's
    /// payload at <paramref name="payload"/> + (b - first) × <paramref name="blockSize"/>, the
    /// last one <paramref name="lastLength"/> bytes long; <paramref name="perMessage"/> packets a
    /// message (1 without segmentation offload). Returns how it ended and how many blocks went.
    /// </summary>
    /// <exception cref="IOException">The file was cut short under its mapping (EFAULT).</exception>
    /// <exception cref="SocketException">Any other failure of the send.</exception>
    public (BatchResult Result, int Blocks) Send(long first, int count, byte* payload, int blockSize, int lastLength, int perMessage)
    {
        fixed (byte* address = _address)
        fixed (byte* headers = _headers)
        fixed (IoVector* iov = _iov)
        fixed (MMsgHdr* messages = _messages)
        {
            var messageCount = 0;
            for (var b = 0; b < count; b += perMessage)
            {
                var inMessage = Math.Min(perMessage, count - b);
                ref var m = ref messages[messageCount++];
                m = default;
                m.Header.Name = (nint)address;
                m.Header.NameLength = AddressLength;
                m.Header.Iov = (nint)(iov + (2 * b));
                m.Header.IovLength = (nuint)(2 * inMessage);
                for (var i = b; i < b + inMessage; i++)
                {
                    var header = headers + (4 * i);
                    header[0] = 0;
                    header[1] = 3;
                    var block = (ushort)(first + i);
                    header[2] = (byte)(block >> 8);
                    header[3] = (byte)block;
                    iov[2 * i] = new IoVector { Base = (nint)header, Length = 4 };
                    iov[(2 * i) + 1] = new IoVector { Base = (nint)(payload + ((long)i * blockSize)), Length = (nuint)(i == count - 1 ? lastLength : blockSize) };
                }
            }
            var done = 0;
            while (done < messageCount)
            {
                var sent = SendMMsg(_fd, messages + done, (uint)(messageCount - done), 0);
                if (sent >= 0)
                {
                    done += sent;
                    continue;
                }
                var errno = Marshal.GetLastPInvokeError();
                switch (errno)
                {
                    case EIntr:
                        continue;
                    case EAgain:
                        return (BatchResult.WouldBlock, Math.Min(count, done * perMessage));
                    case EIo or EInval or EMsgSize when perMessage > 1:
                        return (BatchResult.NoOffload, Math.Min(count, done * perMessage));
                    case EFault:
                        throw new IOException("the file was cut short while it was being served");
                    default:
                        throw new SocketException((int)ToSocketError(errno));
                }
            }
            return (BatchResult.Sent, count);
        }
    }

    private static SocketError ToSocketError(int errno) => errno switch
    {
        EConnRefused => SocketError.ConnectionRefused,
        ENetUnreach => SocketError.NetworkUnreachable,
        EHostUnreach => SocketError.HostUnreachable,
        EMsgSize => SocketError.MessageSize,
        ENoBufs => SocketError.NoBufferSpaceAvailable,
        EInval => SocketError.InvalidArgument,
        _ => SocketError.SocketError,
    };
}
