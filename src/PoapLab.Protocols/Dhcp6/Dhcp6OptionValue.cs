using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PoapLab.Protocols.Dhcp6;

/// <summary>One DHCPv6 option: its code and its data, exactly as on the wire (RFC 8415 §21.1).</summary>
public sealed record Dhcp6OptionValue(Dhcp6Option Code, ImmutableArray<byte> Data)
{
    /// <summary>Largest option data: option-len is 16 bits (RFC 8415 §21.1).</summary>
    public const int MaxDataLength = ushort.MaxValue;

    /// <summary>Raw bytes.</summary>
    public static Dhcp6OptionValue FromBytes(Dhcp6Option code, ReadOnlySpan<byte> value) => new(code, [.. value]);

    /// <summary>An option without data (Rapid Commit §21.14, Reconfigure Accept §21.20).</summary>
    public static Dhcp6OptionValue Empty(Dhcp6Option code) => new(code, []);

    /// <summary>A UTF-8 string option, e.g. option 59 (RFC 5970 §3.1: a URL, no terminating NUL).</summary>
    public static Dhcp6OptionValue FromString(Dhcp6Option code, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(code, [.. Encoding.UTF8.GetBytes(value)]);
    }

    /// <summary>A list of IPv6 addresses, 16 bytes each (RFC 3646 §3 and alike).</summary>
    public static Dhcp6OptionValue FromAddresses(Dhcp6Option code, IEnumerable<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var builder = ImmutableArray.CreateBuilder<byte>();
        foreach (var address in addresses)
        {
            builder.AddRange(V6Bytes(address, nameof(addresses)));
        }
        return new(code, builder.ToImmutable());
    }

    /// <summary>A 16-bit unsigned value (Elapsed Time §21.9).</summary>
    public static Dhcp6OptionValue FromUInt16(Dhcp6Option code, ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return new(code, [.. bytes]);
    }

    /// <summary>A 32-bit unsigned value (Information Refresh Time §21.23).</summary>
    public static Dhcp6OptionValue FromUInt32(Dhcp6Option code, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new(code, [.. bytes]);
    }

    /// <summary>Client or Server Identifier (§21.2, §21.3).</summary>
    public static Dhcp6OptionValue FromDuid(Dhcp6Option code, Dhcp6Duid duid)
    {
        ArgumentNullException.ThrowIfNull(duid);
        return new(code, duid.Bytes);
    }

