using System.Net;
using System.Numerics;

namespace PoapLab.Protocols.Dhcp;

/// <summary>Subnet masks (DHCP option 1, RFC 2132 §3.3) as the prefix lengths interfaces and routes take.</summary>
public static class SubnetMask
{
    /// <summary>The number of one bits of <paramref name="mask"/> (255.255.255.0 → 24).</summary>
    public static int PrefixLength(IPAddress mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var bits = 0;
        foreach (var b in mask.GetAddressBytes())
        {
            bits += BitOperations.PopCount(b);
        }
        return bits;
    }
}
