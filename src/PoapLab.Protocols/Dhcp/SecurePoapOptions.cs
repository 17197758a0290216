using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PoapLab.Protocols.Dhcp;

/// <summary>Which DHCP carries the Secure POAP sub-options: they differ in the URL's code and NTP.</summary>
public enum SecurePoapFamily
{
    /// <summary>DHCPv4 option 43 (RFC 2132 §8.4): url at code 2, NTP server at code 3.</summary>
    Ipv4,

    /// <summary>DHCPv6 option 17 (RFC 8415 §21.17) for enterprise 9 (Cisco): url at code 3, no NTP.</summary>
    Ipv6,
}

/// <summary>The sub-option codes of Secure POAP (Cisco's ISC dhcpd declaration <c>option space poap</c>).</summary>
public enum SecurePoapCode : byte
{
    /// <summary><c>poap.version</c>, unsigned 8-bit, mandatory.</summary>
    Version = 1,

    /// <summary><c>poap.url</c> (IPv4), text, mandatory: the script's HTTPS URL.</summary>
    Url = 2,

    /// <summary><c>poap.ntp</c> (IPv4 only), an address; on IPv6 code 3 is <c>poap_v6.url</c>.</summary>
    Ntp = 3,

    /// <summary><c>poap.ca_list</c>, text: comma-separated URLs of CA certificate files.</summary>
    CaList = 50,

    /// <summary><c>poap.debug</c>, unsigned 8-bit: 1 logs more.</summary>
    Debug = 51,

    /// <summary><c>poap.flag</c>, unsigned 8-bit: non-zero skips the server certificate check.</summary>
    Flag = 52,
}

/// <summary>
/// The Secure POAP sub-options (NX-OS 10.2(3)F and later; Cisco Nexus 9000 Series NX-OS
/// Fundamentals Configuration Guide, "Secure Download of POAP Script"), immutable. Each
/// sub-option is a one-byte code, a <b>two-byte</b> big-endian length and the value
/// (<c>option space poap length width 2</c>; ISC dhcpd's default code width is 1). On IPv4 the
/// list is the whole of option 43; on IPv6 it follows the enterprise number 9 in option 17
/// (ISC's <c>vsio</c> space: a 4-byte enterprise number and no length of its own).
/// </summary>
public sealed record SecurePoapOptions
{
    /// <summary>The guide's limit for the whole of option 43 or option 17: 512 bytes.</summary>
    public const int MaxLength = 512;

    /// <summary>Cisco's IANA enterprise number, the key of its option 17 data.</summary>
    public const uint CiscoEnterprise = 9;

    private const string Protocol = "Secure POAP";

    /// <summary>Sub-option 1; mandatory for the switch (null: not sent).</summary>
    public byte? Version { get; init; } = 1;

    /// <summary>The script URL (code 2 on IPv4, 3 on IPv6); mandatory for the switch.</summary>
    public string? Url { get; init; }

    /// <summary>Sub-option 3 (IPv4 only): the NTP server.</summary>
    public IPAddress? Ntp { get; init; }

    /// <summary>Sub-option 50 as text: URLs of CA certificate files, separated by commas.</summary>
    public string? CaList { get; init; }

    /// <summary>Sub-option 51.</summary>
    public byte? Debug { get; init; }

    /// <summary>Sub-option 52: non-zero skips the server certificate check.</summary>
    public byte? Flag { get; init; }

    /// <summary>Codes the decoder met and does not know, in order (their values are skipped).</summary>
    public ImmutableArray<byte> UnknownCodes { get; init; } = [];

    /// <summary>The CA list's URLs, trimmed, empty entries dropped.</summary>
    public IReadOnlyList<string> CaUrls =>
        CaList is null ? [] : CaList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Sub-option 52 asks the switch not to verify the server's certificate.</summary>
    public bool SkipCertificateCheck => Flag is > 0;

    /// <summary>Why the switch cannot use these options (a mandatory sub-option is missing), or null.</summary>
    public string? Missing => Version is null ? "sub-option 1 (version) is missing"
        : string.IsNullOrEmpty(Url) ? "the url sub-option is missing"
        : null;

