using System.Net;
using System.Net.Sockets;

namespace PoapLab.Switch.Network;

/// <summary>A datagram as the switch sees it: from a lab address.</summary>
public readonly record struct LabDatagram(byte[] Payload, IPEndPoint Source);

/// <summary>A UDP socket on the switch's side of the lab network.</summary>
public interface ILabUdpSocket : IAsyncDisposable
{
    /// <summary>The lab port this socket is bound to (68 for the DHCP client, else ephemeral).</summary>
    int LocalPort { get; }

    /// <summary>Sends to a lab address; <see cref="IPAddress.Broadcast"/> reaches every DHCP server on the segment.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken);

    /// <summary>
    /// Waits for the next datagram for at most <paramref name="timeout"/> of switch time;
    /// null when that time passed with nothing. The network decides how much real time
    /// the wait takes (little, when it knows nothing is on its way); the caller accounts
    /// for the switch time it stands for.
    /// </summary>
    ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Nothing more is coming for the last datagram sent (it was lost, or its server chose
    /// silence): the current and later waits, until the next send, end after a short real
    /// grace while still standing for their whole switch time. By default nothing changes.
    /// </summary>
    void ExpectSilence()
    {
    }
}

/// <summary>
/// The switch's view of its network, in lab addresses (e.g. 10.0.0.1). The POAP agent and
/// the transfer clients speak only this; an implementation decides what a lab address
/// is: <c>VirtualNetwork</c> maps each to a loopback endpoint where an embedded
/// or local server listens; the lab's namespace transport gives the switch a network
/// namespace of its own with a veth into the lab's segment. Link faults wrap any of them.
/// </summary>
public interface ISwitchNetwork
{
    /// <summary>Opens a UDP socket; <paramref name="localPort"/> 0 picks an ephemeral port.</summary>
    ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken);

    /// <summary>Opens a TCP connection to a lab host and port.</summary>
    ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken);

    /// <summary>Resolves a host name or address literal from a URL to a lab address; null when unknown.</summary>
    IPAddress? Resolve(string host);

    /// <summary>
    /// The user name a login to a lab service is really made as (a lab's ssh server may
    /// stand for the scenario's user with the lab sshd's account). By default the same name.
    /// </summary>
    string LoginName(IPAddress host, int port, string user) => user;

    /// <summary>
    /// Tells the switch's pending waits that no answer is coming (a lab server chose not to
    /// answer: an injected fault, a client it ignores), so a switch-time timeout costs almost
    /// no real time. The lab calls it through its typed silence channel; by default nothing changes.
    /// </summary>
    void ExpectSilence()
    {
    }

    /// <summary>
    /// Puts a DHCP lease on the switch's interface: the address with its prefix length and
    /// the default gateway, as NX-OS does on mgmt0 once the ACK is accepted.
    /// <see cref="IPAddress.Any"/> takes the address off again (after a release). A network
    /// with no interfaces of its own (the loopback map) does nothing.
    /// </summary>
    ValueTask ConfigureAsync(IPAddress address, int prefixLength, IPAddress? gateway, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// What runs a client program (the OpenSSH scp/sftp) inside the switch's network, e.g.
    /// <c>nsenter --net=... --</c>, put before the program; empty when clients run in
    /// PoapLab's own network.
    /// </summary>
    IReadOnlyList<string> ClientCommandPrefix => [];

    /// <summary>Makes a socket where a client program started with <see cref="ClientCommandPrefix"/> can reach it (a local relay's listener).</summary>
    Socket CreateLocalSocket(AddressFamily family, SocketType type, ProtocolType protocol) => new(family, type, protocol);

    /// <summary>
    /// The network of the VRF <paramref name="vrf"/>, when this network models VRFs as NX-OS
    /// does (each VRF a kernel network namespace of its own: <c>management</c> holds mgmt0,
    /// <c>default</c> the front-panel ports), so the kernel decides whether a copy in that VRF
    /// reaches its server. Null (the default): VRFs are not modelled here, and the switch judges
    /// a copy's VRF by the VRF of its lease instead.
    /// </summary>
    ValueTask<ISwitchNetwork?> ForVrfAsync(string vrf, CancellationToken cancellationToken) => ValueTask.FromResult<ISwitchNetwork?>(null);

    /// <summary>
    /// Whether this network has a route to <paramref name="host"/> (false: a connection would
    /// fail with "Network is unreachable"). A network without routing tables of its own says true.
    /// </summary>
    bool HasRoute(IPAddress host) => true;

    /// <summary>
    /// Sends the switch's link-layer announcements on its POAP interface (a CDP frame, and an
    /// LLDP frame when <see cref="LinkAnnouncement.Lldp"/>), as a Nexus does on mgmt0 once it is
    /// up. A network without a link layer of its own (the loopback map) sends nothing.
    /// </summary>
    ValueTask AnnounceAsync(LinkAnnouncement announcement, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
