using System.Collections.Concurrent;
using System.Net;
using PoapLab.Core.Events;
using PoapLab.Servers.Faults;
using PoapLab.Switch.Device;
using PoapLab.Switch.Network;

namespace PoapLab.Scenarios.Running;

/// <summary>
/// What the lab knows that a single server does not: which switch is behind a client
/// address, which POAP attempt it is on, and when a server has chosen silence, so that
/// the switch's wait for an answer that will never come costs switch time, not real time.
/// </summary>
internal sealed class LabFaultContext : IFaultContext
{
    private readonly ConcurrentDictionary<IPAddress, (NexusSwitch Switch, VirtualNetwork Network)> _byAddress = new();
    private readonly ConcurrentDictionary<string, VirtualNetwork> _byMac = new(StringComparer.OrdinalIgnoreCase);

    public void Add(NexusSwitch sw, VirtualNetwork network)
    {
        _byAddress[network.SwitchLoopback] = (sw, network);
        _byMac[sw.State.Identity.SystemMac.ToString()] = network;
    }

    public int? AttemptOf(IPEndPoint client) =>
        _byAddress.TryGetValue(client.Address, out var s) ? Math.Max(1, s.Switch.CurrentAttempt) : null;

    /// <summary>Watches the timeline for servers that decided not to answer a switch.</summary>
    /// <param name="soleDhcpServer">Only then is a DHCP server's silence the switch's whole answer.</param>
    public void OnEvent(LabEvent e, bool soleDhcpServer)
    {
        var silent = e.Kind switch
        {
            EventKinds.FaultInjected => e.Get("kind") is "GoneMidTransfer" || (e.Get("kind") == "NoAnswer" && soleDhcpServer),
            EventKinds.DhcpServerIgnored => soleDhcpServer,
            _ => false,
        };
        if (!silent)
        {
            return;
        }
        if (e.Get("client") is { } client && IPEndPoint.TryParse(client, out var endpoint) && _byAddress.TryGetValue(endpoint.Address, out var s))
        {
            s.Network.ExpectSilence();
        }
        else if (e.Get("mac") is { } mac && _byMac.TryGetValue(mac.Replace(":", "", StringComparison.Ordinal), out var network))
        {
            network.ExpectSilence();
        }
    }
}