    /// <summary>The sub-options in wire form: the value of option 43 (IPv4), or what follows the enterprise number in option 17 (IPv6).</summary>
    /// <exception cref="ArgumentException">A value does not fit (NTP on IPv6, a non-IPv4 NTP address, non-ASCII text, a total above <see cref="MaxLength"/>).</exception>
    public byte[] Encode(SecurePoapFamily family)
    {
        var buffer = new List<byte>(64);
        if (Version is { } version)
        {
            Add(buffer, (byte)SecurePoapCode.Version, [version]);
        }
        if (Url is { } url)
        {
            Add(buffer, UrlCode(family), Ascii(url, "url"));
        }
        if (Ntp is { } ntp)
        {
            if (family == SecurePoapFamily.Ipv6)
            {
                throw new ArgumentException("the NTP sub-option exists only in option 43 (IPv4)", nameof(family));
            }
            if (ntp.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"the NTP server {ntp} is not an IPv4 address", nameof(family));
            }
            Add(buffer, (byte)SecurePoapCode.Ntp, ntp.GetAddressBytes());
        }
        if (CaList is { } caList)
        {
            Add(buffer, (byte)SecurePoapCode.CaList, Ascii(caList, "ca_list"));
        }
        if (Debug is { } debug)
        {
            Add(buffer, (byte)SecurePoapCode.Debug, [debug]);
        }
        if (Flag is { } flag)
        {
            Add(buffer, (byte)SecurePoapCode.Flag, [flag]);
        }
        var bytes = family == SecurePoapFamily.Ipv6 ? [0, 0, 0, 0, .. buffer] : buffer.ToArray();
        if (family == SecurePoapFamily.Ipv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, CiscoEnterprise);
        }
        if (bytes.Length > MaxLength)
        {
            throw new ArgumentException($"the Secure POAP options take {bytes.Length} bytes; the limit is {MaxLength}", nameof(family));
        }
        return bytes;
    }

    /// <summary>Option 43 for a DHCPv4 reply.</summary>
    public DhcpOptionValue ToOption43() => DhcpOptionValue.FromBytes(DhcpOption.VendorSpecific, Encode(SecurePoapFamily.Ipv4));

    /// <summary>
    /// Decodes option 43 (IPv4) or option 17's data (IPv6, enterprise number first). Each
    /// two-byte length is checked against what is left, so a broken one is refused where it
    /// stands; nothing is allocated beyond the input's size.
    /// </summary>
    /// <exception cref="ProtocolException">The bytes are not Secure POAP sub-options.</exception>
    public static SecurePoapOptions Decode(ReadOnlySpan<byte> data, SecurePoapFamily family)
    {
        if (data.Length > MaxLength)
        {
            throw new ProtocolException(Protocol, MaxLength, $"{data.Length} bytes is above the limit of {MaxLength}");
        }
        var position = 0;
        if (family == SecurePoapFamily.Ipv6)
        {
            // RFC 8415 §21.17: enterprise-number (4 bytes), then the vendor's options.
            if (data.Length < 4)
            {
                throw new ProtocolException(Protocol, 0, $"option 17 needs a 4-byte enterprise number, has {data.Length} bytes");
            }
            var enterprise = BinaryPrimitives.ReadUInt32BigEndian(data);
            if (enterprise != CiscoEnterprise)
            {
                throw new ProtocolException(Protocol, 0, $"option 17 is for enterprise {enterprise}, not Cisco's ({CiscoEnterprise})");
            }
            position = 4;
        }
        var result = new SecurePoapOptions { Version = null };
        var unknown = ImmutableArray.CreateBuilder<byte>();
        var seen = new HashSet<byte>();
        while (position < data.Length)
        {
            var code = data[position];
            if (data.Length - position < 3)
            {
                throw new ProtocolException(Protocol, position, $"sub-option {code} has no two-byte length ({data.Length - position - 1} byte(s) left)");
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 1)..]);
            if (length > data.Length - position - 3)
            {
                throw new ProtocolException(Protocol, position + 1, $"sub-option {code} length {length} runs past the end ({data.Length - position - 3} bytes left)");
            }
            var value = data.Slice(position + 3, length);
            if (!seen.Add(code))
            {
                throw new ProtocolException(Protocol, position, $"sub-option {code} appears twice");
            }
            result = Apply(result, code, value, family, position, unknown);
            position += 3 + length;
        }
        return result with { UnknownCodes = unknown.ToImmutable() };
    }

    /// <summary>As <see cref="Decode"/>, without throwing: the options, or the decoder's message.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, SecurePoapFamily family, out SecurePoapOptions? options, out string? error)
    {
        try
        {
            options = Decode(data, family);
            error = null;
            return true;
        }
        catch (ProtocolException e)
        {
            options = null;
            error = e.Message;
            return false;
        }
    }

    private static SecurePoapOptions Apply(SecurePoapOptions o, byte code, ReadOnlySpan<byte> value, SecurePoapFamily family, int offset, ImmutableArray<byte>.Builder unknown)
    {
        if (code == UrlCode(family))
        {
            return o with { Url = Text(value, "url", offset) };
        }
        switch ((SecurePoapCode)code)
        {
            case SecurePoapCode.Version:
                return o with { Version = Byte(value, "version", offset) };
            case SecurePoapCode.Ntp when family == SecurePoapFamily.Ipv4:
                if (value.Length != 4)
                {
                    throw new ProtocolException(Protocol, offset, $"sub-option 3 (ntp) must be 4 bytes, not {value.Length}");
                }
                return o with { Ntp = new IPAddress(value) };
            case SecurePoapCode.CaList:
                return o with { CaList = Text(value, "ca_list", offset) };
            case SecurePoapCode.Debug:
                return o with { Debug = Byte(value, "debug", offset) };
            case SecurePoapCode.Flag:
                return o with { Flag = Byte(value, "flag", offset) };
            default:
                unknown.Add(code);
                return o;
        }
    }

    private static byte UrlCode(SecurePoapFamily family) => family == SecurePoapFamily.Ipv4 ? (byte)SecurePoapCode.Url : (byte)3;

    private static byte Byte(ReadOnlySpan<byte> value, string name, int offset) =>
        value.Length == 1 ? value[0] : throw new ProtocolException(Protocol, offset, $"sub-option {name} must be 1 byte, not {value.Length}");

    private static string Text(ReadOnlySpan<byte> value, string name, int offset)
    {
        // ISC sends text without a NUL; a trailing one (some servers add it) is dropped.
        while (!value.IsEmpty && value[^1] == 0)
        {
            value = value[..^1];
        }
        foreach (var b in value)
        {
            if (b is < 0x20 or > 0x7E)
            {
                throw new ProtocolException(Protocol, offset, $"sub-option {name} holds a byte 0x{b:x2} that is not printable ASCII");
            }
        }
        return Encoding.ASCII.GetString(value);
    }

    private static byte[] Ascii(string text, string name)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException($"the {name} sub-option must be printable ASCII", nameof(text));
            }
        }
        return Encoding.ASCII.GetBytes(text);
    }

    private static void Add(List<byte> buffer, byte code, byte[] value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"sub-option {code} is longer than 65535 bytes", nameof(value));
        }
        buffer.Add(code);
        buffer.Add((byte)(value.Length >> 8));
        buffer.Add((byte)value.Length);
        buffer.AddRange(value);
    }
}
