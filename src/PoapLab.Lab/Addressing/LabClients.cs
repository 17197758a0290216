using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Protocols.Dhcp6;

namespace PoapLab.Lab.Addressing;

/// <summary>
/// Which switch of a lab is behind a client, as the lab knows it: the address its transport
/// gave it (in the virtual transport every datagram and connection of a switch leaves from
/// its own loopback address), its MAC (DHCPv4 chaddr) and its DUID (DHCPv6 client id,
/// DUID-LL from the MAC).
/// </summary>
public sealed class LabClients
{
    private readonly ConcurrentDictionary<IPAddress, string> _byAddress = new();
    private readonly ConcurrentDictionary<string, string> _byId = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Declares switch <paramref name="name"/>: its address (when the transport knows it up front) and MAC.</summary>
    public void Add(string name, IPAddress? address, PhysicalAddress mac)
    {
        if (address is not null)
        {
            _byAddress[address] = name;
        }
        _byId[Convert.ToHexStringLower(mac.GetAddressBytes())] = name;
        _byId[Dhcp6Duid.FromMac(mac).Hex] = name;
    }

    /// <summary>Declares that switch <paramref name="name"/> now uses <paramref name="address"/> too (e.g. a leased address).</summary>
    public void AddAddress(string name, IPAddress address) => _byAddress[address] = name;

    /// <summary>Forgets switch <paramref name="name"/> (one that never joined the lab): its addresses and ids.</summary>
    public void Remove(string name)
    {
        foreach (var (address, owner) in _byAddress)
        {
            if (owner == name)
            {
                _byAddress.TryRemove(new KeyValuePair<IPAddress, string>(address, owner));
            }
        }
        foreach (var (id, owner) in _byId)
        {
            if (owner == name)
            {
                _byId.TryRemove(new KeyValuePair<string, string>(id, owner));
            }
        }
    }

    /// <summary>The switch with MAC <paramref name="mac"/>, or null.</summary>
    public string? SwitchWithMac(PhysicalAddress mac) => _byId.GetValueOrDefault(Convert.ToHexStringLower(mac.GetAddressBytes()));

    /// <summary>The switch at <paramref name="address"/>, or null.</summary>
    public string? SwitchAt(IPAddress address) => _byAddress.GetValueOrDefault(address);

    /// <summary>
    /// The switch a server's event concerns, from the client it names: its address (<c>client</c>,
    /// <c>from</c>; sshd's log says "ADDRESS port N"), its MAC (<c>mac</c>) or its DHCPv6 DUID (<c>clientDuid</c>); null when it names none of ours.
    /// </summary>
    public string? SwitchOf(IReadOnlyList<(string Key, object? Value)> data)
    {
        foreach (var (key, value) in data)
        {
            var name = key switch
            {
                "client" or "from" => value switch
                {
                    IPEndPoint ep => SwitchAt(ep.Address),
                    IPAddress a => SwitchAt(a),
                    // "127.78.0.5:4000", or sshd's "127.78.0.5 port 4000".
                    string s when IPEndPoint.TryParse(s.Split(' ', 2)[0], out var ep) => SwitchAt(ep.Address),
                    _ => null,
                },
                "mac" when value is string mac => _byId.GetValueOrDefault(mac.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal)),
                "clientDuid" when value is string duid => _byId.GetValueOrDefault(duid),
                _ => null,
            };
            if (name is not null)
            {
                return name;
            }
        }
        return null;
    }
}
