using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Protocols.Dhcp6;

namespace PoapLab.Scenarios.Running;

/// <summary>
/// Which switch of a scenario is behind a client, as the lab knows it: the switch's own
/// loopback address (every datagram and connection of a switch leaves from it), its MAC
/// (DHCPv4 chaddr) and its DUID (DHCPv6 client id, DUID-LL from the MAC).
/// </summary>
internal sealed class LabClients
{
    private readonly ConcurrentDictionary<IPAddress, string> _byAddress = new();
    private readonly ConcurrentDictionary<string, string> _byId = new(StringComparer.OrdinalIgnoreCase);

    public void Add(string name, IPAddress address, PhysicalAddress mac)
    {
        _byAddress[address] = name;
        _byId[Convert.ToHexStringLower(mac.GetAddressBytes())] = name;
        _byId[Dhcp6Duid.FromMac(mac).Hex] = name;
    }

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

/// <summary>
/// Where a server records: each event is attributed to the switch the server answered (its
/// <see cref="Timeline.SwitchField"/> field) and stamped with that switch's clock; an event
/// that concerns no switch (the server starting, a line of its log) gets the scenario's span.
/// </summary>
internal sealed class ServerEventSink(Timeline timeline, LabClients clients) : IEventSink
{
    public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data) =>
        timeline.RecordFor(clients.SwitchOf(data), source, kind, message, data);
}
