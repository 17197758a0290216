using System.Buffers.Binary;
using System.Text;

namespace PoapLab.Protocols.Tftp;

/// <summary>
/// A TFTP packet (RFC 1350 §5, RFC 2347). Decode with <see cref="Decode"/>; every decode
/// failure is a <see cref="ProtocolException"/> carrying the offset.
/// </summary>
public abstract record TftpPacket
{
    internal const string Protocol = "TFTP";

    // Strings on the wire are netascii (RFC 1350 §5); we accept any valid UTF-8 without
    // control characters so that a file name is never silently mangled.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private protected TftpPacket()
    {
    }

    /// <summary>The packet's opcode.</summary>
    public abstract TftpOpcode Opcode { get; }

    /// <summary>How many bytes <see cref="EncodeTo"/> writes.</summary>
    public abstract int EncodedLength { get; }

    /// <summary>Writes the packet; returns the byte count.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public int EncodeTo(Span<byte> destination)
    {
        var length = EncodedLength;
        if (destination.Length < length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; the packet needs {length}.", nameof(destination));
        }
        // RFC 1350 §5: every packet starts with a 2-byte big-endian opcode.
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Opcode);
        var written = 2 + EncodeBody(destination[2..]);
        return written;
    }

    /// <summary>The packet as a new array.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[EncodedLength];
        EncodeTo(bytes);
        return bytes;
    }

    private protected abstract int EncodeBody(Span<byte> destination);

    /// <summary>Decodes one datagram.</summary>
    /// <exception cref="ProtocolException">The bytes are not a well-formed TFTP packet.</exception>
    public static TftpPacket Decode(ReadOnlySpan<byte> datagram)
    {
        var reader = new Reader(datagram);
        // RFC 1350 §5: 2-byte opcode.
        var opcode = reader.ReadUInt16("opcode");
        switch ((TftpOpcode)opcode)
        {
            case TftpOpcode.ReadRequest:
            case TftpOpcode.WriteRequest:
            {
                // RFC 1350 §5 figure 5-1: filename NUL mode NUL; RFC 2347 appends
                // option NUL value NUL pairs.
                var fileOffset = reader.Offset;
                var fileName = reader.ReadString("file name");
                if (fileName.Length == 0)
                {
                    throw new ProtocolException(Protocol, fileOffset, "empty file name");
                }
                var modeOffset = reader.Offset;
                var mode = reader.ReadString("mode");
                if (mode.Length == 0)
                {
                    throw new ProtocolException(Protocol, modeOffset, "empty transfer mode");
                }
                var options = reader.ReadOptions();
                return new TftpRequest((TftpOpcode)opcode, fileName, mode, options);
            }
            case TftpOpcode.Data:
            {
                // RFC 1350 §5 figure 5-2: block number then 0..blksize bytes of data.
                var block = reader.ReadUInt16("block number");
                var payload = reader.Rest;
                if (payload.Length > TftpLimits.MaxBlockSize)
                {
                    throw new ProtocolException(Protocol, reader.Offset, $"DATA payload of {payload.Length} bytes exceeds the largest blksize {TftpLimits.MaxBlockSize} (RFC 2348)");
                }
                return new TftpData(block, payload.ToArray());
            }
            case TftpOpcode.Ack:
            {
                // RFC 1350 §5 figure 5-3: exactly opcode and block number.
                var block = reader.ReadUInt16("block number");
                reader.ExpectEnd("ACK");
                return new TftpAck(block);
            }
            case TftpOpcode.Error:
            {
                // RFC 1350 §5 figure 5-4: error code, message, NUL.
                var code = reader.ReadUInt16("error code");
                var message = reader.ReadString("error message");
                reader.ExpectEnd("ERROR");
                return new TftpError((TftpErrorCode)code, message);
            }
            case TftpOpcode.OptionAck:
                // RFC 2347 §"Packet Formats": opcode 6 followed by option/value pairs.
                return new TftpOptionAck(reader.ReadOptions());
            default:
                throw new ProtocolException(Protocol, 0, $"unknown opcode {opcode}");
        }
    }

    private protected static int WriteString(Span<byte> destination, string value)
    {
        var n = StrictUtf8.GetBytes(value, destination);
        destination[n] = 0;
        return n + 1;
    }

    private protected static int StringLength(string value) => StrictUtf8.GetByteCount(value) + 1;

    private protected static int OptionsLength(TftpOptionList options)
    {
        var length = 0;
        foreach (var (name, value) in options)
        {
            length += StringLength(name) + StringLength(value);
        }
        return length;
    }

    private protected static int WriteOptions(Span<byte> destination, TftpOptionList options)
    {
        var offset = 0;
        foreach (var (name, value) in options)
        {
            offset += WriteString(destination[offset..], name);
            offset += WriteString(destination[offset..], value);
        }
        return offset;
    }

    private protected static void CheckWireString(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A TFTP string cannot contain NUL.", paramName);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public int Offset { get; private set; }

        public readonly ReadOnlySpan<byte> Rest => _data[Offset..];

        public ushort ReadUInt16(string what)
        {
            if (_data.Length - Offset < 2)
            {
                throw new ProtocolException(Protocol, Offset, $"truncated {what}");
            }
            var value = BinaryPrimitives.ReadUInt16BigEndian(_data[Offset..]);
            Offset += 2;
            return value;
        }

        public string ReadString(string what)
        {
            var rest = Rest;
            var end = rest.IndexOf((byte)0);
            if (end < 0)
            {
                throw new ProtocolException(Protocol, _data.Length, $"{what} is not NUL-terminated");
            }
            var bytes = rest[..end];
            var bad = bytes.IndexOfAnyInRange((byte)0x01, (byte)0x1F);
            if (bad >= 0)
            {
                throw new ProtocolException(Protocol, Offset + bad, $"control character in {what}");
            }
            string text;
            try
            {
                text = StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new ProtocolException(Protocol, Offset, $"{what} is not valid text");
            }
            Offset += end + 1;
            return text;
        }

        public TftpOptionList ReadOptions()
        {
            if (Offset == _data.Length)
            {
                return TftpOptionList.Empty;
            }
            var options = new List<KeyValuePair<string, string>>();
            while (Offset < _data.Length)
            {
                var nameOffset = Offset;
                var name = ReadString("option name");
                if (name.Length == 0)
                {
                    throw new ProtocolException(Protocol, nameOffset, "empty option name");
                }
                foreach (var seen in options)
                {
                    // RFC 2347 gives no meaning to a repeated option: refuse the ambiguity.
                    if (string.Equals(seen.Key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new ProtocolException(Protocol, nameOffset, $"option '{name}' repeated");
                    }
                }
                var value = ReadString($"value of option '{name}'");
                options.Add(new(name, value));
            }
            return new TftpOptionList(options);
        }

        public readonly void ExpectEnd(string packet)
        {
            if (Offset != _data.Length)
            {
                throw new ProtocolException(Protocol, Offset, $"{_data.Length - Offset} unexpected bytes after {packet}");
            }
        }
    }
}

