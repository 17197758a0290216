using System.Net;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Services;
using PoapLab.Lab.Transports.Virtual;
using PoapLab.Servers.Tftp;

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
}
