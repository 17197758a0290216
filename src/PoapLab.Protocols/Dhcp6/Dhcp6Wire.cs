using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Text;

namespace PoapLab.Protocols.Dhcp6;

/// <summary>
/// Readers of DHCPv6 option payloads. Each takes the option data and where it sits in the
/// message (<c>baseOffset</c>), so the decoder reports the exact offset of a fault; the
/// typed accessors of an already decoded message pass 0.
/// </summary>
internal static class Dhcp6Wire
{
    public const string Protocol = "DHCPv6";

    /// <summary>
    /// Relay messages nest (RFC 8415 §19.1.1; HOP_COUNT_LIMIT is 8, §7.6) and IAs nest
    /// addresses that nest status codes; anything deeper than this is hostile.
    /// </summary>
    public const int MaxDepth = 32;

    private const int MaxDomainName = 255;

    /// <summary>Reads the options of one area, checking each one whose layout is known.</summary>
    public static ImmutableArray<Dhcp6OptionValue> ReadOptions(ReadOnlySpan<byte> area, int baseOffset, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ProtocolException(Protocol, baseOffset, $"options nested more than {MaxDepth} deep");
        }
        var builder = ImmutableArray.CreateBuilder<Dhcp6OptionValue>();
        var reader = new Dhcp6OptionReader(area, baseOffset);
        while (reader.MoveNext())
        {
            var option = reader.Current;
            Check(option.Code, option.Data, option.DataOffset, depth);
            builder.Add(new Dhcp6OptionValue(option.Code, [.. option.Data]));
        }
        return builder.ToImmutable();
    }

    /// <summary>Checks the layout of one option's data (RFC 8415 §21 and the option's RFC).</summary>
    public static void Check(Dhcp6Option code, ReadOnlySpan<byte> data, int offset, int depth)
    {
        switch (code)
        {
            case Dhcp6Option.ClientId or Dhcp6Option.ServerId:
                Dhcp6Duid.Decode(data, offset);
                break;
            case Dhcp6Option.IaNa or Dhcp6Option.IaTa or Dhcp6Option.IaPd:
                IdentityAssociation(code, data, offset, depth + 1);
                break;
            case Dhcp6Option.IaAddress:
                IaAddress(data, offset, depth + 1);
                break;
            case Dhcp6Option.IaPrefix:
                IaPrefix(data, offset, depth + 1);
                break;
            case Dhcp6Option.OptionRequest:
                OptionRequest(data, offset);
                break;
            case Dhcp6Option.Preference:
                ExactLength(code, data, offset, 1); // §21.8
                break;
            case Dhcp6Option.ElapsedTime:
                ExactLength(code, data, offset, 2); // §21.9
                break;
            case Dhcp6Option.RelayMessage:
                Dhcp6Message.Decode(data, offset, depth + 1); // §21.10
                break;
            case Dhcp6Option.StatusCode:
                Status(data, offset);
                break;
            case Dhcp6Option.RapidCommit or Dhcp6Option.ReconfigureAccept:
                ExactLength(code, data, offset, 0); // §21.14, §21.20
                break;
            case Dhcp6Option.ReconfigureMessage:
                ExactLength(code, data, offset, 1); // §21.19
                break;
            case Dhcp6Option.UserClass:
                OpaqueList(data, offset, "user class"); // §21.15
                break;
            case Dhcp6Option.VendorClass:
                VendorClass(data, offset);
                break;
            case Dhcp6Option.VendorOpts:
                // §21.17 gives the vendor's options 2-byte codes, but the layout after the enterprise
                // number is the vendor's in practice: Cisco's Secure POAP declaration for ISC dhcpd
                // (option space poap_v6 length width 2) sends 1-byte codes. Only the enterprise number
                // is checked here; VendorOptions() reads the §21.17 layout when asked.
                MinimumLength(Dhcp6Option.VendorOpts, data, offset, 4);
                break;
            case Dhcp6Option.DnsServers or Dhcp6Option.SipServersAddress or Dhcp6Option.SntpServers:
                Addresses(data, offset);
                break;
            case Dhcp6Option.DomainList or Dhcp6Option.SipServersDomain or Dhcp6Option.AftrName:
                DomainNames(data, offset);
                break;
            case Dhcp6Option.InformationRefreshTime or Dhcp6Option.SolMaxRt or Dhcp6Option.InfMaxRt:
                ExactLength(code, data, offset, 4); // §21.23-§21.25
                break;
            case Dhcp6Option.NtpServer:
                NtpServers(data, offset);
                break;
            case Dhcp6Option.BootfileParam:
                OpaqueList(data, offset, "boot file parameter"); // RFC 5970 §3.2
                break;
            case Dhcp6Option.NextHop:
                NextHop(data, offset, depth + 1);
                break;
            case Dhcp6Option.RoutePrefix:
                RoutePrefix(data, offset);
                break;
            default:
                // Unknown or free-form (URLs, interface id, FQDN): kept as bytes.
                break;
        }
    }

    public static Dhcp6IdentityAssociation IdentityAssociation(Dhcp6Option kind, ReadOnlySpan<byte> data, int offset, int depth)
    {
        // §21.4 IA_NA and §21.21 IA_PD: IAID, T1, T2, options. §21.5 IA_TA: IAID, options.
        var fixedLength = kind == Dhcp6Option.IaTa ? 4 : 12;
        MinimumLength(kind, data, offset, fixedLength);
        var iaid = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint t1 = 0, t2 = 0;
        if (kind != Dhcp6Option.IaTa)
        {
            t1 = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
            t2 = BinaryPrimitives.ReadUInt32BigEndian(data[8..]);
        }
        var options = ReadOptions(data[fixedLength..], offset + fixedLength, depth);
        return new Dhcp6IdentityAssociation(kind, iaid, t1, t2, options);
    }

    public static Dhcp6IaAddress IaAddress(ReadOnlySpan<byte> data, int offset, int depth)
    {
        // §21.6: IPv6 address (16), preferred lifetime (4), valid lifetime (4), options.
        MinimumLength(Dhcp6Option.IaAddress, data, offset, 24);
        var options = ReadOptions(data[24..], offset + 24, depth);
        return new Dhcp6IaAddress(new IPAddress(data[..16]), BinaryPrimitives.ReadUInt32BigEndian(data[16..]), BinaryPrimitives.ReadUInt32BigEndian(data[20..]), options);
    }

    public static Dhcp6IaPrefix IaPrefix(ReadOnlySpan<byte> data, int offset, int depth)
    {
        // §21.22: preferred lifetime (4), valid lifetime (4), prefix length (1), prefix (16), options.
        MinimumLength(Dhcp6Option.IaPrefix, data, offset, 25);
        var length = data[8];
        if (length > 128)
        {
            throw new ProtocolException(Protocol, offset + 8, $"prefix length {length} is above 128");
        }
        var options = ReadOptions(data[25..], offset + 25, depth);
        return new Dhcp6IaPrefix(new IPAddress(data.Slice(9, 16)), length, BinaryPrimitives.ReadUInt32BigEndian(data), BinaryPrimitives.ReadUInt32BigEndian(data[4..]), options);
    }

    public static Dhcp6Status Status(ReadOnlySpan<byte> data, int offset)
    {
        // §21.13: status-code (2), then a UTF-8 message to the end of the option.
        MinimumLength(Dhcp6Option.StatusCode, data, offset, 2);
        return new Dhcp6Status((Dhcp6StatusCode)BinaryPrimitives.ReadUInt16BigEndian(data), Encoding.UTF8.GetString(data[2..]));
    }

    public static IReadOnlyList<Dhcp6Option> OptionRequest(ReadOnlySpan<byte> data, int offset)
    {
        // §21.7: a list of 2-byte option codes.
        if (data.Length % 2 != 0)
        {
            throw new ProtocolException(Protocol, LengthField(offset), $"option request of {data.Length} bytes is not a list of 2-byte codes");
        }
        var codes = new Dhcp6Option[data.Length / 2];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = (Dhcp6Option)BinaryPrimitives.ReadUInt16BigEndian(data[(i * 2)..]);
        }
        return codes;
    }

    public static IReadOnlyList<IPAddress> Addresses(ReadOnlySpan<byte> data, int offset)
    {
        // RFC 3646 §3 (and the other address-list options): 16 bytes per address.
        if (data.Length % 16 != 0)
        {
            throw new ProtocolException(Protocol, LengthField(offset), $"address list of {data.Length} bytes is not a multiple of 16");
        }
        var list = new IPAddress[data.Length / 16];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = new IPAddress(data.Slice(i * 16, 16));
        }
        return list;
    }

    /// <summary>
    /// Domain names in the uncompressed form of RFC 1035 §3.1, as RFC 8415 §10 requires:
    /// labels with a length byte each, every name closed by the zero label.
    /// </summary>
    public static IReadOnlyList<string> DomainNames(ReadOnlySpan<byte> data, int offset)
    {
        var names = new List<string>();
        var labels = new List<string>();
        var position = 0;
        var nameStart = 0;
        while (position < data.Length)
        {
            int length = data[position];
            if (length == 0)
            {
                names.Add(string.Join('.', labels));
                labels.Clear();
                position++;
                nameStart = position;
                continue;
            }
            if (length > 63)
            {
                // RFC 1035 §4.1.4 compression pointers (0b11) are not allowed here (RFC 8415 §10).
                throw new ProtocolException(Protocol, offset + position, $"label length byte 0x{length:x2} (compression is not allowed; labels are at most 63)");
            }
            if (length > data.Length - position - 1)
            {
                throw new ProtocolException(Protocol, offset + position, $"label of {length} bytes runs past the option");
            }
            if (position + 1 + length - nameStart > MaxDomainName - 1)
            {
                throw new ProtocolException(Protocol, offset + position, "domain name longer than 255 bytes");
            }
            labels.Add(Encoding.Latin1.GetString(data.Slice(position + 1, length)));
            position += 1 + length;
        }
        if (labels.Count > 0)
        {
            throw new ProtocolException(Protocol, offset + data.Length, "domain name not closed by the zero label");
        }
        return names;
    }

    public static IReadOnlyList<Dhcp6NtpServer> NtpServers(ReadOnlySpan<byte> data, int offset)
    {
        // RFC 5908 §4: sub-options in the option format; 1 and 2 hold one address, 3 one FQDN.
        var servers = new List<Dhcp6NtpServer>();
        var reader = new Dhcp6OptionReader(data, offset);
        while (reader.MoveNext())
        {
            var sub = reader.Current;
            var kind = (Dhcp6NtpServerKind)(ushort)sub.Code;
            switch (kind)
            {
                case Dhcp6NtpServerKind.Address or Dhcp6NtpServerKind.MulticastAddress:
                    if (sub.Data.Length != 16)
                    {
                        throw new ProtocolException(Protocol, sub.Offset + 2, $"NTP sub-option {(ushort)kind} of {sub.Data.Length} bytes, expected 16");
                    }
                    servers.Add(new Dhcp6NtpServer(kind, new IPAddress(sub.Data).ToString()));
                    break;
                case Dhcp6NtpServerKind.Fqdn:
                    var names = DomainNames(sub.Data, sub.DataOffset);
                    if (names.Count != 1)
                    {
                        throw new ProtocolException(Protocol, sub.DataOffset, $"NTP server FQDN holds {names.Count} names, expected 1");
                    }
                    servers.Add(new Dhcp6NtpServer(kind, names[0]));
                    break;
                default:
                    throw new ProtocolException(Protocol, sub.Offset, $"unknown NTP sub-option {(ushort)sub.Code}");
            }
        }
        return servers;
    }

    /// <summary>A list of 2-byte-length-prefixed opaque items (user class §21.15, RFC 5970 §3.2).</summary>
    public static ImmutableArray<ImmutableArray<byte>> OpaqueList(ReadOnlySpan<byte> data, int offset, string what)
    {
        var items = ImmutableArray.CreateBuilder<ImmutableArray<byte>>();
        var position = 0;
        while (position < data.Length)
        {
            if (data.Length - position < 2)
            {
                throw new ProtocolException(Protocol, offset + position, $"{what} item length truncated");
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[position..]);
            if (length > data.Length - position - 2)
            {
                throw new ProtocolException(Protocol, offset + position, $"{what} item of {length} bytes runs past the option");
            }
            items.Add([.. data.Slice(position + 2, length)]);
            position += 2 + length;
        }
        return items.ToImmutable();
    }

    public static Dhcp6VendorClass VendorClass(ReadOnlySpan<byte> data, int offset)
    {
        // §21.16: enterprise-number (4), then vendor-class-data as length-prefixed items.
        MinimumLength(Dhcp6Option.VendorClass, data, offset, 4);
        return new Dhcp6VendorClass(BinaryPrimitives.ReadUInt32BigEndian(data), OpaqueList(data[4..], offset + 4, "vendor class"));
    }

    public static Dhcp6VendorOptions VendorOptions(ReadOnlySpan<byte> data, int offset)
    {
        // §21.17: enterprise-number (4), then sub-options in the option format (2-byte code, 2-byte length).
        MinimumLength(Dhcp6Option.VendorOpts, data, offset, 4);
        var subs = ImmutableArray.CreateBuilder<Dhcp6VendorSubOption>();
        var reader = new Dhcp6OptionReader(data[4..], offset + 4);
        while (reader.MoveNext())
        {
            subs.Add(new Dhcp6VendorSubOption((ushort)reader.Current.Code, [.. reader.Current.Data]));
        }
        return new Dhcp6VendorOptions(BinaryPrimitives.ReadUInt32BigEndian(data), subs.ToImmutable());
    }

    public static IPAddress NextHop(ReadOnlySpan<byte> data, int offset, int depth)
    {
        // draft-ietf-mif-dhcpv6-route-option §5.1: the next-hop address, then optional options.
        MinimumLength(Dhcp6Option.NextHop, data, offset, 16);
        ReadOptions(data[16..], offset + 16, depth);
        return new IPAddress(data[..16]);
    }

    public static Dhcp6RoutePrefix RoutePrefix(ReadOnlySpan<byte> data, int offset)
    {
        // draft-ietf-mif-dhcpv6-route-option §5.2: route lifetime (4), prefix length (1), metric (1), prefix (16).
        ExactLength(Dhcp6Option.RoutePrefix, data, offset, 22);
        var length = data[4];
        if (length > 128)
        {
            throw new ProtocolException(Protocol, offset + 4, $"route prefix length {length} is above 128");
        }
        return new Dhcp6RoutePrefix(BinaryPrimitives.ReadUInt32BigEndian(data), length, data[5], new IPAddress(data.Slice(6, 16)));
    }

    public static Dhcp6Status? FindStatus(ImmutableArray<Dhcp6OptionValue> options)
    {
        foreach (var option in options)
        {
            if (option.Code == Dhcp6Option.StatusCode)
            {
                return Status(option.Data.AsSpan(), 0);
            }
        }
        return null;
    }

    // Faults in an option's size are reported at its option-len field, two bytes before the data.
    private static int LengthField(int dataOffset) => Math.Max(0, dataOffset - 2);

    private static void ExactLength(Dhcp6Option code, ReadOnlySpan<byte> data, int offset, int expected)
    {
        if (data.Length != expected)
        {
            throw new ProtocolException(Protocol, LengthField(offset), $"option {(ushort)code} has length {data.Length}, expected {expected}");
        }
    }

    private static void MinimumLength(Dhcp6Option code, ReadOnlySpan<byte> data, int offset, int minimum)
    {
        if (data.Length < minimum)
        {
            throw new ProtocolException(Protocol, LengthField(offset), $"option {(ushort)code} has length {data.Length}, at least {minimum} needed");
        }
    }
}
