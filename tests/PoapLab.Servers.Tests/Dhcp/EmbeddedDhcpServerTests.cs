using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Tests.Support;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Dhcp;

public sealed partial class EmbeddedDhcpServerTests : IAsyncDisposable
{
    private static readonly PhysicalAddress SwitchMac = PhysicalAddress.Parse("00-2A-10-3B-4C-5D");
    private static readonly byte[] PoapClientId = [0, .. "FDO23490570"u8];

    private readonly SimClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Timeline _timeline;
    private readonly UdpClient _client = new(new IPEndPoint(IPAddress.Loopback, 0));
    private EmbeddedDhcpServer? _server;

    public EmbeddedDhcpServerTests() => _timeline = new Timeline(_clock);

    private static DhcpServerOptions Options(params DhcpReservation[] reservations) => new()
    {
        ServerAddress = IPAddress.Parse("10.0.0.1"),
        SubnetMask = IPAddress.Parse("255.255.255.0"),
        Router = IPAddress.Parse("10.0.0.254"),
        DnsServers = [IPAddress.Parse("10.0.0.53")],
        DomainName = "lab.example",
        PoolStart = IPAddress.Parse("10.0.0.100"),
        PoolEnd = IPAddress.Parse("10.0.0.101"),
        TftpServerAddress = IPAddress.Parse("10.0.0.1"),
        BootfileName = "poap.py",
        Reservations = [.. reservations],
    };

    private async Task<IPEndPoint> StartAsync(DhcpServerOptions options)
    {
        _server = new EmbeddedDhcpServer(options, _timeline, "dhcp:10.0.0.1", _clock);
        return await _server.StartAsync(new IPEndPoint(IPAddress.Parse("127.77.0.1"), 0), TestContext.Current.CancellationToken);
    }

