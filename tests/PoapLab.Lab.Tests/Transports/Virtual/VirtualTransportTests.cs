using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Time;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Virtual;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Transports.Virtual;

/// <summary>The virtual transport: every address it gives is in the lab's block.</summary>
public sealed class VirtualTransportTests : IDisposable
{
    private readonly LoopbackBlock _block = new LoopbackBlockPool(52, 52).Rent();

    public void Dispose() => _block.Dispose();

    [Fact]
    public async Task PlaceServiceAsync_SameLabHostTwice_SameLoopbackAnyPort()
    {
        var transport = new VirtualTransport(_block);
        var lab = IPAddress.Parse("10.0.0.1");

        var dhcp = await transport.PlaceServiceAsync(lab, LabProtocol.Udp, 67, 24, TestContext.Current.CancellationToken);
        var tftp = await transport.PlaceServiceAsync(lab, LabProtocol.Udp, 69, 24, TestContext.Current.CancellationToken);
        var other = await transport.PlaceServiceAsync(IPAddress.Parse("10.0.0.2"), LabProtocol.Tcp, 80, 24, TestContext.Current.CancellationToken);

        dhcp.Bind.Address.ShouldBe(tftp.Bind.Address);
        dhcp.Bind.Port.ShouldBe(0);
        other.Bind.Address.ShouldNotBe(dhcp.Bind.Address);
        _block.Contains(dhcp.Bind.Address).ShouldBeTrue();
        _block.Contains(other.Bind.Address).ShouldBeTrue();
        transport.CaptureFilter.ShouldBe("net 127.52.0.0/16");
    }

    [Fact]
    public async Task ServiceBound_Declared_SwitchesFindItAtTheLabPort()
    {
        var transport = new VirtualTransport(_block);
        var place = await transport.PlaceServiceAsync(IPAddress.Parse("10.0.0.1"), LabProtocol.Tcp, 80, 24, TestContext.Current.CancellationToken);
        var bound = new IPEndPoint(place.Bind.Address, 43210);

        transport.ServiceBound(place, bound);
        transport.AddLogin(IPAddress.Parse("10.0.0.1"), 22, "admin", "poaplab-lab");

        transport.Map.Find(IPAddress.Parse("10.0.0.1"), LabProtocol.Tcp, 80).ShouldBe(bound);
        transport.Map.ToLab(bound).ShouldBe(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 80));
        transport.Map.FindLogin(IPAddress.Parse("10.0.0.1"), 22, "admin").ShouldBe("poaplab-lab");
    }

    [Fact]
    public async Task AttachSwitchAsync_ManySwitches_EachItsOwnAddressInTheBlock()
    {
        var ct = TestContext.Current.CancellationToken;
        var transport = new VirtualTransport(_block);
        var seen = new HashSet<IPAddress>();

        for (var i = 0; i < 600; i++)
        {
            var place = new LabSwitchPlace($"sw-{i}", PhysicalAddress.Parse($"02-00-00-00-{i >> 8:X2}-{i & 0xFF:X2}"), new SimClock(DateTimeOffset.UnixEpoch));
            var attached = await transport.AttachSwitchAsync(place, ct);
            attached.Network.ShouldBeOfType<VirtualNetwork>();
            attached.Owned.ShouldBeNull();
            seen.Add(attached.ClientAddress.ShouldNotBeNull()).ShouldBeTrue();
        }

        seen.ShouldAllBe(a => _block.Contains(a));
    }
}
