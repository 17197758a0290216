using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Net.NetworkInformation;

namespace PoapLab.Protocols.Dhcp6;

/// <summary>
/// A DHCP unique identifier (RFC 8415 §11), kept as its exact bytes with the fields of
/// the known types read out. Clients and servers compare DUIDs as opaque bytes (§11),
/// so equality is byte equality.
/// </summary>
public sealed record Dhcp6Duid
{
    /// <summary>Hardware type 1, Ethernet (RFC 826 / IANA ARP hardware types).</summary>
    public const ushort EthernetHardwareType = 1;

    // RFC 8415 §11.1: a DUID is at most 128 octets, not counting the 2-byte type.
    private const int MaxLength = 130;

    // RFC 8415 §11.2: DUID-LLT time counts seconds from midnight (UTC) January 1, 2000, modulo 2^32.
    private static readonly DateTimeOffset DuidEpoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private Dhcp6Duid(ImmutableArray<byte> bytes) => Bytes = bytes;

    /// <summary>The whole DUID as sent in option 1 or 2.</summary>
    public ImmutableArray<byte> Bytes { get; }

    /// <summary>The 2-byte DUID type (may be a value outside <see cref="Dhcp6DuidType"/>).</summary>
    public Dhcp6DuidType Type => (Dhcp6DuidType)BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan());

    /// <summary>Hardware type of DUID-LLT and DUID-LL, else null.</summary>
    public ushort? HardwareType => Type is Dhcp6DuidType.LinkLayerPlusTime or Dhcp6DuidType.LinkLayer
        ? BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan()[2..])
        : null;

    /// <summary>The time field of DUID-LLT (seconds since 2000-01-01 UTC, modulo 2^32), else null.</summary>
    public uint? Time => Type == Dhcp6DuidType.LinkLayerPlusTime ? BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan()[4..]) : null;

    /// <summary>The enterprise number of DUID-EN, else null.</summary>
    public uint? EnterpriseNumber => Type == Dhcp6DuidType.Enterprise ? BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan()[2..]) : null;

    /// <summary>The link-layer address of DUID-LLT and DUID-LL, else null.</summary>
    public PhysicalAddress? LinkLayerAddress => Type switch
    {
        Dhcp6DuidType.LinkLayerPlusTime => new PhysicalAddress([.. Bytes.AsSpan()[8..]]),
        Dhcp6DuidType.LinkLayer => new PhysicalAddress([.. Bytes.AsSpan()[4..]]),
        _ => null,
    };

    /// <summary>
    /// What follows the fixed fields: the link-layer address (LLT, LL), the enterprise's
    /// identifier (EN), the UUID (UUID), or everything after the type for other types.
    /// </summary>
    public ImmutableArray<byte> Identifier => Type switch
    {
        Dhcp6DuidType.LinkLayerPlusTime => [.. Bytes.AsSpan()[8..]],
        Dhcp6DuidType.Enterprise => [.. Bytes.AsSpan()[6..]],
        Dhcp6DuidType.LinkLayer => [.. Bytes.AsSpan()[4..]],
        _ => [.. Bytes.AsSpan()[2..]],
    };

    /// <summary>The UUID of a DUID-UUID (RFC 6355 §4, network byte order as sent), else null.</summary>
    public Guid? Uuid => Type == Dhcp6DuidType.Uuid ? new Guid(Bytes.AsSpan()[2..], bigEndian: true) : null;

    /// <summary>Lower-case hex of all the bytes, e.g. <c>0003000100005e005301</c>.</summary>
    public string Hex => Convert.ToHexStringLower(Bytes.AsSpan());

    /// <summary>
    /// Reads a DUID from option data. <paramref name="baseOffset"/> is where the data sits
    /// in the message, for the exception.
    /// </summary>
    public static Dhcp6Duid Decode(ReadOnlySpan<byte> data, int baseOffset = 0)
    {
        // RFC 8415 §11.1: a 2-byte type, then type-specific content; 128 octets at most.
        if (data.Length < 2)
        {
            throw new ProtocolException("DHCPv6", baseOffset, $"DUID of {data.Length} bytes has no type");
        }
        if (data.Length > MaxLength)
        {
            throw new ProtocolException("DHCPv6", baseOffset, $"DUID of {data.Length} bytes is longer than 130");
        }
        var type = BinaryPrimitives.ReadUInt16BigEndian(data);
        var minimum = (Dhcp6DuidType)type switch
        {
            Dhcp6DuidType.LinkLayerPlusTime => 8, // §11.2: type, hardware type, time.
            Dhcp6DuidType.Enterprise => 6,        // §11.3: type, enterprise number.
            Dhcp6DuidType.LinkLayer => 4,         // §11.4: type, hardware type.
            Dhcp6DuidType.Uuid => 18,             // RFC 6355 §4: type and exactly 16 bytes.
            _ => 2,
        };
        if (data.Length < minimum || (type == (ushort)Dhcp6DuidType.Uuid && data.Length != 18))
        {
            throw new ProtocolException("DHCPv6", baseOffset, $"DUID type {type} of {data.Length} bytes is malformed");
        }
        return new Dhcp6Duid([.. data]);
    }

    /// <summary>DUID-LL (RFC 8415 §11.4) of an Ethernet MAC, the form a switch uses.</summary>
    public static Dhcp6Duid FromMac(PhysicalAddress mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        var address = mac.GetAddressBytes();
        if (address.Length == 0 || address.Length > MaxLength - 4)
        {
            throw new ArgumentException("a MAC address of 1 to 126 bytes is needed", nameof(mac));
        }
        var bytes = new byte[4 + address.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)Dhcp6DuidType.LinkLayer);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), EthernetHardwareType);
        address.CopyTo(bytes, 4);
        return new Dhcp6Duid([.. bytes]);
    }

    /// <summary>DUID-LLT (RFC 8415 §11.2) of an Ethernet MAC and a creation time.</summary>
    public static Dhcp6Duid FromMacAndTime(PhysicalAddress mac, DateTimeOffset created)
    {
        ArgumentNullException.ThrowIfNull(mac);
        var address = mac.GetAddressBytes();
        if (address.Length == 0 || address.Length > MaxLength - 8)
        {
            throw new ArgumentException("a MAC address of 1 to 122 bytes is needed", nameof(mac));
        }
        var bytes = new byte[8 + address.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)Dhcp6DuidType.LinkLayerPlusTime);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), EthernetHardwareType);
        var seconds = (long)Math.Floor((created - DuidEpoch).TotalSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), unchecked((uint)seconds));
        address.CopyTo(bytes, 8);
        return new Dhcp6Duid([.. bytes]);
    }

    /// <summary>DUID-EN (RFC 8415 §11.3).</summary>
    public static Dhcp6Duid FromEnterprise(uint enterpriseNumber, ReadOnlySpan<byte> identifier)
    {
        if (identifier.Length > MaxLength - 6)
        {
            throw new ArgumentException("the identifier is longer than 124 bytes", nameof(identifier));
        }
        var bytes = new byte[6 + identifier.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)Dhcp6DuidType.Enterprise);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), enterpriseNumber);
        identifier.CopyTo(bytes.AsSpan(6));
        return new Dhcp6Duid([.. bytes]);
    }

    /// <summary>Any DUID from its exact bytes; misuse (not a valid DUID) raises <see cref="ArgumentException"/>.</summary>
    public static Dhcp6Duid FromBytes(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Decode(bytes);
        }
        catch (ProtocolException ex)
        {
            throw new ArgumentException(ex.Message, nameof(bytes), ex);
        }
    }

    /// <inheritdoc />
    public bool Equals(Dhcp6Duid? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Bytes.AsSpan());
        return hash.ToHashCode();
    }

    /// <summary>A readable form, e.g. <c>LL hw 1 00:2a:10:3b:4c:5d</c>, <c>EN 9 0a0b</c>.</summary>
    public override string ToString() => Type switch
    {
        Dhcp6DuidType.LinkLayerPlusTime => string.Create(CultureInfo.InvariantCulture, $"LLT hw {HardwareType} time {Time} {Dhcp6Format.Mac(Identifier.AsSpan())}"),
        Dhcp6DuidType.LinkLayer => string.Create(CultureInfo.InvariantCulture, $"LL hw {HardwareType} {Dhcp6Format.Mac(Identifier.AsSpan())}"),
        Dhcp6DuidType.Enterprise => string.Create(CultureInfo.InvariantCulture, $"EN {EnterpriseNumber} {Convert.ToHexStringLower(Identifier.AsSpan())}"),
        Dhcp6DuidType.Uuid => $"UUID {Convert.ToHexStringLower(Identifier.AsSpan())}",
        _ => Hex,
    };
}
