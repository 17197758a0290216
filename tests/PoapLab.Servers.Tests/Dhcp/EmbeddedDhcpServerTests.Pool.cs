using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;

namespace PoapLab.Servers.Tests.Dhcp;

// The pool and lease bookkeeping (indexed by client, free addresses kept aside): the lowest
// free address first, expiry, decline and reservations as a scan of the table would give them.
public sealed partial class EmbeddedDhcpServerTests
{
    private static readonly IPAddress Us = IPAddress.Parse("10.0.0.1");

    private static PhysicalAddress Mac(int n) => PhysicalAddress.Parse($"02-00-00-00-{n >> 8:X2}-{n & 0xff:X2}");

    private async Task<IPAddress> DoraAsync(IPEndPoint server, DhcpMessage discover)
    {
        var offer = await ExchangeAsync(server, discover);
        var ack = await ExchangeAsync(server, Request(discover, offer.YourAddress, Us));
        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        return ack.YourAddress;
    }

    private int PoolExhaustedCount => _timeline.Events.Count(e => e.Kind == EventKinds.DhcpServerIgnored && e.Get("reason") == "address pool exhausted");

    [Fact]
    public async Task Discover_LeasesExpired_LowestFreeAddressFirstThenNeverUsedOnes()
    {
        var server = await StartAsync(Options() with { PoolEnd = IPAddress.Parse("10.0.0.102") });
        (await DoraAsync(server, Discover(1, mac: Mac(1)))).ShouldBe(IPAddress.Parse("10.0.0.100"));
        (await DoraAsync(server, Discover(2, mac: Mac(2)))).ShouldBe(IPAddress.Parse("10.0.0.101"));
        _clock.Advance(TimeSpan.FromDays(2));

        var third = await ExchangeAsync(server, Discover(3, mac: Mac(3)));
        var fourth = await ExchangeAsync(server, Discover(4, mac: Mac(4)));
        var fifth = await ExchangeAsync(server, Discover(5, mac: Mac(5)));
        await SendAsync(server, Discover(6, mac: Mac(6)).Encode());
        var thirdAgain = await ExchangeAsync(server, Discover(7, mac: Mac(3)));

        third.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        fourth.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.101"));
        fifth.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.102"));
        thirdAgain.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        PoolExhaustedCount.ShouldBe(1);
    }

    [Fact]
    public async Task Discover_DeclinedAddress_NeverOfferedAgainEvenAfterTheLeaseTime()
    {
        var server = await StartAsync(Options() with { PoolEnd = IPAddress.Parse("10.0.0.102") });
        var discover = Discover(1, mac: Mac(1));
        var offer = await ExchangeAsync(server, discover);
        offer.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        var decline = discover with
        {
            Options =
            [
                DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Decline),
                DhcpOptionValue.FromAddress(DhcpOption.RequestedIpAddress, offer.YourAddress),
            ],
        };
        await SendAsync(server, decline.Encode());
        _clock.Advance(TimeSpan.FromDays(2));

        var other = await ExchangeAsync(server, Discover(2, mac: Mac(2)));
        var same = await ExchangeAsync(server, Discover(3, mac: Mac(1)));
        await SendAsync(server, Discover(4, mac: Mac(3)).Encode());
        await ExchangeAsync(server, Discover(5, mac: Mac(2)));

        other.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.101"));
        // The declining client is offered another address: the declined one is out of the pool for good.
        same.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.102"));
        PoolExhaustedCount.ShouldBe(1);
    }

    [Fact]
    public async Task Discover_ReservedAddressInsideThePool_NeverOfferedToOthersEvenWhenItsLeaseExpired()
    {
        var server = await StartAsync(Options(new DhcpReservation { Address = IPAddress.Parse("10.0.0.100"), ClientId = [.. PoapClientId] }));
        (await DoraAsync(server, Discover(1, PoapClientId))).ShouldBe(IPAddress.Parse("10.0.0.100"));
        _clock.Advance(TimeSpan.FromDays(2));

        var other = await ExchangeAsync(server, Discover(2, mac: Mac(2)));
        await SendAsync(server, Discover(3, mac: Mac(3)).Encode());
        var reserved = await ExchangeAsync(server, Discover(4, PoapClientId));

        other.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.101"));
        reserved.YourAddress.ShouldBe(IPAddress.Parse("10.0.0.100"));
        PoolExhaustedCount.ShouldBe(1);
    }

    [Fact]
    public async Task Discover_ManyClients_EachKeepsItsAddressAndClientIdAndMacAreDistinctClients()
    {
        var server = await StartAsync(Options() with { PoolEnd = IPAddress.Parse("10.0.0.199") });
        var addresses = new IPAddress[40];
        for (var i = 0; i < addresses.Length; i++)
        {
            addresses[i] = await DoraAsync(server, Discover((uint)i + 1, mac: Mac(i + 1)));
        }
        // Known by its client identifier (RFC 2131 §4.2) and, separately, by its chaddr alone.
        var byId = await DoraAsync(server, Discover(100, PoapClientId, Mac(7)));

        for (var i = addresses.Length - 1; i >= 0; i--)
        {
            (await ExchangeAsync(server, Discover((uint)i + 200, mac: Mac(i + 1)))).YourAddress.ShouldBe(addresses[i]);
        }
        (await ExchangeAsync(server, Discover(300, PoapClientId, Mac(99)))).YourAddress.ShouldBe(byId);
        addresses.ShouldBeUnique();
        addresses.ShouldNotContain(byId);
        addresses[0].ShouldBe(IPAddress.Parse("10.0.0.100"));
        byId.ShouldBe(IPAddress.Parse("10.0.0.140"));
    }
}
