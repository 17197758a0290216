using System.Globalization;
using System.Net;
using System.Text;

namespace PoapLab.Protocols.Dhcp6;

/// <summary>Text forms of DHCPv6 values for events and reports.</summary>
public static class Dhcp6Format
{
    /// <summary>Lower-case hex without separators.</summary>
    public static string Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(data);

    /// <summary>Link-layer bytes as <c>00:2a:10:3b:4c:5d</c>.</summary>
    public static string Mac(ReadOnlySpan<byte> address)
    {
        var sb = new StringBuilder(address.Length * 3);
        foreach (var b in address)
        {
            if (sb.Length > 0)
            {
                sb.Append(':');
            }
            sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>A 24-bit transaction id as <c>0x00abcdef</c>.</summary>
    public static string Xid(uint transactionId) => string.Create(CultureInfo.InvariantCulture, $"0x{transactionId:x6}");

    /// <summary>An option in its natural form where the codec knows one, else hex.</summary>
    public static string Value(Dhcp6OptionValue option)
    {
        ArgumentNullException.ThrowIfNull(option);
        var data = option.Data.AsSpan();
        try
        {
            switch (option.Code)
            {
                case Dhcp6Option.ClientId or Dhcp6Option.ServerId:
                    return Dhcp6Duid.Decode(data).ToString();
                case Dhcp6Option.DnsServers or Dhcp6Option.SipServersAddress or Dhcp6Option.SntpServers or Dhcp6Option.NextHop when data.Length % 16 == 0:
                    return string.Join(',', Dhcp6Wire.Addresses(data, 0));
                case Dhcp6Option.DomainList or Dhcp6Option.SipServersDomain or Dhcp6Option.AftrName:
                    return string.Join(',', Dhcp6Wire.DomainNames(data, 0));
                case Dhcp6Option.BootfileUrl or Dhcp6Option.MudUrl:
                    return Encoding.UTF8.GetString(data);
                case Dhcp6Option.RoutePrefix:
                    return Dhcp6Wire.RoutePrefix(data, 0).ToString();
                case Dhcp6Option.StatusCode:
                    return Dhcp6Wire.Status(data, 0).ToString();
                case Dhcp6Option.IaNa or Dhcp6Option.IaTa or Dhcp6Option.IaPd:
                    return Dhcp6Wire.IdentityAssociation(option.Code, data, 0, 0).ToString();
                case Dhcp6Option.OptionRequest:
                    return string.Join(',', Dhcp6Wire.OptionRequest(data, 0).Select(c => ((ushort)c).ToString(CultureInfo.InvariantCulture)));
                case Dhcp6Option.ElapsedTime when data.Length == 2:
                    return System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(data).ToString(CultureInfo.InvariantCulture);
                case Dhcp6Option.Preference when data.Length == 1:
                    return data[0].ToString(CultureInfo.InvariantCulture);
                case Dhcp6Option.RapidCommit or Dhcp6Option.ReconfigureAccept when data.IsEmpty:
                    return "";
                default:
                    return "0x" + Hex(data);
            }
        }
        catch (ProtocolException)
        {
            return "0x" + Hex(data);
        }
    }

    internal static string Address(IPAddress address) => address.ToString();
}