    /// <summary>Option Request (§21.7): the codes the client wants.</summary>
    public static Dhcp6OptionValue OptionRequest(IEnumerable<Dhcp6Option> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var list = codes.ToList();
        var bytes = new byte[list.Count * 2];
        for (var i = 0; i < list.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * 2), (ushort)list[i]);
        }
        return new(Dhcp6Option.OptionRequest, [.. bytes]);
    }

    /// <summary>Status Code (§21.13).</summary>
    public static Dhcp6OptionValue Status(Dhcp6StatusCode code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = Encoding.UTF8.GetBytes(message);
        var bytes = new byte[2 + text.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)code);
        text.CopyTo(bytes, 2);
        return new(Dhcp6Option.StatusCode, [.. bytes]);
    }

    /// <summary>IA_NA (§21.4) with its encapsulated options.</summary>
    public static Dhcp6OptionValue IaNa(uint iaid, uint t1, uint t2, params IEnumerable<Dhcp6OptionValue> options) =>
        Ia(Dhcp6Option.IaNa, iaid, t1, t2, options);

    /// <summary>IA_NA (§21.4), IA_TA (§21.5, T1/T2 not written) or IA_PD (§21.21).</summary>
    public static Dhcp6OptionValue Ia(Dhcp6Option kind, uint iaid, uint t1, uint t2, IEnumerable<Dhcp6OptionValue> options)
    {
        if (kind is not (Dhcp6Option.IaNa or Dhcp6Option.IaTa or Dhcp6Option.IaPd))
        {
            throw new ArgumentException($"{kind} is not an IA option", nameof(kind));
        }
        var head = new byte[kind == Dhcp6Option.IaTa ? 4 : 12];
        BinaryPrimitives.WriteUInt32BigEndian(head, iaid);
        if (kind != Dhcp6Option.IaTa)
        {
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(4), t1);
            BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(8), t2);
        }
        return new(kind, Concat(head, options));
    }

    /// <summary>IA Address (§21.6) with its encapsulated options (e.g. a status code).</summary>
    public static Dhcp6OptionValue IaAddress(IPAddress address, uint preferredLifetime, uint validLifetime, params IEnumerable<Dhcp6OptionValue> options)
    {
        var head = new byte[24];
        V6Bytes(address, nameof(address)).CopyTo(head, 0);
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(16), preferredLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(20), validLifetime);
        return new(Dhcp6Option.IaAddress, Concat(head, options));
    }

    /// <summary>IA Prefix (§21.22).</summary>
    public static Dhcp6OptionValue IaPrefix(IPAddress prefix, byte prefixLength, uint preferredLifetime, uint validLifetime, params IEnumerable<Dhcp6OptionValue> options)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, (byte)128);
        var head = new byte[25];
        BinaryPrimitives.WriteUInt32BigEndian(head, preferredLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(4), validLifetime);
        head[8] = prefixLength;
        V6Bytes(prefix, nameof(prefix)).CopyTo(head, 9);
        return new(Dhcp6Option.IaPrefix, Concat(head, options));
    }

    /// <summary>Domain names in RFC 1035 §3.1 form without compression (RFC 8415 §10), e.g. option 24.</summary>
    public static Dhcp6OptionValue DomainNames(Dhcp6Option code, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var builder = ImmutableArray.CreateBuilder<byte>();
        foreach (var name in names)
        {
            ArgumentNullException.ThrowIfNull(name);
            var start = builder.Count;
            foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
            {
                var bytes = Encoding.ASCII.GetBytes(label);
                if (bytes.Length > 63)
                {
                    throw new ArgumentException($"label '{label}' is longer than 63 bytes", nameof(names));
                }
                builder.Add((byte)bytes.Length);
                builder.AddRange(bytes);
            }
            builder.Add(0);
            if (builder.Count - start > 255)
            {
                throw new ArgumentException($"'{name}' is longer than 255 bytes", nameof(names));
            }
        }
        return new(code, builder.ToImmutable());
    }

    /// <summary>Relay Message (§21.10) holding a whole message.</summary>
    public static Dhcp6OptionValue RelayMessage(Dhcp6Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new(Dhcp6Option.RelayMessage, [.. message.Encode()]);
    }

    /// <summary>Vendor-specific Information (§21.17).</summary>
    public static Dhcp6OptionValue VendorOptions(uint enterpriseNumber, IEnumerable<Dhcp6VendorSubOption> subOptions)
    {
        ArgumentNullException.ThrowIfNull(subOptions);
        var builder = ImmutableArray.CreateBuilder<byte>();
        var head = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(head, enterpriseNumber);
        builder.AddRange(head);
        foreach (var sub in subOptions)
        {
            if (sub.Data.Length > MaxDataLength)
            {
                throw new ArgumentException($"vendor sub-option {sub.Code} is longer than 65535 bytes", nameof(subOptions));
            }
            var tl = new byte[4];
            BinaryPrimitives.WriteUInt16BigEndian(tl, sub.Code);
            BinaryPrimitives.WriteUInt16BigEndian(tl.AsSpan(2), (ushort)sub.Data.Length);
            builder.AddRange(tl);
            builder.AddRange(sub.Data);
        }
        return new(Dhcp6Option.VendorOpts, builder.ToImmutable());
    }

    /// <summary>A list of length-prefixed opaque items: User Class (§21.15), Boot File Parameters (RFC 5970 §3.2).</summary>
    public static Dhcp6OptionValue OpaqueList(Dhcp6Option code, IEnumerable<ImmutableArray<byte>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var builder = ImmutableArray.CreateBuilder<byte>();
        foreach (var item in items)
        {
            var length = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(length, checked((ushort)item.Length));
            builder.AddRange(length);
            builder.AddRange(item);
        }
        return new(code, builder.ToImmutable());
    }

    /// <summary>Cisco POAP next hop (option 242): one IPv6 address.</summary>
    public static Dhcp6OptionValue NextHop(IPAddress address) => new(Dhcp6Option.NextHop, [.. V6Bytes(address, nameof(address))]);

    /// <summary>Cisco POAP route prefix (option 243) in the OPTION_RTPREFIX layout.</summary>
    public static Dhcp6OptionValue RoutePrefix(Dhcp6RoutePrefix route)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(route.PrefixLength, (byte)128, nameof(route));
        var bytes = new byte[22];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, route.Lifetime);
        bytes[4] = route.PrefixLength;
        bytes[5] = route.Metric;
        V6Bytes(route.Prefix, nameof(route)).CopyTo(bytes, 6);
        return new(Dhcp6Option.RoutePrefix, [.. bytes]);
    }

    /// <inheritdoc />
    public bool Equals(Dhcp6OptionValue? other) =>
        other is not null && Code == other.Code && Data.AsSpan().SequenceEqual(other.Data.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Code);
        hash.AddBytes(Data.AsSpan());
        return hash.ToHashCode();
    }

    /// <summary>The value as <c>code=value</c>, using the option's natural form where it has one.</summary>
    public override string ToString() => $"{(ushort)Code}={Dhcp6Format.Value(this)}";

    private static byte[] V6Bytes(IPAddress address, string parameter)
    {
        ArgumentNullException.ThrowIfNull(address, parameter);
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"{address} is not an IPv6 address", parameter);
        }
        return address.GetAddressBytes();
    }

    private static ImmutableArray<byte> Concat(byte[] head, IEnumerable<Dhcp6OptionValue> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = ImmutableArray.CreateBuilder<byte>();
        builder.AddRange(head);
        foreach (var option in options)
        {
            ArgumentNullException.ThrowIfNull(option);
            builder.AddRange(Dhcp6Message.EncodeOption(option));
        }
        return builder.ToImmutable();
    }
}
