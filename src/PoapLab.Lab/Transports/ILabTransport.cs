using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Time;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Capture;
using PoapLab.Servers.Hosting;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Transports;

/// <summary>
/// How a lab's hosts and switches meet: where a lab service's socket is bound (a loopback
/// address of the lab's block, or the lab address itself inside the lab's network namespace),
/// how the switches find what was bound, and the <see cref="ISwitchNetwork"/> each switch
/// speaks. One transport per lab, made by an <see cref="ILabTransportFactory"/> when the lab is
/// made and disposed with it (after its services and switches).
/// </summary>
public interface ILabTransport : IAsyncDisposable
{
    /// <summary>Its name, as <c>--network</c> says it: <c>virtual</c>, <c>namespace</c>.</summary>
    string Name { get; }

    /// <summary>
    /// A pcap-filter(7) expression that selects the lab's traffic where it is captured
    /// (in the virtual transport <c>net 127.B.0.0/16</c> on <c>lo</c>).
    /// </summary>
    string CaptureFilter { get; }

    /// <summary>
    /// Starts recording the lab's traffic into <see cref="LabCaptureOptions.Path"/> (its filter
    /// is the transport's): the virtual transport captures <c>lo</c> and rewrites each frame into
    /// the frame the lab would have carried. Never throws for a capture that cannot be made
    /// (see <see cref="LabCapture.Unavailable"/>).
    /// </summary>
    LabCapture StartCapture(LabCaptureOptions options);

    /// <summary>
    /// Where a lab service at <paramref name="labHost"/> (e.g. 10.0.0.1, on a subnet of
    /// <paramref name="prefixLength"/> bits) on <paramref name="protocol"/>/<paramref name="labPort"/>
    /// binds its socket. The service makes its sockets with <see cref="LabServicePlace.Sockets"/>,
    /// binds at <see cref="LabServicePlace.Bind"/> and then reports what it got with <see cref="ServiceBound"/>.
    /// </summary>
    ValueTask<LabServicePlace> PlaceServiceAsync(IPAddress labHost, LabProtocol protocol, int labPort, int prefixLength, CancellationToken cancellationToken);

    /// <summary>
    /// Declares that the service of <paramref name="place"/> listens at <paramref name="bound"/>
    /// (the socket's real local endpoint); switches reach it at its lab address and port from now
    /// on. Also for ports a service opens later (an FTP server's passive data ports).
    /// </summary>
    void ServiceBound(LabServicePlace place, IPEndPoint bound);

    /// <summary>
    /// Declares that logging in as <paramref name="labUser"/> to the service at
    /// <paramref name="labHost"/>:<paramref name="labPort"/> is really done as <paramref name="account"/>
    /// (the embedded sshd knows one lab account).
    /// </summary>
    void AddLogin(IPAddress labHost, int labPort, string labUser, string account);

    /// <summary>
    /// Puts a router on the segment at <paramref name="address"/> (a DHCP lease's gateway, a
    /// DHCPv6 next hop) so that the switch's routes through it lead somewhere, as in the network
    /// the scenario stands for. The virtual transport has no routes and does nothing.
    /// </summary>
    ValueTask AddGatewayAsync(IPAddress address, int prefixLength, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Connects a switch to the lab: its network, and the address servers see it at when known up front.</summary>
    ValueTask<LabSwitchAttachment> AttachSwitchAsync(LabSwitchPlace place, CancellationToken cancellationToken);
}

/// <summary>Makes the transport of one lab.</summary>
public interface ILabTransportFactory
{
    /// <summary>The transport's name (<c>virtual</c>, <c>namespace</c>).</summary>
    string Name { get; }

    /// <summary>Makes the transport of a lab whose loopback block is <paramref name="addresses"/>.</summary>
    ValueTask<ILabTransport> CreateAsync(LoopbackBlock addresses, CancellationToken cancellationToken);
}

/// <summary>
/// Where one lab service binds. Transports that need more (a network namespace to make the
/// socket in) derive from it; a service that only knows this record binds <see cref="Bind"/>.
/// </summary>
/// <param name="LabHost">The lab address switches reach the service at.</param>
/// <param name="Protocol">UDP or TCP.</param>
/// <param name="LabPort">The lab port switches reach it at (67, 69, 80...).</param>
/// <param name="Bind">The local endpoint to bind (port 0: any).</param>
public record LabServicePlace(IPAddress LabHost, LabProtocol Protocol, int LabPort, IPEndPoint Bind)
{
    /// <summary>Makes the service's sockets (inside the lab host's network namespace in the namespace transport).</summary>
    public ISocketFactory Sockets { get; init; } = SystemSocketFactory.Instance;

    /// <summary>The service is on a real segment: a DHCP server routes its replies as RFC 2131 §4.1 says, not back to the sender.</summary>
    public bool OnSegment { get; init; }
}

/// <summary>A switch as its transport needs to know it.</summary>
/// <param name="Name">The switch's name.</param>
/// <param name="Mac">Its system MAC (its interfaces' addresses derive from it).</param>
/// <param name="Clock">Its own clock.</param>
public sealed record LabSwitchPlace(string Name, PhysicalAddress Mac, SimClock Clock)
{
    /// <summary>
    /// Told the address the switch put on its interface once it has a lease, so the lab knows
    /// which switch a server's client address is (a transport whose switches have no address up front calls it).
    /// </summary>
    public Action<IPAddress>? AddressConfigured { get; init; }

    /// <summary>The NX-OS interface the switch runs POAP on: <c>mgmt0</c> (VRF management) or a front-panel port such as <c>Ethernet1/1</c> (VRF default).</summary>
    public string Interface { get; init; } = "mgmt0";
}

/// <summary>A switch connected to the lab.</summary>
/// <param name="Network">What the switch speaks (before link faults, which the lab wraps around it).</param>
/// <param name="ClientAddress">The address servers see the switch's requests come from, when known up front (virtual: its loopback address); null when only its MAC names it until it has a lease.</param>
public sealed record LabSwitchAttachment(ISwitchNetwork Network, IPAddress? ClientAddress)
{
    /// <summary>
    /// What the transport made for this switch alone (a namespace, a veth), disposed by the lab
    /// right after the switch; null when there is nothing (virtual).
    /// </summary>
    public IAsyncDisposable? Owned { get; init; }
}
