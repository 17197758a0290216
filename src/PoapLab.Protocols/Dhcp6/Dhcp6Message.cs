using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text;

namespace PoapLab.Protocols.Dhcp6;

/// <summary>
/// A DHCPv6 message, immutable: either a client/server message (RFC 8415 §8: type,
/// 24-bit transaction id, options) or a relay agent/server message (§9: type, hop count,
/// link address, peer address, options). Options keep their wire order and bytes; the
/// typed accessors read them on demand.
/// </summary>
public sealed partial record Dhcp6Message
{
    /// <summary>Largest transaction id: the field has 24 bits (RFC 8415 §8).</summary>
    public const uint MaxTransactionId = 0xFFFFFF;

    /// <summary>The msg-type byte.</summary>
    public Dhcp6MessageType MessageType { get; init; } = Dhcp6MessageType.Solicit;

    /// <summary>transaction-id (client/server messages only; 0 for relay messages).</summary>
    public uint TransactionId { get; init; }

    /// <summary>hop-count (relay messages only, RFC 8415 §9).</summary>
    public byte HopCount { get; init; }

    /// <summary>link-address (relay messages only): the link the client is on.</summary>
    public IPAddress LinkAddress { get; init; } = IPAddress.IPv6Any;

    /// <summary>peer-address (relay messages only): where the relayed message came from.</summary>
    public IPAddress PeerAddress { get; init; } = IPAddress.IPv6Any;

    /// <summary>The options in wire order.</summary>
    public ImmutableArray<Dhcp6OptionValue> Options { get; init; } = [];

    /// <summary>True for Relay-forward and Relay-reply, which use the §9 layout.</summary>
    public bool IsRelay => IsRelayType(MessageType);

    /// <summary>The client's DUID (option 1), or null.</summary>
    public Dhcp6Duid? ClientId => GetRaw(Dhcp6Option.ClientId) is { } d ? Dhcp6Duid.Decode(d.AsSpan()) : null;

    /// <summary>The server's DUID (option 2), or null.</summary>
    public Dhcp6Duid? ServerId => GetRaw(Dhcp6Option.ServerId) is { } d ? Dhcp6Duid.Decode(d.AsSpan()) : null;

    /// <summary>Every IA_NA, in order (a client may send several, RFC 8415 §6.6).</summary>
    public IReadOnlyList<Dhcp6IdentityAssociation> IaNa => IdentityAssociations(Dhcp6Option.IaNa);

    /// <summary>The top-level Status Code (RFC 8415 §21.13), or null.</summary>
    public Dhcp6Status? Status => GetRaw(Dhcp6Option.StatusCode) is { } d ? Dhcp6Wire.Status(d.AsSpan(), 0) : null;

    /// <summary>Option 59, the boot file URL (RFC 5970 §3.1), or null.</summary>
    public string? BootfileUrl => GetRaw(Dhcp6Option.BootfileUrl) is { } d ? Encoding.UTF8.GetString(d.AsSpan()) : null;

    /// <summary>Option 23, DNS recursive name servers (RFC 3646 §3), or null.</summary>
    public IReadOnlyList<IPAddress>? DnsServers => GetRaw(Dhcp6Option.DnsServers) is { } d ? Dhcp6Wire.Addresses(d.AsSpan(), 0) : null;

    /// <summary>Option 24, the domain search list (RFC 3646 §4) without trailing dots, or null.</summary>
    public IReadOnlyList<string>? DomainList => GetRaw(Dhcp6Option.DomainList) is { } d ? Dhcp6Wire.DomainNames(d.AsSpan(), 0) : null;

    /// <summary>Option 56, NTP servers (RFC 5908 §4), or null.</summary>
    public IReadOnlyList<Dhcp6NtpServer>? NtpServers => GetRaw(Dhcp6Option.NtpServer) is { } d ? Dhcp6Wire.NtpServers(d.AsSpan(), 0) : null;

    /// <summary>Option 6, the codes the client asks for (RFC 8415 §21.7), or null.</summary>
    public IReadOnlyList<Dhcp6Option>? OptionRequest => GetRaw(Dhcp6Option.OptionRequest) is { } d ? Dhcp6Wire.OptionRequest(d.AsSpan(), 0) : null;

