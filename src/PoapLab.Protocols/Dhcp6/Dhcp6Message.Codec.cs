using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PoapLab.Protocols.Dhcp6;

public sealed partial record Dhcp6Message
{
    private const int ClientServerHeaderLength = 4;
    private const int RelayHeaderLength = 34;

    /// <summary>
    /// Decodes a DHCPv6 message (the UDP payload). Malformed input raises
    /// <see cref="ProtocolException"/> with the offset of the offending byte; options whose
    /// layout is known (IAs, DUIDs, status codes, address and name lists, relay messages, ...)
    /// are checked down to their last nested option.
    /// </summary>
    public static Dhcp6Message Decode(ReadOnlySpan<byte> data) => Decode(data, 0, 0);

    internal static Dhcp6Message Decode(ReadOnlySpan<byte> data, int baseOffset, int depth)
    {
        if (depth > Dhcp6Wire.MaxDepth)
        {
            throw new ProtocolException(Dhcp6Wire.Protocol, baseOffset, $"relay messages nested more than {Dhcp6Wire.MaxDepth} deep");
        }
        if (data.IsEmpty)
        {
            throw new ProtocolException(Dhcp6Wire.Protocol, baseOffset, "empty message");
        }
        var type = (Dhcp6MessageType)data[0];
        if (data[0] == 0)
        {
            // RFC 8415 §7.3: message type 0 is reserved.
            throw new ProtocolException(Dhcp6Wire.Protocol, baseOffset, "message type 0 is reserved");
        }
        if (IsRelayType(type))
        {
            // RFC 8415 §9: msg-type, hop-count, link-address (16), peer-address (16), options.
            if (data.Length < RelayHeaderLength)
            {
                throw new ProtocolException(Dhcp6Wire.Protocol, baseOffset + data.Length, $"relay message of {data.Length} bytes is shorter than its {RelayHeaderLength}-byte header");
            }
            return new Dhcp6Message
            {
                MessageType = type,
                HopCount = data[1],
                LinkAddress = new IPAddress(data.Slice(2, 16)),
                PeerAddress = new IPAddress(data.Slice(18, 16)),
                Options = Dhcp6Wire.ReadOptions(data[RelayHeaderLength..], baseOffset + RelayHeaderLength, depth),
            };
        }
        // RFC 8415 §8: msg-type, transaction-id (3 bytes), options.
        if (data.Length < ClientServerHeaderLength)
        {
            throw new ProtocolException(Dhcp6Wire.Protocol, baseOffset + data.Length, $"message of {data.Length} bytes is shorter than its 4-byte header");
        }
        return new Dhcp6Message
        {
            MessageType = type,
            TransactionId = (uint)((data[1] << 16) | (data[2] << 8) | data[3]),
            Options = Dhcp6Wire.ReadOptions(data[ClientServerHeaderLength..], baseOffset + ClientServerHeaderLength, depth),
        };
    }

    /// <summary>Encodes the message (RFC 8415 §8 or §9, options per §21.1 in their order).</summary>
    public byte[] Encode()
    {
        if (MessageType == 0)
        {
            throw new InvalidOperationException("message type 0 is reserved");
        }
        var options = Options.IsDefault ? [] : Options;
        var header = IsRelay ? RelayHeaderLength : ClientServerHeaderLength;
        var length = header;
        foreach (var option in options)
        {
            ValidateForEncoding(option);
            length += 4 + option.Data.Length;
        }
        var buffer = new byte[length];
        var span = buffer.AsSpan();
        span[0] = (byte)MessageType;
        if (IsRelay)
        {
            // RFC 8415 §9.
            span[1] = HopCount;
            WriteV6(span[2..], LinkAddress, "link-address");
            WriteV6(span[18..], PeerAddress, "peer-address");
        }
        else
        {
            // RFC 8415 §8: the transaction id is 3 bytes.
            if (TransactionId > MaxTransactionId)
            {
                throw new InvalidOperationException($"transaction id 0x{TransactionId:x} does not fit 24 bits");
            }
            span[1] = (byte)(TransactionId >> 16);
            span[2] = (byte)(TransactionId >> 8);
            span[3] = (byte)TransactionId;
        }
        var position = header;
        foreach (var option in options)
        {
            WriteOption(span[position..], option);
            position += 4 + option.Data.Length;
        }
        return buffer;
    }

    /// <summary>One option in wire form (RFC 8415 §21.1).</summary>
    internal static byte[] EncodeOption(Dhcp6OptionValue option)
    {
        ValidateForEncoding(option);
        var bytes = new byte[4 + option.Data.Length];
        WriteOption(bytes, option);
        return bytes;
    }

    private static void WriteOption(Span<byte> destination, Dhcp6OptionValue option)
    {
        // RFC 8415 §21.1: option-code, option-len, option-data.
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)option.Code);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)option.Data.Length);
        option.Data.AsSpan().CopyTo(destination[4..]);
    }

    private static void ValidateForEncoding(Dhcp6OptionValue option)
    {
        if (option is null)
        {
            throw new InvalidOperationException("an option is null");
        }
        if (option.Data.IsDefault)
        {
            throw new InvalidOperationException($"option {(ushort)option.Code} has no data array");
        }
        if (option.Data.Length > Dhcp6OptionValue.MaxDataLength)
        {
            throw new InvalidOperationException($"option {(ushort)option.Code} holds {option.Data.Length} bytes; option-len has 16 bits");
        }
    }

    private static void WriteV6(Span<byte> destination, IPAddress address, string field)
    {
        if (address is null || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new InvalidOperationException($"{field} must be an IPv6 address");
        }
        address.TryWriteBytes(destination, out _);
    }
}
