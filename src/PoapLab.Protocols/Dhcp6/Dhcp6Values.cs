using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text;

namespace PoapLab.Protocols.Dhcp6;

/// <summary>A Status Code option (RFC 8415 §21.13): a code and a UTF-8 message for people.</summary>
public sealed record Dhcp6Status(Dhcp6StatusCode Code, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message.Length == 0 ? Code.ToString() : $"{Code} \"{Message}\"";
}

/// <summary>An IA Address option (RFC 8415 §21.6): one address of an IA_NA or IA_TA.</summary>
public sealed record Dhcp6IaAddress(IPAddress Address, uint PreferredLifetime, uint ValidLifetime, ImmutableArray<Dhcp6OptionValue> Options)
{
    /// <summary>The Status Code encapsulated in this address, or null.</summary>
    public Dhcp6Status? Status => Dhcp6Wire.FindStatus(Options);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Address} pltime {PreferredLifetime} vltime {ValidLifetime}");
}

/// <summary>An IA Prefix option (RFC 8415 §21.22): one delegated prefix of an IA_PD.</summary>
public sealed record Dhcp6IaPrefix(IPAddress Prefix, byte PrefixLength, uint PreferredLifetime, uint ValidLifetime, ImmutableArray<Dhcp6OptionValue> Options)
{
    /// <summary>The Status Code encapsulated in this prefix, or null.</summary>
    public Dhcp6Status? Status => Dhcp6Wire.FindStatus(Options);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}/{PrefixLength} pltime {PreferredLifetime} vltime {ValidLifetime}");
}

/// <summary>
/// An identity association: IA_NA (RFC 8415 §21.4), IA_TA (§21.5, no T1/T2 on the wire,
/// reported as 0) or IA_PD (§21.21), with its encapsulated options read out.
/// </summary>
public sealed record Dhcp6IdentityAssociation(Dhcp6Option Kind, uint Iaid, uint T1, uint T2, ImmutableArray<Dhcp6OptionValue> Options)
{
    /// <summary>The IA Address options inside (IA_NA, IA_TA).</summary>
    public IReadOnlyList<Dhcp6IaAddress> Addresses =>
        [.. Options.Where(o => o.Code == Dhcp6Option.IaAddress).Select(o => Dhcp6Wire.IaAddress(o.Data.AsSpan(), 0, 0))];

    /// <summary>The IA Prefix options inside (IA_PD).</summary>
    public IReadOnlyList<Dhcp6IaPrefix> Prefixes =>
        [.. Options.Where(o => o.Code == Dhcp6Option.IaPrefix).Select(o => Dhcp6Wire.IaPrefix(o.Data.AsSpan(), 0, 0))];

    /// <summary>The Status Code encapsulated in the IA, or null.</summary>
    public Dhcp6Status? Status => Dhcp6Wire.FindStatus(Options);

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Kind} iaid {Iaid}");
        if (Kind != Dhcp6Option.IaTa)
        {
            sb.Append(CultureInfo.InvariantCulture, $" T1 {T1} T2 {T2}");
        }
        foreach (var a in Addresses)
        {
            sb.Append(" [").Append(a).Append(']');
        }
        foreach (var p in Prefixes)
        {
            sb.Append(" [").Append(p).Append(']');
        }
        if (Status is { } status)
        {
            sb.Append(" status ").Append(status);
        }
        return sb.ToString();
    }
}

/// <summary>One sub-option of a Vendor-specific Information option (RFC 8415 §21.17).</summary>
public sealed record Dhcp6VendorSubOption(ushort Code, ImmutableArray<byte> Data);

/// <summary>A Vendor-specific Information option (RFC 8415 §21.17): enterprise number and sub-options.</summary>
public sealed record Dhcp6VendorOptions(uint EnterpriseNumber, ImmutableArray<Dhcp6VendorSubOption> SubOptions);

/// <summary>A Vendor Class option (RFC 8415 §21.16): enterprise number and opaque class data.</summary>
public sealed record Dhcp6VendorClass(uint EnterpriseNumber, ImmutableArray<ImmutableArray<byte>> Data);

/// <summary>
/// The Cisco POAP route prefix (option 243), laid out as OPTION_RTPREFIX of
/// draft-ietf-mif-dhcpv6-route-option §5.2: route lifetime, prefix length, metric, prefix.
/// </summary>
public sealed record Dhcp6RoutePrefix(uint Lifetime, byte PrefixLength, byte Metric, IPAddress Prefix)
{
    /// <summary>Lifetime value meaning "infinite" (the all-ones convention of RFC 8415 §7.7).</summary>
    public const uint Infinite = uint.MaxValue;

    /// <summary>Parses <c>2001:db8::/64</c>; misuse raises <see cref="ArgumentException"/>.</summary>
    public static Dhcp6RoutePrefix Parse(string cidr, uint lifetime = Infinite, byte metric = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(cidr);
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0
            || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var prefix)
            || prefix.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6
            || !byte.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            || length > 128)
        {
            throw new ArgumentException($"'{cidr}' is not an IPv6 prefix such as 2001:db8::/64", nameof(cidr));
        }
        return new Dhcp6RoutePrefix(lifetime, length, metric, prefix);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}/{PrefixLength} lifetime {Lifetime} metric {Metric}");
}

/// <summary>Kinds of NTP server sub-option (RFC 5908 §4).</summary>
public enum Dhcp6NtpServerKind : ushort
{
    /// <summary>NTP_SUBOPTION_SRV_ADDR (RFC 5908 §4.1).</summary>
    Address = 1,
    /// <summary>NTP_SUBOPTION_MC_ADDR (RFC 5908 §4.2).</summary>
    MulticastAddress = 2,
    /// <summary>NTP_SUBOPTION_SRV_FQDN (RFC 5908 §4.3).</summary>
    Fqdn = 3,
}

/// <summary>One time source of an NTP Server option (RFC 5908 §4): an address or a name.</summary>
public sealed record Dhcp6NtpServer(Dhcp6NtpServerKind Kind, string Value);