    /// <summary>Option 8 in hundredths of a second (RFC 8415 §21.9), or null.</summary>
    public ushort? ElapsedTime => GetRaw(Dhcp6Option.ElapsedTime) is { Length: 2 } d ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan()) : null;

    /// <summary>Option 7, the server preference (RFC 8415 §21.8), or null.</summary>
    public byte? Preference => GetRaw(Dhcp6Option.Preference) is { Length: 1 } d ? d[0] : null;

    /// <summary>True when option 14 is present (RFC 8415 §21.14).</summary>
    public bool RapidCommit => Has(Dhcp6Option.RapidCommit);

    /// <summary>Option 15 instances (RFC 8415 §21.15), or null.</summary>
    public IReadOnlyList<ImmutableArray<byte>>? UserClasses => GetRaw(Dhcp6Option.UserClass) is { } d ? Dhcp6Wire.OpaqueList(d.AsSpan(), 0, "user class") : null;

    /// <summary>Every option 16 (RFC 8415 §21.16), in order.</summary>
    public IReadOnlyList<Dhcp6VendorClass> VendorClasses => [.. GetAll(Dhcp6Option.VendorClass).Select(o => Dhcp6Wire.VendorClass(o.Data.AsSpan(), 0))];

    /// <summary>Every option 17 (RFC 8415 §21.17), in order; there may be one per enterprise.</summary>
    public IReadOnlyList<Dhcp6VendorOptions> VendorOptions => [.. GetAll(Dhcp6Option.VendorOpts).Select(o => Dhcp6Wire.VendorOptions(o.Data.AsSpan(), 0))];

    /// <summary>Option 242, the Cisco POAP next hop, or null.</summary>
    public IPAddress? NextHop => GetRaw(Dhcp6Option.NextHop) is { } d ? Dhcp6Wire.NextHop(d.AsSpan(), 0, 0) : null;

    /// <summary>Option 243, the Cisco POAP route prefix, or null.</summary>
    public Dhcp6RoutePrefix? RoutePrefix => GetRaw(Dhcp6Option.RoutePrefix) is { } d ? Dhcp6Wire.RoutePrefix(d.AsSpan(), 0) : null;

    /// <summary>The message inside option 9 of a relay message (RFC 8415 §21.10), or null.</summary>
    public Dhcp6Message? RelayedMessage => GetRaw(Dhcp6Option.RelayMessage) is { } d ? Decode(d.AsSpan()) : null;

    /// <summary>IA_NA, IA_TA or IA_PD options of the given kind, in order.</summary>
    public IReadOnlyList<Dhcp6IdentityAssociation> IdentityAssociations(Dhcp6Option kind)
    {
        if (kind is not (Dhcp6Option.IaNa or Dhcp6Option.IaTa or Dhcp6Option.IaPd))
        {
            throw new ArgumentException($"{kind} is not an IA option", nameof(kind));
        }
        return [.. GetAll(kind).Select(o => Dhcp6Wire.IdentityAssociation(kind, o.Data.AsSpan(), 0, 0))];
    }

    /// <summary>True when the option is present at the top level.</summary>
    public bool Has(Dhcp6Option code) => Find(code) is not null;

    /// <summary>The first top-level option of that code, or null.</summary>
    public Dhcp6OptionValue? Find(Dhcp6Option code)
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

    /// <summary>The first top-level option's bytes, or null when absent.</summary>
    public ImmutableArray<byte>? GetRaw(Dhcp6Option code) => Find(code)?.Data;

    /// <summary>Every top-level option of that code, in order.</summary>
    public IEnumerable<Dhcp6OptionValue> GetAll(Dhcp6Option code) => Options.Where(o => o.Code == code);

    /// <summary>A one-line summary for events and logs.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(Enum.IsDefined(MessageType) ? MessageType.ToString() : "type" + ((byte)MessageType).ToString(CultureInfo.InvariantCulture));
        if (IsRelay)
        {
            sb.Append(CultureInfo.InvariantCulture, $" hops={HopCount} link={LinkAddress} peer={PeerAddress}");
        }
        else
        {
            sb.Append(" xid=").Append(Dhcp6Format.Xid(TransactionId));
        }
        foreach (var option in Options)
        {
            sb.Append(' ').Append(option);
        }
        return sb.ToString();
    }

    /// <inheritdoc />
    public bool Equals(Dhcp6Message? other) =>
        other is not null
        && MessageType == other.MessageType
        && TransactionId == other.TransactionId
        && HopCount == other.HopCount
        && LinkAddress.Equals(other.LinkAddress)
        && PeerAddress.Equals(other.PeerAddress)
        && Options.AsSpan().SequenceEqual(other.Options.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(MessageType);
        hash.Add(TransactionId);
        hash.Add(HopCount);
        foreach (var option in Options)
        {
            hash.Add(option);
        }
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => Describe();

    private static bool IsRelayType(Dhcp6MessageType type) => type is Dhcp6MessageType.RelayForward or Dhcp6MessageType.RelayReply;
}
