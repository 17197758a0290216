using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Capture;

/// <summary>
/// <see cref="ICaptureAddressBook"/> over a <see cref="LabAddressMap"/>: servers are the
/// loopback addresses the map knows; switches are the other addresses of the lab's own
/// hosts (<paramref name="isLabHost"/>: in the virtual transport, the lab's loopback block). A
/// switch address counts only in a frame whose other end is a server of this map, so a capture
/// never takes in another lab's exchanges even when its filter lets them through.
/// </summary>
public sealed class LabAddressMapBook(LabAddressMap map, Func<IPAddress, bool> isLabHost) : ICaptureAddressBook
{
    /// <inheritdoc />
    public IPEndPoint? ServerToLab(IPEndPoint real)
    {
        ArgumentNullException.ThrowIfNull(real);
        var lab = map.ToLab(real);
        // The map gives back an address it does not know unchanged.
        return lab.Address.Equals(real.Address) ? null : lab;
    }

    /// <inheritdoc />
    public bool IsSwitch(IPAddress real)
    {
        ArgumentNullException.ThrowIfNull(real);
        return real.AddressFamily == AddressFamily.InterNetwork && isLabHost(real) && ServerToLab(new IPEndPoint(real, 0)) is null;
    }

    /// <inheritdoc />
    public PhysicalAddress MacOf(IPAddress lab) => CaptureMacs.ForHost(lab);
}

/// <summary>Stable, locally administered MACs (IEEE 802 U/L bit set) for lab hosts.</summary>
public static class CaptureMacs
{
    /// <summary>02:00 followed by the IPv4 address, or by a hash of an IPv6 address.</summary>
    public static PhysicalAddress ForHost(IPAddress lab)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var mac = new byte[6];
        mac[0] = 0x02;
        var bytes = lab.GetAddressBytes();
        if (bytes.Length == 4)
        {
            bytes.CopyTo(mac, 2);
        }
        else
        {
            // FNV-1a over the 16 bytes: stable across runs and processes.
            var hash = 2166136261u;
            foreach (var b in bytes)
            {
                hash = (hash ^ b) * 16777619u;
            }
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(mac.AsSpan(2), hash);
        }
        return new PhysicalAddress(mac);
    }
}
