using System.Net;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Tests.Transports.Namespace;
using PoapLab.Lab.Transports.Namespace;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class InterfaceChangesTests
{
    private static async Task<NetworkNamespace> WithDummyAsync(CancellationToken ct)
    {
        var ns = await NetworkNamespace.CreateAsync("changes", ct);
        await ns.RunCheckedAsync("ip", ["link", "add", "eth9", "type", "veth", "peer", "name", "eth9p"], ct);
        await ns.RunCheckedAsync("ip", ["addr", "add", "10.0.0.1/24", "dev", "eth9"], ct);
        return ns;
    }

    [Fact]
    public async Task UndoAsync_AfterAddsAndLinkUp_LeavesTheInterfaceAsItWasIncludingWhatItAlreadyHad()
    {
        NamespaceRequirements.Check();
        var ct = TestContext.Current.CancellationToken;
        await using var ns = await WithDummyAsync(ct);
        var host = new InterfaceHost("eth9", ns);
        var (changes, _) = await InterfaceChanges.StartAsync(host, ct);
        await using (changes)
        {
            (await changes.AddAddressAsync(IPAddress.Parse("10.0.0.1"), 24, ct)).ShouldBeFalse("it was there already");
            (await changes.AddAddressAsync(IPAddress.Parse("10.0.0.2"), 24, ct)).ShouldBeTrue();
            await changes.EnsureUpAsync(ct);
            var during = (await host.InspectAsync(ct)).ShouldNotBeNull();
            during.IsUp.ShouldBeTrue();
            during.Addresses.Select(a => a.Address.ToString()).ShouldBe(["10.0.0.1", "10.0.0.2"], ignoreOrder: true);
            (await File.ReadAllTextAsync(changes.RecordFile, ct)).ShouldBe("link set dev eth9 down\naddress del 10.0.0.2/24 dev eth9\n");

            (await changes.UndoAsync()).ShouldBeEmpty();

            var after = (await host.InspectAsync(ct)).ShouldNotBeNull();
            after.IsUp.ShouldBeFalse();
            after.Addresses.Select(a => a.Address.ToString()).ShouldBe(["10.0.0.1"]);
        }
        File.Exists(changes.RecordFile).ShouldBeFalse();
    }

    [Fact]
    public async Task StartAsync_UndoFileOfARunThatIsGone_IsReplayedInItsNamespaceOnly()
    {
        NamespaceRequirements.Check();
        var ct = TestContext.Current.CancellationToken;
        await using var ns = await WithDummyAsync(ct);
        var host = new InterfaceHost("eth9", ns);
        await ns.RunCheckedAsync("ip", ["addr", "add", "10.0.0.7/24", "dev", "eth9"], ct);
        // A process id no process has (beyond pid_max's default), in this namespace; and one of another namespace.
        var id = host.NamespaceId.Replace(':', '-').Replace('[', '-').Replace(']', '-');
        var leftover = Path.Combine(InterfaceChanges.RecordDirectory, $"serve-99999999-{id}-eth9.batch");
        var foreign = Path.Combine(InterfaceChanges.RecordDirectory, "serve-99999999-net-1-eth9.batch");
        Directory.CreateDirectory(InterfaceChanges.RecordDirectory);
        await File.WriteAllTextAsync(leftover, "address del 10.0.0.7/24 dev eth9\n", ct);
        await File.WriteAllTextAsync(foreign, "address del 10.0.0.1/24 dev eth9\n", ct);
        try
        {
            var (changes, replayed) = await InterfaceChanges.StartAsync(host, ct);
            await changes.DisposeAsync();

            replayed.ShouldBe(["address del 10.0.0.7/24 dev eth9"]);
            (await host.InspectAsync(ct)).ShouldNotBeNull().Addresses.Select(a => a.Address.ToString()).ShouldBe(["10.0.0.1"]);
            File.Exists(leftover).ShouldBeFalse();
            File.Exists(foreign).ShouldBeTrue("another namespace's record is not this run's to replay");
        }
        finally
        {
            File.Delete(foreign);
            File.Delete(leftover);
        }
    }

    [Fact]
    public async Task Guardian_WhenItsPipeCloses_UndoesWhatTheFileLists()
    {
        NamespaceRequirements.Check();
        var ct = TestContext.Current.CancellationToken;
        await using var ns = await WithDummyAsync(ct);
        var host = new InterfaceHost("eth9", ns);
        var (changes, _) = await InterfaceChanges.StartAsync(host, ct);
        await changes.AddAddressAsync(IPAddress.Parse("10.0.0.3"), 24, ct);
        var guardian = System.Diagnostics.Process.GetProcessById(changes.GuardianPid);

        // As after kill -9: the pipe closes with nothing undone by PoapLab itself.
        changes.CloseGuardianPipeForTest();

        var undone = false;
        for (var look = 0; look < 100 && !undone; look++)
        {
            undone = !(await host.InspectAsync(ct))!.Addresses.Any(a => a.Address.ToString() == "10.0.0.3");
            await Task.Delay(50, ct);
        }
        undone.ShouldBeTrue();
        File.Exists(changes.RecordFile).ShouldBeFalse();
        await changes.DisposeAsync();
        guardian.Dispose();
    }
}
