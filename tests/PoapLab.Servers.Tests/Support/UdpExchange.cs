using System.Net;
using System.Net.Sockets;

namespace PoapLab.Servers.Tests.Support;

/// <summary>One request and its reply over a loopback <see cref="UdpClient"/>, as the DHCP tests do it.</summary>
internal static class UdpExchange
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sends <paramref name="request"/> to <paramref name="server"/> and returns the next
    /// datagram, which must come from that same endpoint (the server answers from the port
    /// it was asked on). Gives up after ten seconds.
    /// </summary>
    public static async Task<byte[]> ExchangeAsync(this UdpClient client, IPEndPoint server, byte[] request, CancellationToken cancellationToken)
    {
        await client.SendAsync(request, server, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReplyTimeout);
        var result = await client.ReceiveAsync(timeout.Token);
        result.RemoteEndPoint.ShouldBe(server);
        return result.Buffer;
    }
}
