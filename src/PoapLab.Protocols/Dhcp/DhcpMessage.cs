using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;

namespace PoapLab.Protocols.Dhcp;

/// <summary>
/// A DHCPv4 / BOOTP message (RFC 2131 §2, figure 1), immutable. Options keep their
/// order of first appearance; repeated options are already concatenated (RFC 3396) and
/// option 52 (overload) is consumed by the codec.
/// </summary>
public sealed partial record DhcpMessage
{
    /// <summary>Length of the fixed BOOTP header, before the magic cookie (RFC 2131 §2).</summary>
    public const int FixedHeaderLength = 236;

    /// <summary>Smallest message the encoder emits (RFC 951 §3: a 64-byte vend field, so 300 bytes).</summary>
    public const int MinimumLength = 300;

    private static readonly ImmutableArray<byte> EmptyHardwareAddress = ImmutableArray.Create(new byte[16]);

    /// <summary><c>op</c>: request from a client, reply from a server.</summary>
    public BootpOperation Operation { get; init; } = BootpOperation.Request;

    /// <summary><c>htype</c>: 1 for Ethernet (RFC 1700 ARP hardware types).</summary>
    public byte HardwareType { get; init; } = 1;

    /// <summary><c>hlen</c>: 6 for Ethernet.</summary>
    public byte HardwareAddressLength { get; init; } = 6;

    /// <summary><c>hops</c>: incremented by relay agents.</summary>
    public byte Hops { get; init; }

    /// <summary><c>xid</c>: chosen by the client, echoed by the server.</summary>
    public uint TransactionId { get; init; }

    /// <summary><c>secs</c>: seconds since the client began acquiring.</summary>
    public ushort Seconds { get; init; }

    /// <summary>The BROADCAST bit of <c>flags</c> (RFC 2131 §2, figure 2).</summary>
    public bool Broadcast { get; init; }

    /// <summary><c>ciaddr</c>.</summary>
    public IPAddress ClientAddress { get; init; } = IPAddress.Any;

    /// <summary><c>yiaddr</c>: the address the server gives.</summary>
    public IPAddress YourAddress { get; init; } = IPAddress.Any;

    /// <summary><c>siaddr</c>: next server in the bootstrap.</summary>
    public IPAddress NextServerAddress { get; init; } = IPAddress.Any;

    /// <summary><c>giaddr</c>: relay agent.</summary>
    public IPAddress RelayAgentAddress { get; init; } = IPAddress.Any;

    /// <summary><c>chaddr</c>, 16 bytes (the first <see cref="HardwareAddressLength"/> are the address).</summary>
    public ImmutableArray<byte> ClientHardwareAddress { get; init; } = EmptyHardwareAddress;

    /// <summary><c>sname</c> up to its first NUL (empty when overloaded with options).</summary>
    public string ServerHostName { get; init; } = "";

    /// <summary><c>file</c> up to its first NUL (empty when overloaded with options).</summary>
    public string BootFileName { get; init; } = "";

    /// <summary>The options in order of first appearance.</summary>
    public ImmutableArray<DhcpOptionValue> Options { get; init; } = [];

    /// <summary>Option 53, when present and one byte long.</summary>
    public DhcpMessageType? MessageType =>
        GetRaw(DhcpOption.MessageType) is { Length: 1 } data ? (DhcpMessageType)data[0] : null;

    /// <summary>The client's hardware address: the first <c>hlen</c> bytes of <c>chaddr</c>.</summary>
    public PhysicalAddress ClientMac =>
        new([.. ClientHardwareAddress.AsSpan()[..Math.Min(HardwareAddressLength, ClientHardwareAddress.Length)]]);

    /// <summary>Sets <c>chaddr</c> from a MAC address and <c>hlen</c> to its length.</summary>
    public DhcpMessage WithClientMac(PhysicalAddress mac)
    {
        ArgumentNullException.ThrowIfNull(mac);
        var bytes = mac.GetAddressBytes();
        if (bytes.Length > 16)
        {
            throw new ArgumentException("a hardware address has at most 16 bytes", nameof(mac));
        }
        var chaddr = new byte[16];
        bytes.CopyTo(chaddr, 0);
        return this with { ClientHardwareAddress = [.. chaddr], HardwareAddressLength = (byte)bytes.Length };
    }

    /// <summary>True when the option is present.</summary>
    public bool Has(DhcpOption code) => Find(code) is not null;

    /// <summary>The option's bytes, or null when absent.</summary>
    public ImmutableArray<byte>? GetRaw(DhcpOption code) => Find(code)?.Data;

