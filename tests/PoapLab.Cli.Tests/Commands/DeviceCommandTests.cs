using PoapLab.Cli.Commands;
using PoapLab.Lab.Hardware;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary><c>poaplab device</c>: refusals, and the interface given back as it was.</summary>
public sealed class DeviceCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-device-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string HappyPath => Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml");

    private async Task<(int Exit, string Errors)> RunAsync(InterfaceHost host, string name = "leaf-101", CancellationToken? stop = null)
    {
        var errors = new List<string>();
        var (exit, _) = await DeviceCommand.DeviceAsync(HappyPath, name, host, Path.Combine(_dir, "out"), new DeviceCommand.Settings { AnnounceInterval = TimeSpan.FromSeconds(1) },
            _ => { }, errors.Add, stop ?? TestContext.Current.CancellationToken);
        return (exit, string.Join('\n', errors));
    }

    [Fact]
    public async Task DeviceAsync_InterfaceThatDoesNotExist_Refuses()
    {
        HardwarePair.Require();
        await using var pair = await HardwarePair.CreateAsync(TestContext.Current.CancellationToken);

        var (exit, errors) = await RunAsync(new InterfaceHost("nosuch0", pair.DeviceSide));

        exit.ShouldBe(2);
        errors.ShouldContain("there is no interface nosuch0");
    }

    [Fact]
    public async Task DeviceAsync_Loopback_RefusesAndLeavesIt()
    {
        HardwarePair.Require();
        await using var pair = await HardwarePair.CreateAsync(TestContext.Current.CancellationToken);

        var (exit, errors) = await RunAsync(new InterfaceHost("lo", pair.DeviceSide));

        exit.ShouldBe(2);
        errors.ShouldContain("loopback");
        (await pair.DeviceSide.RunAsync("ip", ["-o", "link", "show", "dev", "lo"], CancellationToken.None)).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task DeviceAsync_SwitchTheScenarioDoesNotHave_RefusesNamingThoseItHas()
    {
        var (exit, errors) = await RunAsync(new InterfaceHost("nosuch0"), "spine-9");

        exit.ShouldBe(2);
        errors.ShouldContain("has no switch 'spine-9' (it has leaf-101)");
    }

    [Fact]
    public async Task DeviceAsync_StoppedMidPoap_GivesTheInterfaceBackWithItsNameMacAndState()
    {
        HardwarePair.Require();
        var ct = TestContext.Current.CancellationToken;
        await using var pair = await HardwarePair.CreateAsync(ct);
        var before = (await pair.DeviceHost.InspectAsync(ct)).ShouldNotBeNull();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = RunAsync(pair.DeviceHost, stop: stop.Token);
        // No server on the segment: the switch keeps discovering; its mgmt0 is the veth's end meanwhile.
        var gone = false;
        for (var look = 0; look < 300 && !gone; look++)
        {
            gone = await pair.DeviceHost.InspectAsync(ct) is null;
            await Task.Delay(50, ct);
        }
        gone.ShouldBeTrue("the interface moved into the device's namespace");

        await stop.CancelAsync();
        var (exit, errors) = await run.WaitAsync(TimeSpan.FromSeconds(60), ct);

        exit.ShouldBe(130, errors);
        var after = (await pair.DeviceHost.InspectAsync(ct)).ShouldNotBeNull("given back");
        (after.Name, after.Mac, after.IsUp).ShouldBe((before.Name, before.Mac, before.IsUp));
    }
}
