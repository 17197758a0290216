using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Text;

namespace PoapLab.Protocols.Dhcp;

public sealed partial record DhcpMessage
{
    private const string Protocol = "DHCPv4";
    private const int SnameOffset = 44;
    private const int SnameLength = 64;
    private const int FileOffset = 108;
    private const int FileLength = 128;
    private const int CookieOffset = 236;
    private const int OptionsOffset = 240;
    private const uint MagicCookie = 0x63825363;
    private const int MaxOptionChunk = 255;

    /// <summary>
    /// Decodes a DHCPv4 message (the UDP payload). Malformed input raises
    /// <see cref="ProtocolException"/> with the offset of the offending byte.
    /// </summary>
    public static DhcpMessage Decode(ReadOnlySpan<byte> data)
    {
        // RFC 2131 §2, figure 1: the fixed-format BOOTP header is 236 bytes.
        if (data.Length < FixedHeaderLength)
        {
            throw new ProtocolException(Protocol, data.Length, $"message of {data.Length} bytes is shorter than the {FixedHeaderLength}-byte BOOTP header");
        }
        var op = data[0];
        if (op is not ((byte)BootpOperation.Request or (byte)BootpOperation.Reply))
        {
            throw new ProtocolException(Protocol, 0, $"op {op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)");
        }
        var hlen = data[2];
        if (hlen > 16)
        {
            throw new ProtocolException(Protocol, 2, $"hlen {hlen} does not fit the 16-byte chaddr field");
        }
        // RFC 2131 §3: the options field starts with the magic cookie 99.130.83.99.
        if (data.Length < OptionsOffset)
        {
            throw new ProtocolException(Protocol, CookieOffset, "magic cookie truncated");
        }
        var cookie = BinaryPrimitives.ReadUInt32BigEndian(data[CookieOffset..]);
        if (cookie != MagicCookie)
        {
            throw new ProtocolException(Protocol, CookieOffset, $"magic cookie 0x{cookie:x8} is not 0x63825363");
        }

        var collector = new OptionCollector();
        collector.Walk(data[OptionsOffset..], OptionsOffset, allowOverload: true);
        var overload = collector.Overload;
        // RFC 2132 §9.3 / RFC 2131 §4.1: with option 52 the file and/or sname fields hold
        // options; they are read after the options field, file before sname (RFC 3396 §5).
        var fileHoldsOptions = overload is 1 or 3;
        var snameHoldsOptions = overload is 2 or 3;
        if (fileHoldsOptions)
        {
            collector.Walk(data.Slice(FileOffset, FileLength), FileOffset, allowOverload: false);
        }
        if (snameHoldsOptions)
        {
            collector.Walk(data.Slice(SnameOffset, SnameLength), SnameOffset, allowOverload: false);
        }

        // RFC 2131 §2, figure 1 and figure 2 (flags: only the leftmost bit is defined).
        return new DhcpMessage
        {
            Operation = (BootpOperation)op,
            HardwareType = data[1],
            HardwareAddressLength = hlen,
            Hops = data[3],
            TransactionId = BinaryPrimitives.ReadUInt32BigEndian(data[4..]),
            Seconds = BinaryPrimitives.ReadUInt16BigEndian(data[8..]),
            Broadcast = (data[10] & 0x80) != 0,
            ClientAddress = new IPAddress(data.Slice(12, 4)),
            YourAddress = new IPAddress(data.Slice(16, 4)),
            NextServerAddress = new IPAddress(data.Slice(20, 4)),
            RelayAgentAddress = new IPAddress(data.Slice(24, 4)),
            ClientHardwareAddress = [.. data.Slice(28, 16)],
            ServerHostName = snameHoldsOptions ? "" : NulTerminated(data.Slice(SnameOffset, SnameLength)),
            BootFileName = fileHoldsOptions ? "" : NulTerminated(data.Slice(FileOffset, FileLength)),
            Options = collector.ToOptions(),
        };
    }

