using System.Collections.Concurrent;
using System.Net;
using PoapLab.Lab.Addressing;
using PoapLab.Servers.Faults;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Faults;

/// <summary>
/// What the lab knows that a single server does not, given to every server as its
/// <see cref="IFaultContext"/>: which switch is behind a client and which POAP attempt it is
/// on (for attempt-keyed faults), and where a server's typed "I will not answer"
/// (<see cref="ServerSilence"/>) goes: to that switch's network, so its wait for an answer that
/// will never come costs switch time, not real time. Thread-safe.
/// </summary>
public sealed class LabFaultRouter : IFaultContext
{
    private readonly LabClients _clients;
    private readonly SwitchAttempts _attempts;
    private readonly Func<int> _dhcpServers;
    private readonly ConcurrentDictionary<string, ISwitchNetwork> _networks = new(StringComparer.Ordinal);

    /// <param name="dhcpServers">How many DHCPv4 servers are on the segment now: a broadcast's silence is the whole answer only when there is one.</param>
    public LabFaultRouter(LabClients clients, SwitchAttempts attempts, Func<int> dhcpServers)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(attempts);
        ArgumentNullException.ThrowIfNull(dhcpServers);
        _clients = clients;
        _attempts = attempts;
        _dhcpServers = dhcpServers;
    }

    /// <summary>Declares the network (as the switch holds it, link faults included) a switch's silences go to.</summary>
    public void AddSwitch(string name, ISwitchNetwork network) => _networks[name] = network;

    /// <summary>Forgets the network of switch <paramref name="name"/> (one that never joined the lab).</summary>
    public void RemoveSwitch(string name) => _networks.TryRemove(name, out _);

    /// <inheritdoc />
    public int? AttemptOf(IPEndPoint client) =>
        _clients.SwitchAt(client.Address) is { } name ? _attempts.Of(name) : null;

    /// <inheritdoc />
    public int? AttemptOfMac(System.Net.NetworkInformation.PhysicalAddress mac) =>
        _clients.SwitchWithMac(mac) is { } name ? _attempts.Of(name) : null;

    /// <inheritdoc />
    public void WillNotAnswer(ServerSilence silence)
    {
        ArgumentNullException.ThrowIfNull(silence);
        if (silence.Scope == SilenceScope.Broadcast && _dhcpServers() != 1)
        {
            // Another server on the segment may still answer the broadcast.
            return;
        }
        var name = (silence.Client is { } client ? _clients.SwitchAt(client.Address) : null)
            ?? (silence.ClientMac is { } mac ? _clients.SwitchWithMac(mac) : null);
        if (name is not null && _networks.TryGetValue(name, out var network))
        {
            network.ExpectSilence();
        }
    }
}