    private static DhcpMessage Discover(uint xid, byte[]? clientId = null, PhysicalAddress? mac = null)
    {
        var options = new List<DhcpOptionValue> { DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Discover) };
        if (clientId is not null)
        {
            options.Add(DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, clientId));
        }
        options.Add(DhcpOptionValue.FromString(DhcpOption.UserClass, "Cisco-POAP"));
        options.Add(DhcpOptionValue.FromBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 12, 15, 51, 66, 67, 150]));
        return new DhcpMessage { TransactionId = xid, Options = [.. options] }.WithClientMac(mac ?? SwitchMac);
    }

    private static DhcpMessage Request(DhcpMessage discover, IPAddress requested, IPAddress? serverId) =>
        discover with
        {
            Options =
            [
                DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Request),
                .. discover.Options.Where(o => o.Code != DhcpOption.MessageType),
                DhcpOptionValue.FromAddress(DhcpOption.RequestedIpAddress, requested),
                .. serverId is null ? [] : new[] { DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, serverId) },
            ],
        };

    private async Task<DhcpMessage> ExchangeAsync(IPEndPoint server, DhcpMessage message) =>
        DhcpMessage.Decode(await _client.ExchangeAsync(server, message.Encode(), TestContext.Current.CancellationToken));

    private async Task SendAsync(IPEndPoint server, byte[] bytes) =>
        await _client.SendAsync(bytes, server, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Dora_PoolClientTwice_EventsReadAsTheyAlwaysHave()
    {
        // The messages and the option lists are made when the timeline is read, and a pool
        // client's reply options are made once: the text is the same as when they were made per packet.
        var server = await StartAsync(Options());
        var other = PhysicalAddress.Parse("00-2A-10-3B-4C-5E");
        foreach (var (xid, mac) in new[] { (0x10u, SwitchMac), (0x11u, other) })
        {
            var discover = Discover(xid, mac: mac);
            var offer = await ExchangeAsync(server, discover);
            await ExchangeAsync(server, Request(discover, offer.YourAddress, offer.GetAddress(DhcpOption.ServerIdentifier)));
        }

        var events = _timeline.Events;
        var received = events.First(e => e.Kind == EventKinds.DhcpServerReceived);
        received.Message.ShouldStartWith("received DHCPDISCOVER xid=0x00000010 chaddr=00:2a:10:3b:4c:5d");
        received.Message.ShouldEndWith($" from {received.Get("from")}");
        received.Get("type").ShouldBe("Discover");
        received.Get("mac").ShouldBe("00:2a:10:3b:4c:5d");
        var offers = events.Where(e => e.Kind == EventKinds.DhcpServerOffered).ToList();
        offers.Select(e => e.Message).ShouldBe(["OFFER 10.0.0.100 to 00:2a:10:3b:4c:5d", "OFFER 10.0.0.101 to 00:2a:10:3b:4c:5e"]);
        offers.Select(e => e.Get("type")).ShouldBe(["Offer", "Offer"]);
        offers[0].Get("options").ShouldBe(offers[1].Get("options"));
        offers[0].Get("options").ShouldBe("53=Offer;54=10.0.0.1;51=86400;58=43200;59=75600;1=255.255.255.0;3=10.0.0.254;6=10.0.0.53;15=lab.example;150=10.0.0.1;67=poap.py");
        events.Where(e => e.Kind == EventKinds.DhcpServerAcked).Select(e => e.Message)
            .ShouldBe(["ACK 10.0.0.100 to 00:2a:10:3b:4c:5d", "ACK 10.0.0.101 to 00:2a:10:3b:4c:5e"]);
        events.Where(e => e.Kind == EventKinds.DhcpServerAcked).Select(e => e.Get("xid")).ShouldBe(["0x00000010", "0x00000011"]);
    }

    [Fact]
    public async Task Dora_ReservationByClientId_OffersAndAcksReservedAddressWithPoapOptions()
    {
        var server = await StartAsync(Options(new DhcpReservation { Address = IPAddress.Parse("10.0.0.10"), ClientId = [.. PoapClientId], HostName = "leaf-101" }));
        var discover = Discover(0x1234, PoapClientId);

        var offer = await ExchangeAsync(server, discover);
        var ack = await ExchangeAsync(server, Request(discover, offer.YourAddress, offer.GetAddress(DhcpOption.ServerIdentifier)));

        offer.MessageType.ShouldBe(DhcpMessageType.Offer);
        offer.TransactionId.ShouldBe(0x1234u);
        offer.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.10"));
        offer.GetString(DhcpOption.BootfileName).ShouldBe("poap.py");
        offer.GetAddresses(DhcpOption.TftpServerAddress).ShouldBe([IPAddress.Parse("10.0.0.1")]);
        offer.GetString(DhcpOption.HostName).ShouldBe("leaf-101");
        offer.GetUInt32(DhcpOption.LeaseTime).ShouldBe(86400u);
        offer.GetUInt32(DhcpOption.RenewalTime).ShouldBe(43200u);
        offer.GetAddress(DhcpOption.SubnetMask).ShouldBe(IPAddress.Parse("255.255.255.0"));
        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        ack.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.10"));
        ack.ClientMac.ShouldBe(SwitchMac);
        _server!.Leases.ShouldHaveSingleItem().State.ShouldBe(DhcpLeaseState.Bound);
        var acked = _timeline.Events.Single(e => e.Kind == EventKinds.DhcpServerAcked);
        acked.Get("xid").ShouldBe("0x00001234");
        acked.Get("clientId").ShouldBe("0046444f3233343930353730");
        acked.Get("mac").ShouldBe("00:2a:10:3b:4c:5d");
        acked.Get("yiaddr").ShouldBe("10.0.0.10");
        acked.Get("options")!.ShouldContain("150=10.0.0.1;67=poap.py");
        _timeline.Events.Count(e => e.Kind == EventKinds.DhcpServerReceived).ShouldBe(2);
    }

    [Fact]
    public async Task Discover_ReservationWithoutLeadingZero_DoesNotMatchPoapClientId()
    {
        var server = await StartAsync(Options(new DhcpReservation { Address = IPAddress.Parse("10.0.0.10"), ClientId = [.. "FDO23490570"u8] }));

        var offer = await ExchangeAsync(server, Discover(7, PoapClientId));

        offer.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        offer.Has(DhcpOption.HostName).ShouldBeFalse();
    }

    [Fact]
    public async Task Discover_TwoClients_PoolAddressesInOrderThenNoneLeft()
    {
        var server = await StartAsync(Options());

        var first = await ExchangeAsync(server, Discover(1, mac: PhysicalAddress.Parse("02-00-00-00-00-01")));
        var second = await ExchangeAsync(server, Discover(2, mac: PhysicalAddress.Parse("02-00-00-00-00-02")));
        var again = await ExchangeAsync(server, Discover(3, mac: PhysicalAddress.Parse("02-00-00-00-00-01")));
        await SendAsync(server, Discover(4, mac: PhysicalAddress.Parse("02-00-00-00-00-03")).Encode());
        // The pool is exhausted: the server records why and stays silent; the next exchange still works.
        var fourth = await ExchangeAsync(server, Discover(5, mac: PhysicalAddress.Parse("02-00-00-00-00-02")));

        first.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        second.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.101"));
        again.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        fourth.TransactionId.ShouldBe(5u);
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.DhcpServerIgnored && e.Get("reason") == "address pool exhausted");
    }

    [Fact]
    public async Task Release_ThenDiscoverFromOtherClient_GetsReleasedAddress()
    {
        var server = await StartAsync(Options() with { PoolEnd = IPAddress.Parse("10.0.0.100") });
        var discover = Discover(1, PoapClientId);
        var offer = await ExchangeAsync(server, discover);
        await ExchangeAsync(server, Request(discover, offer.YourAddress, IPAddress.Parse("10.0.0.1")));

        var release = discover with
        {
            ClientAddress = offer.YourAddress,
            Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Release), DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, PoapClientId)],
        };
        await SendAsync(server, release.Encode());
        var other = await ExchangeAsync(server, Discover(9, mac: PhysicalAddress.Parse("02-00-00-00-00-09")));

        other.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.DhcpServerReleased && e.Get("address") == "10.0.0.100");
    }

    [Fact]
    public async Task Request_ForeignAddressWithoutServerId_Nak()
    {
        var server = await StartAsync(Options());

        var nak = await ExchangeAsync(server, Request(Discover(3, PoapClientId), IPAddress.Parse("192.168.1.50"), serverId: null));

        nak.MessageType.ShouldBe(DhcpMessageType.Nak);
        nak.YourAddress.ShouldBe(IPAddress.Any);
        nak.GetAddress(DhcpOption.ServerIdentifier).ShouldBe(IPAddress.Parse("10.0.0.1"));
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.DhcpServerNaked && e.Get("xid") == "0x00000003");
    }

    [Fact]
    public async Task Request_SelectingOtherServer_ForgetsOfferSilently()
    {
        var server = await StartAsync(Options());
        var discover = Discover(4, PoapClientId);
        var offer = await ExchangeAsync(server, discover);

        await SendAsync(server, Request(discover, offer.YourAddress, IPAddress.Parse("10.0.0.2")).Encode());
        var next = await ExchangeAsync(server, Discover(5, PoapClientId));

        next.TransactionId.ShouldBe(5u);
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.DhcpServerIgnored && e.Get("xid") == "0x00000004");
    }

    [Fact]
    public async Task Receive_MalformedDatagram_RecordsOffsetAndKeepsServing()
    {
        TestEnvironment.Current.ExpectError("dhcp", EventKinds.DhcpServerMalformed); // the datagram is malformed on purpose
        var server = await StartAsync(Options());
        var bytes = Discover(6).Encode();
        bytes[236] = 0;

        await SendAsync(server, bytes);
        var offer = await ExchangeAsync(server, Discover(7));

        offer.MessageType.ShouldBe(DhcpMessageType.Offer);
        var malformed = _timeline.Events.Single(e => e.Kind == EventKinds.DhcpServerMalformed);
        malformed.Get("offset").ShouldBe("236");
    }

    [Fact]
    public async Task Inform_AckWithoutAddressOrLease()
    {
        var server = await StartAsync(Options());
        var inform = new DhcpMessage
        {
            TransactionId = 8,
            ClientAddress = IPAddress.Parse("10.0.0.77"),
            Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Inform)],
        }.WithClientMac(SwitchMac);

        var ack = await ExchangeAsync(server, inform);

        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        ack.YourAddress.ShouldBe(IPAddress.Any);
        ack.Has(DhcpOption.LeaseTime).ShouldBeFalse();
        ack.GetString(DhcpOption.BootfileName).ShouldBe("poap.py");
    }

    [Fact]
    public async Task DisposeAsync_ReleasesSocket_SameEndpointBindsAgain()
    {
        var endpoint = await StartAsync(Options());

        await _server!.DisposeAsync();
        _server = null;
        await using var again = new EmbeddedDhcpServer(Options(), _timeline, "dhcp:again", _clock);
        var rebound = await again.StartAsync(endpoint, TestContext.Current.CancellationToken);

        rebound.ShouldBe(endpoint);
        (await ExchangeAsync(rebound, Discover(10))).MessageType.ShouldBe(DhcpMessageType.Offer);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _client.Dispose();
    }
}
