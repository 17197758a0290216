using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PoapLab.Protocols.Dhcp;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Transports.Namespace;

/// <summary>A switch-side DHCPv4 exchange (DISCOVER, OFFER, REQUEST, ACK) with our codec, as POAP sends it.</summary>
internal static class DhcpProbe
{
    public static readonly PhysicalAddress Mac = PhysicalAddress.Parse("00-A1-B2-C3-D4-E5");
    public const string Serial = "FDO23490570";

    /// <summary>Leases an address through <paramref name="network"/>; the OFFER and the ACK with their sources.</summary>
    public static async Task<(DhcpMessage Offer, IPEndPoint OfferFrom, DhcpMessage Ack, IPEndPoint AckFrom)> LeaseAsync(ISwitchNetwork network, CancellationToken cancellationToken)
    {
        await using var socket = await network.OpenUdpAsync(68, cancellationToken);
        const uint xid = 0x1234abcd;
        (DhcpMessage, IPEndPoint)? offered = null;
        // A client retransmits its DISCOVER (RFC 2131 §4.1); a loaded machine may be slow to answer the first.
        for (var attempt = 0; attempt < 3 && offered is null; attempt++)
        {
            await socket.SendAsync(Build(DhcpMessageType.Discover, xid, null, null).Encode(), new IPEndPoint(IPAddress.Broadcast, 67), cancellationToken);
            offered = await TryNextAsync(socket, xid, DhcpMessageType.Offer, cancellationToken);
        }
        offered.ShouldNotBeNull("no DHCP OFFER came for 3 DISCOVERs");
        var (offer, offerFrom) = offered.Value;
        var serverId = offer.GetAddress(DhcpOption.ServerIdentifier)!;
        await socket.SendAsync(Build(DhcpMessageType.Request, xid, offer.YourAddress, serverId).Encode(), new IPEndPoint(IPAddress.Broadcast, 67), cancellationToken);
        var (ack, ackFrom) = await NextAsync(socket, xid, DhcpMessageType.Ack, cancellationToken);
        return (offer, offerFrom, ack, ackFrom);
    }

    private static async Task<(DhcpMessage, IPEndPoint)?> TryNextAsync(ILabUdpSocket socket, uint xid, DhcpMessageType type, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 20; i++)
        {
            var datagram = await socket.ReceiveAsync(TimeSpan.FromSeconds(5), cancellationToken);
            if (datagram is null)
            {
                return null;
            }
            var message = DhcpMessage.Decode(datagram.Value.Payload);
            if (message.TransactionId == xid && message.MessageType == type)
            {
                return (message, datagram.Value.Source);
            }
        }
        return null;
    }

    private static async Task<(DhcpMessage, IPEndPoint)> NextAsync(ILabUdpSocket socket, uint xid, DhcpMessageType type, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 20; i++)
        {
            var datagram = await socket.ReceiveAsync(TimeSpan.FromSeconds(10), cancellationToken);
            datagram.ShouldNotBeNull($"no DHCP {type} came");
            var message = DhcpMessage.Decode(datagram.Value.Payload);
            if (message.TransactionId == xid && message.MessageType == type)
            {
                return (message, datagram.Value.Source);
            }
        }
        throw new InvalidOperationException($"no DHCP {type} among 20 datagrams");
    }

    public static DhcpMessage Build(DhcpMessageType type, uint xid, IPAddress? requested, IPAddress? serverId)
    {
        var chaddr = new byte[16];
        Mac.GetAddressBytes().CopyTo(chaddr, 0);
        var options = ImmutableArray.CreateBuilder<DhcpOptionValue>();
        options.Add(DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type));
        options.Add(DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, [0, .. Encoding.ASCII.GetBytes(Serial)]));
        if (requested is not null)
        {
            options.Add(DhcpOptionValue.FromAddress(DhcpOption.RequestedIpAddress, requested));
        }
        if (serverId is not null)
        {
            options.Add(DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, serverId));
        }
        options.Add(DhcpOptionValue.FromString(DhcpOption.UserClass, "Cisco-POAP"));
        options.Add(DhcpOptionValue.FromBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 12, 15, 51, 66, 67, 150]));
        return new DhcpMessage
        {
            Operation = BootpOperation.Request,
            TransactionId = xid,
            Broadcast = true,
            ClientHardwareAddress = [.. chaddr],
            Options = options.ToImmutable(),
        };
    }
}
