using System.Collections.Immutable;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Servers.Dhcp6;
using PoapLab.Servers.Tests.Support;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Dhcp6;

public sealed class EmbeddedDhcp6ServerTests : IAsyncDisposable
{
    private static readonly PhysicalAddress SwitchMac = PhysicalAddress.Parse("00-2A-10-3B-4C-5D");
    private static readonly Dhcp6Duid SwitchDuid = Dhcp6Duid.FromMac(SwitchMac);
    private static readonly IPAddress ServerAddress = IPAddress.Parse("2001:db8::1");

    private readonly SimClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Timeline _timeline;
    private readonly IPAddress _loopback;
    private readonly UdpClient _client;
    private EmbeddedDhcp6Server? _server;

    public EmbeddedDhcp6ServerTests()
    {
        _timeline = new Timeline(_clock);
        // IPv6 loopback where the sandbox has it, else an IPv4 loopback address.
        _loopback = Socket.OSSupportsIPv6 && CanBind(IPAddress.IPv6Loopback) ? IPAddress.IPv6Loopback : IPAddress.Parse("127.0.0.1");
        _client = new UdpClient(new IPEndPoint(_loopback, 0));
    }

    private static Dhcp6ServerOptions Options(params Dhcp6Reservation[] reservations) => new()
    {
        ServerAddress = ServerAddress,
        PoolStart = IPAddress.Parse("2001:db8::100"),
        PoolEnd = IPAddress.Parse("2001:db8::101"),
        PreferredLifetime = TimeSpan.FromHours(2),
        ValidLifetime = TimeSpan.FromHours(4),
        BootfileUrl = "tftp://[2001:db8::1]/poap.py",
        NextHop = IPAddress.Parse("2001:db8::fe"),
        RoutePrefix = "2001:db8::/64",
        DnsServers = [IPAddress.Parse("2001:db8::53")],
        Reservations = [.. reservations],
    };

    private async Task<IPEndPoint> StartAsync(Dhcp6ServerOptions options)
    {
        _server = new EmbeddedDhcp6Server(options, _timeline, "dhcp6:2001:db8::1", _clock);
        return await _server.StartAsync(new IPEndPoint(_loopback, 0), TestContext.Current.CancellationToken);
    }