    /// <summary>An ASCII option with trailing NULs removed (some clients NUL-terminate), or null.</summary>
    public string? GetString(DhcpOption code)
    {
        if (GetRaw(code) is not { } data)
        {
            return null;
        }
        var span = data.AsSpan();
        while (!span.IsEmpty && span[^1] == 0)
        {
            span = span[..^1];
        }
        return Encoding.ASCII.GetString(span);
    }

    /// <summary>A one-address option, or null when absent.</summary>
    public IPAddress? GetAddress(DhcpOption code)
    {
        if (GetRaw(code) is not { } data)
        {
            return null;
        }
        if (data.Length != 4)
        {
            throw BadLength(code, data.Length, "4");
        }
        return new IPAddress(data.AsSpan());
    }

    /// <summary>An address-list option (e.g. routers, DNS, option 150), or null when absent.</summary>
    public IReadOnlyList<IPAddress>? GetAddresses(DhcpOption code)
    {
        if (GetRaw(code) is not { } data)
        {
            return null;
        }
        if (data.Length == 0 || data.Length % 4 != 0)
        {
            throw BadLength(code, data.Length, "a non-zero multiple of 4");
        }
        var list = new IPAddress[data.Length / 4];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = new IPAddress(data.AsSpan(i * 4, 4));
        }
        return list;
    }

    /// <summary>A 32-bit unsigned option (lease, T1, T2), or null when absent.</summary>
    public uint? GetUInt32(DhcpOption code)
    {
        if (GetRaw(code) is not { } data)
        {
            return null;
        }
        if (data.Length != 4)
        {
            throw BadLength(code, data.Length, "4");
        }
        return BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan());
    }

    /// <summary>A one-byte option, or null when absent.</summary>
    public byte? GetByte(DhcpOption code)
    {
        if (GetRaw(code) is not { } data)
        {
            return null;
        }
        if (data.Length != 1)
        {
            throw BadLength(code, data.Length, "1");
        }
        return data[0];
    }

    /// <summary>A one-line summary for events and logs.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(MessageType is { } type ? "DHCP" + type.ToString().ToUpperInvariant() : "BOOTP" + Operation.ToString().ToUpperInvariant());
        sb.Append(CultureInfo.InvariantCulture, $" xid=0x{TransactionId:x8} chaddr={DhcpFormat.Mac(ClientMac)}");
        AppendAddress(sb, "ciaddr", ClientAddress);
        AppendAddress(sb, "yiaddr", YourAddress);
        AppendAddress(sb, "siaddr", NextServerAddress);
        AppendAddress(sb, "giaddr", RelayAgentAddress);
        if (Broadcast)
        {
            sb.Append(" broadcast");
        }
        if (ServerHostName.Length > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" sname={ServerHostName}");
        }
        if (BootFileName.Length > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" file={BootFileName}");
        }
        foreach (var option in Options)
        {
            if (option.Code != DhcpOption.MessageType)
            {
                sb.Append(' ').Append(option);
            }
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public bool Equals(DhcpMessage? other) =>
        other is not null
        && Operation == other.Operation
        && HardwareType == other.HardwareType
        && HardwareAddressLength == other.HardwareAddressLength
        && Hops == other.Hops
        && TransactionId == other.TransactionId
        && Seconds == other.Seconds
        && Broadcast == other.Broadcast
        && ClientAddress.Equals(other.ClientAddress)
        && YourAddress.Equals(other.YourAddress)
        && NextServerAddress.Equals(other.NextServerAddress)
        && RelayAgentAddress.Equals(other.RelayAgentAddress)
        && ClientHardwareAddress.AsSpan().SequenceEqual(other.ClientHardwareAddress.AsSpan())
        && ServerHostName == other.ServerHostName
        && BootFileName == other.BootFileName
        && Options.AsSpan().SequenceEqual(other.Options.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Operation);
        hash.Add(TransactionId);
        hash.Add(YourAddress);
        hash.AddBytes(ClientHardwareAddress.AsSpan());
        foreach (var option in Options)
        {
            hash.Add(option);
        }
        return hash.ToHashCode();
    }

    private DhcpOptionValue? Find(DhcpOption code)
    {
        foreach (var option in Options)
        {
            if (option.Code == code)
            {
                return option;
            }
        }
        return null;
    }

    // Decoded values have no offset any more; -1 says so.
    private static ProtocolException BadLength(DhcpOption code, int length, string expected) =>
        new("DHCPv4", -1, $"option {(byte)code} has length {length}, expected {expected}");

    private static void AppendAddress(StringBuilder sb, string name, IPAddress address)
    {
        if (!address.Equals(IPAddress.Any))
        {
            sb.Append(' ').Append(name).Append('=').Append(address);
        }
    }
}
