using System.Net;
using System.Net.NetworkInformation;

namespace PoapLab.Servers.Faults;

/// <summary>How far a server's silence reaches.</summary>
public enum SilenceScope
{
    /// <summary>
    /// The client's exchange with this server alone (a TFTP transfer it abandons): nobody
    /// else will answer, so the client's wait is in vain.
    /// </summary>
    Exchange,

    /// <summary>
    /// A request broadcast to every server of its kind on the segment (a DHCPDISCOVER): the
    /// client's wait is in vain only when no other such server is there to answer.
    /// </summary>
    Broadcast,
}

/// <summary>
/// A server's typed notice "I will not answer this client" (see
/// <see cref="IFaultContext.WillNotAnswer"/>). The client is named by the endpoint its request
/// came from and, where the protocol carries one, its hardware address (DHCP chaddr), which
/// still names it when the request came through a relay or from 0.0.0.0.
/// </summary>
/// <param name="Server">The server's event source name, e.g. <c>dhcp:10.0.0.1</c>.</param>
/// <param name="Scope">Whether other servers may still answer.</param>
/// <param name="Client">Where the request came from, or null when unknown.</param>
/// <param name="ClientMac">The client's hardware address, or null when the protocol has none.</param>
/// <param name="Reason">Why, in words (for logs and tests; never parsed).</param>
public sealed record ServerSilence(string Server, SilenceScope Scope, IPEndPoint? Client, PhysicalAddress? ClientMac, string Reason);