    /// <summary>
    /// Encodes the message: fixed header, magic cookie, options (long ones split per
    /// RFC 3396), End, zero padding to <see cref="MinimumLength"/>. Never overloads
    /// <c>file</c>/<c>sname</c>, so option 52 in <see cref="Options"/> is not written.
    /// </summary>
    public byte[] Encode()
    {
        if (ClientHardwareAddress.IsDefault || ClientHardwareAddress.Length > 16)
        {
            throw new InvalidOperationException("chaddr must hold at most 16 bytes");
        }
        var sname = FieldBytes(ServerHostName, SnameLength, "sname");
        var file = FieldBytes(BootFileName, FileLength, "file");
        var options = Options.IsDefault ? [] : Options;

        var length = OptionsOffset + 1;
        foreach (var option in options)
        {
            ValidateForEncoding(option);
            if (option.Code != DhcpOption.OptionOverload)
            {
                var chunks = Math.Max(1, (option.Data.Length + MaxOptionChunk - 1) / MaxOptionChunk);
                length += (2 * chunks) + option.Data.Length;
            }
        }
        var buffer = new byte[Math.Max(length, MinimumLength)];
        var span = buffer.AsSpan();

        // RFC 2131 §2, figure 1.
        span[0] = (byte)Operation;
        span[1] = HardwareType;
        span[2] = HardwareAddressLength;
        span[3] = Hops;
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], Seconds);
        // RFC 2131 §2, figure 2: BROADCAST is the leftmost flags bit; the rest MUST be zero.
        span[10] = Broadcast ? (byte)0x80 : (byte)0;
        WriteAddress(span[12..], ClientAddress, "ciaddr");
        WriteAddress(span[16..], YourAddress, "yiaddr");
        WriteAddress(span[20..], NextServerAddress, "siaddr");
        WriteAddress(span[24..], RelayAgentAddress, "giaddr");
        ClientHardwareAddress.AsSpan().CopyTo(span[28..]);
        sname.CopyTo(span[SnameOffset..]);
        file.CopyTo(span[FileOffset..]);
        // RFC 2131 §3: magic cookie.
        BinaryPrimitives.WriteUInt32BigEndian(span[CookieOffset..], MagicCookie);

        var position = OptionsOffset;
        foreach (var option in options)
        {
            if (option.Code == DhcpOption.OptionOverload)
            {
                continue;
            }
            var data = option.Data.AsSpan();
            // RFC 3396 §5 (splitting): a value longer than 255 bytes goes out as consecutive
            // instances of the same code, which the receiver concatenates.
            do
            {
                var chunk = data[..Math.Min(MaxOptionChunk, data.Length)];
                span[position++] = (byte)option.Code;
                span[position++] = (byte)chunk.Length;
                chunk.CopyTo(span[position..]);
                position += chunk.Length;
                data = data[chunk.Length..];
            }
            while (!data.IsEmpty);
        }
        // RFC 2132 §3.2: End; the rest stays zero (Pad, RFC 2132 §3.1).
        span[position] = (byte)DhcpOption.End;
        return buffer;
    }

    /// <inheritdoc />
    public override string ToString() => Describe();

    private static void ValidateForEncoding(DhcpOptionValue option)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (option.Code is DhcpOption.Pad or DhcpOption.End)
        {
            throw new InvalidOperationException($"option {(byte)option.Code} (Pad/End) is framing, not a value option");
        }
        if (option.Data.IsDefault)
        {
            throw new InvalidOperationException($"option {(byte)option.Code} has no data array");
        }
    }

    private static byte[] FieldBytes(string? value, int size, string field)
    {
        value ??= "";
        // Latin-1 maps bytes 0-255 one to one, so any decoded field encodes back unchanged.
        foreach (var c in value)
        {
            if (c is > '\u00FF' or '\0')
            {
                throw new InvalidOperationException($"{field} holds a character that is not a single non-NUL byte");
            }
        }
        if (value.Length > size)
        {
            throw new InvalidOperationException($"{field} is {value.Length} bytes, longer than its {size}-byte field");
        }
        return Encoding.Latin1.GetBytes(value);
    }

    private static void WriteAddress(Span<byte> destination, IPAddress address, string field)
    {
        if (address is null || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            throw new InvalidOperationException($"{field} must be an IPv4 address");
        }
        address.TryWriteBytes(destination, out _);
    }

    private static string NulTerminated(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.Latin1.GetString(end < 0 ? field : field[..end]);
    }

    /// <summary>Concatenates repeated options (RFC 3396 §7) in order of first appearance.</summary>
    private sealed class OptionCollector
    {
        private readonly List<(DhcpOption Code, List<byte> Data)> _options = [];

        public int Overload { get; private set; }

        public void Walk(ReadOnlySpan<byte> area, int baseOffset, bool allowOverload)
        {
            var reader = new DhcpOptionReader(area, baseOffset);
            while (reader.MoveNext())
            {
                var option = reader.Current;
                if (option.Code == DhcpOption.OptionOverload)
                {
                    // RFC 2132 §9.3: only meaningful in the options field, one byte, 1..3.
                    if (!allowOverload)
                    {
                        continue;
                    }
                    if (option.Data.Length != 1 || option.Data[0] is < 1 or > 3 || Overload != 0)
                    {
                        throw new ProtocolException(Protocol, option.Offset, "option overload (52) must appear once with value 1, 2 or 3");
                    }
                    Overload = option.Data[0];
                    continue;
                }
                var code = option.Code;
                var index = _options.FindIndex(o => o.Code == code);
                if (index < 0)
                {
                    _options.Add((option.Code, [.. option.Data]));
                }
                else
                {
                    _options[index].Data.AddRange(option.Data);
                }
            }
        }

        public ImmutableArray<DhcpOptionValue> ToOptions() =>
            [.. _options.Select(o => new DhcpOptionValue(o.Code, [.. o.Data]))];
    }
}