/// <summary>RRQ or WRQ (RFC 1350 §5, options per RFC 2347).</summary>
public sealed record TftpRequest : TftpPacket
{
    public TftpRequest(TftpOpcode opcode, string fileName, string mode, TftpOptionList? options = null)
    {
        if (opcode is not (TftpOpcode.ReadRequest or TftpOpcode.WriteRequest))
        {
            throw new ArgumentException($"A request is RRQ or WRQ, not {opcode}.", nameof(opcode));
        }
        CheckWireString(fileName, nameof(fileName));
        CheckWireString(mode, nameof(mode));
        if (fileName.Length == 0 || mode.Length == 0)
        {
            throw new ArgumentException("File name and mode cannot be empty.");
        }
        RequestOpcode = opcode;
        FileName = fileName;
        Mode = mode;
        Options = options ?? TftpOptionList.Empty;
    }

    private TftpOpcode RequestOpcode { get; }

    /// <inheritdoc />
    public override TftpOpcode Opcode => RequestOpcode;

    /// <summary>The requested file name as sent.</summary>
    public string FileName { get; }

    /// <summary><c>octet</c>, <c>netascii</c> or <c>mail</c> (RFC 1350 §5, any case).</summary>
    public string Mode { get; }

    /// <summary>RFC 2347 options in wire order.</summary>
    public TftpOptionList Options { get; }

    /// <inheritdoc />
    public override int EncodedLength => 2 + StringLength(FileName) + StringLength(Mode) + OptionsLength(Options);

    private protected override int EncodeBody(Span<byte> destination)
    {
        // RFC 1350 §5 figure 5-1, then RFC 2347 option pairs.
        var offset = WriteString(destination, FileName);
        offset += WriteString(destination[offset..], Mode);
        offset += WriteOptions(destination[offset..], Options);
        return offset;
    }
}

/// <summary>DATA (RFC 1350 §5 figure 5-2); equality compares the payload bytes.</summary>
public sealed record TftpData(ushort Block, ReadOnlyMemory<byte> Payload) : TftpPacket
{
    /// <inheritdoc />
    public override TftpOpcode Opcode => TftpOpcode.Data;

    /// <inheritdoc />
    public override int EncodedLength => TftpLimits.DataHeaderSize + Payload.Length;

    /// <inheritdoc />
    public bool Equals(TftpData? other)
        => other is not null && Block == other.Block && Payload.Span.SequenceEqual(other.Payload.Span);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Block);
        hash.AddBytes(Payload.Span);
        return hash.ToHashCode();
    }

    private protected override int EncodeBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Block);
        Payload.Span.CopyTo(destination[2..]);
        return 2 + Payload.Length;
    }
}

/// <summary>ACK (RFC 1350 §5 figure 5-3); block 0 acknowledges a WRQ or an OACK (RFC 2347).</summary>
public sealed record TftpAck(ushort Block) : TftpPacket
{
    /// <inheritdoc />
    public override TftpOpcode Opcode => TftpOpcode.Ack;

    /// <inheritdoc />
    public override int EncodedLength => TftpLimits.DataHeaderSize;

    private protected override int EncodeBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Block);
        return 2;
    }
}

/// <summary>ERROR (RFC 1350 §5 figure 5-4).</summary>
public sealed record TftpError : TftpPacket
{
    public TftpError(TftpErrorCode code, string message)
    {
        CheckWireString(message, nameof(message));
        Code = code;
        Message = message;
    }

    /// <summary>The error code; values outside the enum are kept as sent.</summary>
    public TftpErrorCode Code { get; }

    /// <summary>The human-readable message.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override TftpOpcode Opcode => TftpOpcode.Error;

    /// <inheritdoc />
    public override int EncodedLength => 4 + StringLength(Message);

    private protected override int EncodeBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)Code);
        return 2 + WriteString(destination[2..], Message);
    }
}

/// <summary>OACK (RFC 2347 §"Packet Formats"): the options the server accepted.</summary>
public sealed record TftpOptionAck(TftpOptionList Options) : TftpPacket
{
    /// <summary>The accepted options in wire order.</summary>
    public TftpOptionList Options { get; } = Options ?? throw new ArgumentNullException(nameof(Options));

    /// <inheritdoc />
    public override TftpOpcode Opcode => TftpOpcode.OptionAck;

    /// <inheritdoc />
    public override int EncodedLength => 2 + OptionsLength(Options);

    private protected override int EncodeBody(Span<byte> destination) => WriteOptions(destination, Options);
}
