using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PoapLab.Protocols.Dhcp;

/// <summary>One DHCPv4 option: its code and its data (after RFC 3396 concatenation).</summary>
public sealed record DhcpOptionValue(DhcpOption Code, ImmutableArray<byte> Data)
{
    /// <summary>An ASCII string option (RFC 2132 §2: NVT ASCII, no terminating NUL).</summary>
    public static DhcpOptionValue FromString(DhcpOption code, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c > 0x7F)
            {
                throw new ArgumentException($"option {(byte)code} value must be ASCII", nameof(value));
            }
        }
        return new(code, [.. Encoding.ASCII.GetBytes(value)]);
    }

    /// <summary>One IPv4 address.</summary>
    public static DhcpOptionValue FromAddress(DhcpOption code, IPAddress address) => FromAddresses(code, [address]);

    /// <summary>A list of IPv4 addresses, 4 bytes each.</summary>
    public static DhcpOptionValue FromAddresses(DhcpOption code, IEnumerable<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var builder = ImmutableArray.CreateBuilder<byte>();
        foreach (var address in addresses)
        {
            ArgumentNullException.ThrowIfNull(address);
            if (address.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"{address} is not an IPv4 address", nameof(addresses));
            }
            builder.AddRange(address.GetAddressBytes());
        }
        return new(code, builder.ToImmutable());
    }

    /// <summary>A 32-bit unsigned integer in network byte order (lease times, RFC 2132 §9.2).</summary>
    public static DhcpOptionValue FromUInt32(DhcpOption code, uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new(code, [.. bytes]);
    }

    /// <summary>A one-byte option (message type, overload).</summary>
    public static DhcpOptionValue FromByte(DhcpOption code, byte value) => new(code, [value]);

    /// <summary>Raw bytes.</summary>
    public static DhcpOptionValue FromBytes(DhcpOption code, ReadOnlySpan<byte> value) => new(code, [.. value]);

    /// <inheritdoc />
    public bool Equals(DhcpOptionValue? other) =>
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
    public override string ToString() => $"{(byte)Code}={DhcpFormat.Value(Code, Data.AsSpan())}";
}
