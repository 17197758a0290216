using System.Net;
using System.Net.Sockets;

namespace PoapLab.Lab.Transports.Namespace;

/// <summary>
/// A router between two lab segments, as production POAP usually crosses one: a namespace
/// with <c>eth0</c> on the switches' segment and <c>eth1</c> on the servers' segment, IPv4
/// forwarding on. A DHCP relay (isc-dhcp-relay) runs on it (<see cref="Host"/>), listening
/// on eth0 and relaying to the servers through eth1 with giaddr = its eth0 address (RFC 1542 §4).
/// </summary>
public sealed class LabRouter : IAsyncDisposable
{
    /// <summary>The interface on the switches' segment.</summary>
    public const string Downstream = "eth0";

    /// <summary>The interface on the servers' segment.</summary>
    public const string Upstream = "eth1";

    private LabRouter(LabHost host, IPAddress upstreamAddress)
    {
        Host = host;
        UpstreamAddress = upstreamAddress;
    }

    /// <summary>The router as a lab host: its namespace, its downstream (giaddr) address; real servers (the relay) start here.</summary>
    public LabHost Host { get; }

    /// <summary>Its address on the servers' segment (their gateway back to the switches).</summary>
    public IPAddress UpstreamAddress { get; }

    /// <summary>Makes the router; it ends with <paramref name="switches"/> (or when disposed).</summary>
    public static async Task<LabRouter> CreateAsync(LabSegment switches, IPAddress downstreamAddress, int downstreamPrefix,
        LabSegment servers, IPAddress upstreamAddress, int upstreamPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(switches);
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(downstreamAddress);
        ArgumentNullException.ThrowIfNull(upstreamAddress);
        if (downstreamAddress.AddressFamily != AddressFamily.InterNetwork || upstreamAddress.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("a lab router routes IPv4");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(downstreamPrefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(downstreamPrefix, 32);
        ArgumentOutOfRangeException.ThrowIfNegative(upstreamPrefix);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(upstreamPrefix, 32);
        var downPort = switches.NextPort('r');
        var upPort = servers.NextPort('r');
        var ns = await NetworkNamespace.CreateAsync($"router {downstreamAddress}", cancellationToken).ConfigureAwait(false);
        var router = new LabRouter(new LabHost(ns, downstreamAddress, downstreamPrefix, downPort), upstreamAddress);
        try
        {
            await switches.AttachAsync(ns, downPort, Downstream, null, cancellationToken).ConfigureAwait(false);
            await servers.AttachAsync(ns, upPort, Upstream, null, cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["-4", "addr", "add", $"{downstreamAddress}/{downstreamPrefix}", "dev", Downstream], cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["-4", "addr", "add", $"{upstreamAddress}/{upstreamPrefix}", "dev", Upstream], cancellationToken).ConfigureAwait(false);
            // Per namespace (ip-sysctl: ip_forward): the machine's own setting is untouched.
            await ns.RunCheckedAsync("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"], cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await router.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        switches.Own(router);
        return router;
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
