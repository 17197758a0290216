using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;

namespace PoapLab.Protocols.Dhcp;

/// <summary>Text forms of DHCP values for events and reports.</summary>
public static class DhcpFormat
{
    /// <summary>Lower-case hex without separators, e.g. <c>00464f44</c>.</summary>
    public static string Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(data);

    /// <summary>A MAC address as <c>00:0c:29:1f:74:06</c>.</summary>
    public static string Mac(PhysicalAddress? mac) =>
        mac is null ? "" : string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>An option value in its natural form: addresses, numbers, printable strings, else hex.</summary>
    public static string Value(DhcpOption code, ReadOnlySpan<byte> data)
    {
        switch (code)
        {
            case DhcpOption.SubnetMask or DhcpOption.Router or DhcpOption.DomainNameServer or DhcpOption.RequestedIpAddress
                or DhcpOption.ServerIdentifier or DhcpOption.TftpServerAddress when data.Length > 0 && data.Length % 4 == 0:
                var parts = new List<string>();
                for (var i = 0; i < data.Length; i += 4)
                {
                    parts.Add(new IPAddress(data.Slice(i, 4)).ToString());
                }
                return string.Join(',', parts);
            case DhcpOption.LeaseTime or DhcpOption.RenewalTime or DhcpOption.RebindingTime when data.Length == 4:
                return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data).ToString(CultureInfo.InvariantCulture);
            case DhcpOption.MessageType when data.Length == 1:
                return ((DhcpMessageType)data[0]).ToString();
            case DhcpOption.ParameterRequestList:
                return string.Join(',', data.ToArray().Select(b => b.ToString(CultureInfo.InvariantCulture)));
            default:
                return IsPrintable(data) ? Encoding.ASCII.GetString(data) : "0x" + Hex(data);
        }
    }

    private static bool IsPrintable(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return true;
        }
        foreach (var b in data)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }
        return true;
    }
}