    private static Dhcp6Message Solicit(uint xid, Dhcp6Duid? client = null, bool rapidCommit = false, uint iaid = 1)
    {
        var options = new List<Dhcp6OptionValue>
        {
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, client ?? SwitchDuid),
            Dhcp6OptionValue.FromUInt16(Dhcp6Option.ElapsedTime, 0),
            Dhcp6OptionValue.OptionRequest([Dhcp6Option.BootfileUrl, Dhcp6Option.NextHop, Dhcp6Option.RoutePrefix, Dhcp6Option.DnsServers]),
            Dhcp6OptionValue.IaNa(iaid, 0, 0),
        };
        if (rapidCommit)
        {
            options.Add(Dhcp6OptionValue.Empty(Dhcp6Option.RapidCommit));
        }
        return new Dhcp6Message { MessageType = Dhcp6MessageType.Solicit, TransactionId = xid, Options = [.. options] };
    }

    /// <summary>A Request/Renew/Release/Decline for the address in <paramref name="reply"/>.</summary>
    private static Dhcp6Message FollowUp(Dhcp6MessageType type, uint xid, Dhcp6Message reply, Dhcp6Duid? serverId = null, Dhcp6Duid? client = null)
    {
        var ia = reply.IaNa.Single();
        var options = new List<Dhcp6OptionValue>
        {
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, client ?? SwitchDuid),
            Dhcp6OptionValue.FromDuid(Dhcp6Option.ServerId, serverId ?? reply.ServerId!),
            Dhcp6OptionValue.IaNa(ia.Iaid, 0, 0, ia.Addresses.Select(a => Dhcp6OptionValue.IaAddress(a.Address, 0, 0))),
        };
        return new Dhcp6Message { MessageType = type, TransactionId = xid, Options = [.. options] };
    }

    private async Task<Dhcp6Message> ExchangeAsync(IPEndPoint server, Dhcp6Message message) =>
        Dhcp6Message.Decode(await _client.ExchangeAsync(server, message.Encode(), TestContext.Current.CancellationToken));

    private async Task SendAsync(IPEndPoint server, byte[] bytes) =>
        await _client.SendAsync(bytes, server, TestContext.Current.CancellationToken);

    [Fact]
    public async Task SolicitRequest_PoapOptions_AdvertiseThenReplyWithAddressAnd59_242_243()
    {
        var server = await StartAsync(Options());

        var advertise = await ExchangeAsync(server, Solicit(0x123456));
        var reply = await ExchangeAsync(server, FollowUp(Dhcp6MessageType.Request, 0x123457, advertise));

        advertise.MessageType.ShouldBe(Dhcp6MessageType.Advertise);
        advertise.TransactionId.ShouldBe(0x123456u);
        advertise.ClientId.ShouldBe(SwitchDuid);
        advertise.ServerId.ShouldBe(Dhcp6Duid.FromMac(PhysicalAddress.Parse("02-00-00-00-00-01")));
        advertise.ServerId.ShouldBe(_server!.ServerDuid);
        var ia = advertise.IaNa.ShouldHaveSingleItem();
        (ia.Iaid, ia.T1, ia.T2).ShouldBe((1u, 3600u, 5760u));
        var address = ia.Addresses.ShouldHaveSingleItem();
        (address.Address, address.PreferredLifetime, address.ValidLifetime).ShouldBe((IPAddress.Parse("2001:db8::100"), 7200u, 14400u));
        advertise.BootfileUrl.ShouldBe("tftp://[2001:db8::1]/poap.py");
        advertise.NextHop.ShouldBe(IPAddress.Parse("2001:db8::fe"));
        advertise.RoutePrefix!.Prefix.ShouldBe(IPAddress.Parse("2001:db8::"));
        advertise.RoutePrefix.PrefixLength.ShouldBe((byte)64);
        advertise.DnsServers.ShouldBe([IPAddress.Parse("2001:db8::53")]);
        advertise.RapidCommit.ShouldBeFalse();
        reply.MessageType.ShouldBe(Dhcp6MessageType.Reply);
        reply.TransactionId.ShouldBe(0x123457u);
        reply.IaNa.Single().Addresses.Single().Address.ShouldBe(IPAddress.Parse("2001:db8::100"));
        reply.BootfileUrl.ShouldBe("tftp://[2001:db8::1]/poap.py");
        var lease = _server.Leases.ShouldHaveSingleItem();
        lease.State.ShouldBe(Dhcp6LeaseState.Bound);
        lease.ClientDuid.ShouldBe("00030001002a103b4c5d");
        lease.Expires.ShouldBe(_clock.GetUtcNow() + TimeSpan.FromHours(4));
        var advertised = _timeline.Events.Single(e => e.Kind == EventKinds.Dhcp6ServerAdvertised);
        advertised.Get("xid").ShouldBe("0x123456");
        advertised.Get("clientDuid").ShouldBe("00030001002a103b4c5d");
        advertised.Get("type").ShouldBe("Advertise");
        advertised.Get("address").ShouldBe("2001:db8::100");
        advertised.Get("options")!.ShouldContain("59=tftp://[2001:db8::1]/poap.py;242=2001:db8::fe;243=2001:db8::/64");
        var replied = _timeline.Events.Single(e => e.Kind == EventKinds.Dhcp6ServerReplied);
        replied.Get("answers").ShouldBe("Request");
        _timeline.Events.Count(e => e.Kind == EventKinds.Dhcp6ServerReceived).ShouldBe(2);
    }

    [Fact]
    public async Task Solicit_RapidCommit_ReplyWithRapidCommitAndBinding()
    {
        var server = await StartAsync(Options());

        var reply = await ExchangeAsync(server, Solicit(0x42, rapidCommit: true));

        reply.MessageType.ShouldBe(Dhcp6MessageType.Reply);
        reply.RapidCommit.ShouldBeTrue();
        reply.IaNa.Single().Addresses.Single().Address.ShouldBe(IPAddress.Parse("2001:db8::100"));
        reply.BootfileUrl.ShouldNotBeNull();
        _server!.Leases.ShouldHaveSingleItem().State.ShouldBe(Dhcp6LeaseState.Bound);
        _timeline.Events.Single(e => e.Kind == EventKinds.Dhcp6ServerReplied).Get("rapidCommit").ShouldBe("True");
    }

    [Fact]
    public async Task Solicit_RapidCommitDisabled_AdvertiseOnly()
    {
        var server = await StartAsync(Options() with { RapidCommit = false });

        var advertise = await ExchangeAsync(server, Solicit(0x43, rapidCommit: true));

        advertise.MessageType.ShouldBe(Dhcp6MessageType.Advertise);
        advertise.RapidCommit.ShouldBeFalse();
        _server!.Leases.ShouldHaveSingleItem().State.ShouldBe(Dhcp6LeaseState.Advertised);
    }

    [Fact]
    public async Task Release_BoundAddress_FreedForAnotherClient()
    {
        var server = await StartAsync(Options() with { PoolEnd = IPAddress.Parse("2001:db8::100") });
        var bound = await ExchangeAsync(server, Solicit(1, rapidCommit: true));
        var other = Dhcp6Duid.FromMac(PhysicalAddress.Parse("02-00-00-00-00-09"));
        var refused = await ExchangeAsync(server, Solicit(2, other));

        var released = await ExchangeAsync(server, FollowUp(Dhcp6MessageType.Release, 3, bound));
        var afterwards = await ExchangeAsync(server, Solicit(4, other));

        refused.Status!.Code.ShouldBe(Dhcp6StatusCode.NoAddrsAvail);
        refused.IaNa.ShouldBeEmpty();
        refused.Options.Select(o => o.Code).ShouldBe([Dhcp6Option.ServerId, Dhcp6Option.ClientId, Dhcp6Option.StatusCode]);
        released.MessageType.ShouldBe(Dhcp6MessageType.Reply);
        released.Status!.Code.ShouldBe(Dhcp6StatusCode.Success);
        released.IaNa.ShouldBeEmpty();
        afterwards.IaNa.Single().Addresses.Single().Address.ShouldBe(IPAddress.Parse("2001:db8::100"));
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.Dhcp6ServerReleased && e.Get("address") == "2001:db8::100" && e.Get("xid") == "0x000003");
    }

    [Fact]
    public async Task Request_OtherServerId_IgnoredAndAdvertisementForgotten()
    {
        var server = await StartAsync(Options());
        var advertise = await ExchangeAsync(server, Solicit(5));
        var foreign = Dhcp6Duid.FromMac(PhysicalAddress.Parse("02-00-00-00-00-99"));

        await SendAsync(server, FollowUp(Dhcp6MessageType.Request, 6, advertise, serverId: foreign).Encode());
        var next = await ExchangeAsync(server, Solicit(7));

        next.TransactionId.ShouldBe(7u);
        var ignored = _timeline.Events.Single(e => e.Kind == EventKinds.Dhcp6ServerIgnored);
        ignored.Get("xid").ShouldBe("0x000006");
        ignored.Get("reason")!.ShouldContain("for server 0003000102000000009");
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.Dhcp6ServerReplied);
    }

    [Fact]
    public async Task Solicit_WithServerIdOrWithoutClientId_Ignored()
    {
        var server = await StartAsync(Options());
        var withServerId = Solicit(8) with { Options = [.. Solicit(8).Options, Dhcp6OptionValue.FromDuid(Dhcp6Option.ServerId, SwitchDuid)] };
        var withoutClientId = Solicit(9) with { Options = [.. Solicit(9).Options.Where(o => o.Code != Dhcp6Option.ClientId)] };

        await SendAsync(server, withServerId.Encode());
        await SendAsync(server, withoutClientId.Encode());
        var next = await ExchangeAsync(server, Solicit(10));

        next.TransactionId.ShouldBe(10u);
        _timeline.Events.Where(e => e.Kind == EventKinds.Dhcp6ServerIgnored).Select(e => e.Get("xid")).ShouldBe(["0x000008", "0x000009"]);
    }

    [Fact]
    public async Task Receive_MalformedDatagram_RecordsOffsetAndKeepsServing()
    {
        TestEnvironment.Current.ExpectError("dhcp6", EventKinds.Dhcp6ServerMalformed); // the datagram is malformed on purpose
        var server = await StartAsync(Options());
        var bytes = Solicit(11).Encode();
        bytes[7] = 0xFF; // the Client Identifier's length now runs past the datagram

        await SendAsync(server, bytes);
        var advertise = await ExchangeAsync(server, Solicit(12));

        advertise.MessageType.ShouldBe(Dhcp6MessageType.Advertise);
        var malformed = _timeline.Events.Single(e => e.Kind == EventKinds.Dhcp6ServerMalformed);
        malformed.Get("offset").ShouldBe("6");
        malformed.Get("length").ShouldBe(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Renew_BoundAndUnknownIa_ExtendsOneAndNoBindingForTheOther()
    {
        var server = await StartAsync(Options());
        var bound = await ExchangeAsync(server, Solicit(13, rapidCommit: true));
        _clock.Advance(TimeSpan.FromHours(1));

        var renewed = await ExchangeAsync(server, FollowUp(Dhcp6MessageType.Renew, 14, bound));
        var unknown = await ExchangeAsync(server, FollowUp(Dhcp6MessageType.Renew, 15, bound, client: Dhcp6Duid.FromMac(PhysicalAddress.Parse("02-00-00-00-00-07"))));

        renewed.IaNa.Single().Addresses.Single().ValidLifetime.ShouldBe(14400u);
        renewed.IaNa.Single().Status.ShouldBeNull();
        _server!.Leases.Single().Expires.ShouldBe(_clock.GetUtcNow() + TimeSpan.FromHours(4));
        unknown.IaNa.Single().Status!.Code.ShouldBe(Dhcp6StatusCode.NoBinding);
        unknown.IaNa.Single().Addresses.ShouldBeEmpty();
    }

    [Fact]
    public async Task InformationRequest_ConfigurationOnly_NoIa()
    {
        var server = await StartAsync(Options());
        var request = new Dhcp6Message
        {
            MessageType = Dhcp6MessageType.InformationRequest,
            TransactionId = 16,
            Options = [Dhcp6OptionValue.FromDuid(Dhcp6Option.ClientId, SwitchDuid)],
        };

        var reply = await ExchangeAsync(server, request);

        reply.MessageType.ShouldBe(Dhcp6MessageType.Reply);
        reply.IaNa.ShouldBeEmpty();
        reply.BootfileUrl.ShouldBe("tftp://[2001:db8::1]/poap.py");
        reply.NextHop.ShouldNotBeNull();
        _server!.Leases.ShouldBeEmpty();
    }

    [Fact]
    public async Task Solicit_ReservationByMacAndByDuid_ReservedAddressAndBootfile()
    {
        var byDuid = Dhcp6Duid.FromEnterprise(9, "FDO23490570"u8);
        var server = await StartAsync(Options(
            new Dhcp6Reservation { Address = IPAddress.Parse("2001:db8::10"), Mac = SwitchMac, BootfileUrl = "tftp://[2001:db8::1]/leaf-101.py" },
            new Dhcp6Reservation { Address = IPAddress.Parse("2001:db8::20"), ClientDuid = byDuid.Bytes }));

        var byMac = await ExchangeAsync(server, Solicit(17, Dhcp6Duid.FromMacAndTime(SwitchMac, _clock.GetUtcNow())));
        var byBytes = await ExchangeAsync(server, Solicit(18, byDuid));

        byMac.IaNa.Single().Addresses.Single().Address.ShouldBe(IPAddress.Parse("2001:db8::10"));
        byMac.BootfileUrl.ShouldBe("tftp://[2001:db8::1]/leaf-101.py");
        byBytes.IaNa.Single().Addresses.Single().Address.ShouldBe(IPAddress.Parse("2001:db8::20"));
        byBytes.BootfileUrl.ShouldBe("tftp://[2001:db8::1]/poap.py");
    }

    [Fact]
    public async Task Decline_Address_NeverOfferedAgain()
    {
        var server = await StartAsync(Options());
        var bound = await ExchangeAsync(server, Solicit(19, rapidCommit: true));

        var declined = await ExchangeAsync(server, FollowUp(Dhcp6MessageType.Decline, 20, bound));
        var again = await ExchangeAsync(server, Solicit(21));

        declined.Status!.Code.ShouldBe(Dhcp6StatusCode.Success);
        again.IaNa.Single().Addresses.Single().Address.ShouldBe(IPAddress.Parse("2001:db8::101"));
        _server!.Leases.Single(l => l.Address.Equals(IPAddress.Parse("2001:db8::100"))).State.ShouldBe(Dhcp6LeaseState.Declined);
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.Dhcp6ServerDeclined && e.Get("address") == "2001:db8::100");
    }

    [Fact]
    public async Task DisposeAsync_ReleasesSocket_SameEndpointBindsAgain()
    {
        var endpoint = await StartAsync(Options());

        await _server!.DisposeAsync();
        _server = null;
        await using var again = new EmbeddedDhcp6Server(Options(), _timeline, "dhcp6:again", _clock);
        var rebound = await again.StartAsync(endpoint, TestContext.Current.CancellationToken);

        rebound.ShouldBe(endpoint);
        again.LocalEndPoint.ShouldBe(endpoint);
        (await ExchangeAsync(rebound, Solicit(22))).MessageType.ShouldBe(Dhcp6MessageType.Advertise);
    }

    [Fact]
    public async Task StartAsync_Ipv4Loopback_AnswersToo()
    {
        await using var server = new EmbeddedDhcp6Server(Options(), _timeline, "dhcp6:v4", _clock);
        var endpoint = await server.StartAsync(new IPEndPoint(IPAddress.Parse("127.77.0.6"), 0), TestContext.Current.CancellationToken);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));

        await client.SendAsync(Solicit(23).Encode(), endpoint, timeout.Token);
        var result = await client.ReceiveAsync(timeout.Token);

        Dhcp6Message.Decode(result.Buffer).MessageType.ShouldBe(Dhcp6MessageType.Advertise);
    }

    [Fact]
    public void Constructor_Ipv4PoolOrBadRoutePrefix_ArgumentException()
    {
        Should.Throw<ArgumentException>(() => new EmbeddedDhcp6Server(Options() with { PoolStart = IPAddress.Parse("10.0.0.1") }, _timeline, "x"));
        Should.Throw<ArgumentException>(() => new EmbeddedDhcp6Server(Options() with { RoutePrefix = "2001:db8::" }, _timeline, "x"));
        Should.Throw<ArgumentException>(() => new EmbeddedDhcp6Server(Options() with { PoolStart = IPAddress.Parse("2001:db8::200") }, _timeline, "x"));
        Should.Throw<InvalidOperationException>(() => new EmbeddedDhcp6Server(Options(), _timeline, "x").LocalEndPoint);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _client.Dispose();
    }

    private static bool CanBind(IPAddress address)
    {
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            probe.Bind(new IPEndPoint(address, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
