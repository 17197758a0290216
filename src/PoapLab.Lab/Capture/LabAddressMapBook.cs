using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Capture;

/// <summary>
/// <see cref="ICaptureAddressBook"/> over a <see cref="LabAddressMap"/>: servers are the
/// loopback addresses the map knows; switches are the loopback addresses
/// <see cref="LabAddressMap.AllocateLoopback"/> hands to switches (127.78.0.0/16). A switch
/// address counts only in a frame whose other end is a server of this map, so a capture
/// never takes in another lab's exchanges even when its filter lets them through.
/// </summary>
public sealed class LabAddressMapBook(LabAddressMap map) : ICaptureAddressBook
{
    /// <summary>The libpcap filter that lets every lab host of today's loopback plan through (servers 127.77/16, switches 127.78/16).</summary>
    public const string LoopbackFilter = "net 127.77.0.0/16 or net 127.78.0.0/16";

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
        if (real.AddressFamily != AddressFamily.InterNetwork)
        {
            return false;
        }
        Span<byte> b = stackalloc byte[4];
        real.TryWriteBytes(b, out _);
        return b[0] == 127 && b[1] == 78;
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
