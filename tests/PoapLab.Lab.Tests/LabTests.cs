using System.Net;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Services;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Virtual;
using System.Net.NetworkInformation;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Device;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests;

/// <summary>The lab: its block, its services by factory, and everything stopped when it ends.</summary>
public sealed class LabTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("poaplab-lab-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private sealed record UnknownSpec(IPAddress Address) : LabServiceSpec(ServiceKind.DhcpRelay, Address, 67);

    [Fact]
    public async Task CreateAsync_TwoLabs_DistinctBlocksGivenBackOnDispose()
    {
        var ct = TestContext.Current.CancellationToken;
        var pool = new LoopbackBlockPool(50, 51);
        var a = await Lab.CreateAsync(new LabOptions { AddressPool = pool }, ct);
        var b = await Lab.CreateAsync(new LabOptions { AddressPool = pool }, ct);

        a.Addresses.Octet.ShouldNotBe(b.Addresses.Octet);
        a.Transport.Name.ShouldBe("virtual");
        a.Transport.CaptureFilter.ShouldBe(a.Addresses.CaptureFilter);
        await Should.ThrowAsync<LabAddressExhaustedException>(() => Lab.CreateAsync(new LabOptions { AddressPool = pool }, ct));

        await a.DisposeAsync();
        await a.DisposeAsync();
        pool.InUse.ShouldBe(1);
        await b.DisposeAsync();
        pool.InUse.ShouldBe(0);
    }

    [Fact]
    public async Task StartServiceAsync_Tftp_BoundInsideTheLabsBlockAndReachableAtItsLabAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await Lab.CreateAsync(new LabOptions(), ct);

        var service = await lab.StartServiceAsync(new TftpServiceSpec(IPAddress.Parse("10.0.0.1"), 69, new TftpServerOptions { RootPath = _root }), ct);

        service.Name.ShouldBe("tftp:10.0.0.1");
        service.Kind.ShouldBe(ServiceKind.Tftp);
        var map = ((VirtualTransport)lab.Transport).Map;
        var real = map.Find(IPAddress.Parse("10.0.0.1"), Switch.Network.LabProtocol.Udp, 69).ShouldNotBeNull();
        lab.Addresses.Contains(real.Address).ShouldBeTrue();
        lab.Services.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task StartServiceAsync_NoFactoryForTheSpec_RefusedClearly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await Lab.CreateAsync(new LabOptions(), ct);

        var e = await Should.ThrowAsync<NotSupportedException>(() => lab.StartServiceAsync(new UnknownSpec(IPAddress.Parse("10.0.0.9")), ct));

        e.Message.ShouldContain("DhcpRelay");
        lab.Services.ShouldBeEmpty();
    }

    [Fact]
    public async Task StartServiceAsync_HostileRootPath_FailsAndLeavesNothingRunning()
    {
        // A served root that is not a directory (a path through a file): the server refuses,
        // the lab keeps no half-started service, and the lab address stays unserved.
        var ct = TestContext.Current.CancellationToken;
        var file = Path.Combine(_root, "file");
        await File.WriteAllTextAsync(file, "x", ct);
        await using var lab = await Lab.CreateAsync(new LabOptions(), ct);

        await Should.ThrowAsync<Exception>(async () => await lab.StartServiceAsync(new TftpServiceSpec(IPAddress.Parse("10.0.0.1"), 69, new TftpServerOptions { RootPath = Path.Combine(file, "..", "file", "sub") }), ct));

        lab.Services.ShouldBeEmpty();
        ((VirtualTransport)lab.Transport).Map.Find(IPAddress.Parse("10.0.0.1"), Switch.Network.LabProtocol.Udp, 69).ShouldBeNull();
    }

    private LabSwitchOptions SwitchOptions(string name, int n) =>
        new(new SwitchSpec(
            new SwitchIdentity(name, "N9K-C93180YC-FX", $"FDO{n:D8}", PhysicalAddress.Parse($"00-A1-B2-C3-D4-{n:X2}"), "07.69", "04/08/2021", 53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module"),
            NxosVersion.Parse("10.3(3)F"), null, Path.Combine(_root, name)));

    [Fact]
    public async Task AddSwitchAsync_TwoSwitches_OwnClocksOwnAddressesInTheBlockLinkWrappedOnlyWhenFaulty()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await Lab.CreateAsync(new LabOptions { ClockStart = new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero) }, ct);

        var a = await lab.AddSwitchAsync(SwitchOptions("leaf-a", 1), ct);
        var b = await lab.AddSwitchAsync(SwitchOptions("leaf-b", 2) with { Link = new LinkFaults { Delay = TimeSpan.FromSeconds(1) } }, ct);
        a.Clock.Advance(TimeSpan.FromSeconds(30));

        a.Clock.ShouldNotBeSameAs(b.Clock);
        b.Clock.Elapsed.ShouldBe(TimeSpan.Zero);
        lab.Timeline.SwitchTime("leaf-a").ShouldBe(TimeSpan.FromSeconds(30));
        a.ClientAddress.ShouldNotBe(b.ClientAddress);
        lab.Addresses.Contains(a.ClientAddress!).ShouldBeTrue();
        lab.Addresses.Contains(b.ClientAddress!).ShouldBeTrue();
        lab.Clients.SwitchAt(b.ClientAddress!).ShouldBe("leaf-b");
        a.Link.ShouldBeNull();
        b.Link.ShouldNotBeNull();
        b.Network.ShouldBeSameAs(b.Link);
        b.Attempts.CurrentAttempt.ShouldBe(1);
        lab.Switches.Count.ShouldBe(2);
    }

    private sealed class FailingTransport(LoopbackBlock block) : ILabTransport
    {
        private readonly VirtualTransport _inner = new(block);

        public string Name => "failing";

        public string CaptureFilter => _inner.CaptureFilter;

        public PoapLab.Lab.Capture.LabCapture StartCapture(PoapLab.Lab.Capture.LabCaptureOptions options) => _inner.StartCapture(options);

        public ValueTask<LabServicePlace> PlaceServiceAsync(IPAddress labHost, LabProtocol protocol, int labPort, int prefixLength, CancellationToken cancellationToken) => _inner.PlaceServiceAsync(labHost, protocol, labPort, prefixLength, cancellationToken);

        public void ServiceBound(LabServicePlace place, IPEndPoint bound) => _inner.ServiceBound(place, bound);

        public void AddLogin(IPAddress labHost, int labPort, string labUser, string account) => _inner.AddLogin(labHost, labPort, labUser, account);

        public ValueTask<LabSwitchAttachment> AttachSwitchAsync(LabSwitchPlace place, CancellationToken cancellationToken) =>
            RefuseAttach ? throw new InvalidOperationException($"no room for {place.Name}") : _inner.AttachSwitchAsync(place, cancellationToken);

        public bool RefuseAttach { get; set; }

        public ValueTask DisposeAsync() => FailTeardown ? throw new InvalidOperationException("teardown failed") : _inner.DisposeAsync();

        public bool FailTeardown { get; set; } = true;
    }

    private sealed class FailingTransportFactory : ILabTransportFactory
    {
        public string Name => "failing";

        public ValueTask<ILabTransport> CreateAsync(LoopbackBlock addresses, CancellationToken cancellationToken) => ValueTask.FromResult<ILabTransport>(new FailingTransport(addresses));
    }

    [Fact]
    public async Task DisposeAsync_TransportTeardownFails_ServicesStoppedAndBlockGivenBack()
    {
        var ct = TestContext.Current.CancellationToken;
        var pool = new LoopbackBlockPool(53, 53);
        var lab = await Lab.CreateAsync(new LabOptions { AddressPool = pool, Transport = new FailingTransportFactory() }, ct);
        var service = await lab.StartServiceAsync(new TftpServiceSpec(IPAddress.Parse("10.0.0.1"), 69, new TftpServerOptions { RootPath = _root }), ct);
        var real = ((PoapLab.Lab.Services.Embedded.EmbeddedLabService<EmbeddedTftpServer>)service).Server.LocalEndPoint;

        await lab.DisposeAsync();

        pool.InUse.ShouldBe(0);
        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        probe.Bind(real);
    }

    [Fact]
    public async Task AddSwitchAsync_TransportRefusesTheSwitch_NameFreeAgainAndNothingLeftForIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await Lab.CreateAsync(new LabOptions { Transport = new FailingTransportFactory() }, ct);
        var transport = (FailingTransport)lab.Transport;
        transport.FailTeardown = false;
        transport.RefuseAttach = true;

        var e = await Should.ThrowAsync<InvalidOperationException>(() => lab.AddSwitchAsync(SwitchOptions("leaf-a", 1), ct));
        e.Message.ShouldContain("leaf-a");
        lab.Timeline.SwitchTime("leaf-a").ShouldBeNull();
        lab.Switches.ShouldBeEmpty();

        transport.RefuseAttach = false;
        var a = await lab.AddSwitchAsync(SwitchOptions("leaf-a", 1), ct);
        lab.Timeline.SwitchTime("leaf-a").ShouldBe(TimeSpan.Zero);
        lab.Clients.SwitchAt(a.ClientAddress!).ShouldBe("leaf-a");
    }
}
