using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Lab.Transports.Namespace;

namespace PoapLab.Lab.Tests.Transports.Namespace;

public sealed class LabSegmentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddHostAndSwitch_AddressedSwitch_ReachesTheHostOverTheBridge()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var host = await segment.AddHostAsync(IPAddress.Parse("10.0.0.1"), 24, null, Ct);
        var sw = await segment.AddSwitchAsync("leaf-101", PhysicalAddress.Parse("00-A1-B2-C3-D4-E5"), Ct);
        using var listener = host.Create(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Any, 7000));
        listener.Listen(1);

        var network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));
        await network.ConfigureAsync(IPAddress.Parse("10.0.0.50"), 24, IPAddress.Parse("10.0.0.254"), Ct);
        await using var stream = await network.ConnectTcpAsync(IPAddress.Parse("10.0.0.1"), 7000, Ct);
        using var accepted = await listener.AcceptAsync(Ct);

        ((IPEndPoint)accepted.RemoteEndPoint!).Address.ShouldBe(IPAddress.Parse("10.0.0.50"));
        (await sw.Namespace.RunAsync("ip", ["-o", "link", "show", SwitchPort.Interface], Ct)).Output.ShouldContain("00:a1:b2:c3:d4:e5");
        var bridge = await segment.Namespace.RunAsync("ip", ["-o", "link", "show", "master", LabSegment.BridgeName], Ct);
        bridge.Output.ShouldContain(host.BridgePort + "@");
        bridge.Output.ShouldContain(sw.BridgePort + "@");
    }

    [Fact]
    public async Task AddHostAsync_SameAddressTwice_OneHost()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        var a = await segment.AddHostAsync(IPAddress.Parse("10.0.0.1"), 24, null, Ct);
        var b = await segment.AddHostAsync(IPAddress.Parse("10.0.0.1"), 24, null, Ct);
        b.ShouldBeSameAs(a);
        segment.Hosts.Count.ShouldBe(1);
    }

    [Fact]
    public async Task DisposeAsync_Segment_EveryHolderReapedAndNoInterfaceLeftOnTheMachine()
    {
        NamespaceRequirements.Check();
        var before = await Machine("ip", "-o", "link");
        var segment = await LabSegment.CreateAsync(Ct);
        var host = await segment.AddHostAsync(IPAddress.Parse("10.0.0.1"), 24, null, Ct);
        var sw = await segment.AddSwitchAsync("leaf", null, Ct);
        int[] holders = [segment.Namespace.HolderPid, host.Namespace.HolderPid, sw.Namespace.HolderPid];
        // Nothing appeared in the machine's own namespace.
        (await Machine("ip", "-o", "link")).ShouldBe(before);

        await segment.DisposeAsync();

        foreach (var pid in holders)
        {
            NamespaceRequirements.Exists(pid).ShouldBeFalse($"holder {pid} left behind");
        }
        (await Machine("ip", "-o", "link")).ShouldBe(before);
    }

    [Fact]
    public async Task AddHostAsync_HostilePrefixLength_RefusedBeforeAnythingIsMade()
    {
        NamespaceRequirements.Check();
        await using var segment = await LabSegment.CreateAsync(Ct);
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => segment.AddHostAsync(IPAddress.Parse("10.0.0.1"), 33, null, Ct));
        segment.Hosts.ShouldBeEmpty();
    }

    private static async Task<string> Machine(string file, params string[] args)
    {
        var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args) { RedirectStandardOutput = true })!;
        var text = await p.StandardOutput.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        return text;
    }
}
