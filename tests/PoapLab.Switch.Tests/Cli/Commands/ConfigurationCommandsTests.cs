using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary>Configuration mode, <c>write erase</c>, <c>reload</c>.</summary>
public sealed class ConfigurationCommandsTests
{
    [Fact]
    public async Task ConfigMode_CarriesAcrossSemicolonsButNotAcrossCalls()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("config terminal ; hostname leaf-101 ; ntp server 10.0.0.1 use-vrf management");
        sw.State.Hostname.ShouldBe("leaf-101");
        sw.State.RunningConfig.ShouldBe(["hostname leaf-101", "ntp server 10.0.0.1 use-vrf management"]);

        var next = await sw.Run("hostname other");
        next.Status.ShouldBe(CliStatus.SyntaxError);
        sw.State.Hostname.ShouldBe("leaf-101");
    }

    [Fact]
    public async Task ConfigMode_EndLeavesConfig()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("conf t ; end ; hostname x");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        sw.State.Hostname.ShouldBe("switch");
    }

    [Fact]
    public async Task WriteErase_WithoutDontAsk_PromptDefaultsToNo()
    {
        using var sw = new CliTestSwitch();
        sw.State.StartupConfig = ["hostname leaf"];
        (await sw.Ok("write erase")).ShouldContain("(y/n)  [n]");
        sw.State.StartupConfig.ShouldNotBeNull();
    }

    [Fact]
    public async Task WriteErase_WithDontAsk_ClearsStartupConfig()
    {
        using var sw = new CliTestSwitch();
        sw.State.StartupConfig = ["hostname leaf"];
        await sw.Ok("terminal dont-ask ; write erase");
        sw.State.StartupConfig.ShouldBeNull();
    }

    [Fact]
    public async Task WriteErase_DontAskFromEarlierCall_DoesNotCarryOver()
    {
        using var sw = new CliTestSwitch();
        sw.State.StartupConfig = ["hostname leaf"];
        await sw.Ok("terminal dont-ask");
        await sw.Ok("write erase");
        sw.State.StartupConfig.ShouldNotBeNull();
    }

    [Fact]
    public async Task Reload_SetsReloadRequestedAndStopsTheLine()
    {
        using var sw = new CliTestSwitch();
        var raised = 0;
        sw.Cli.ReloadRequestedChanged += (_, _) => raised++;
        await sw.Ok("terminal dont-ask ; reload ; config terminal ; hostname never");
        sw.Cli.ReloadRequested.ShouldBeTrue();
        raised.ShouldBe(1);
        sw.State.Hostname.ShouldBe("switch");
        sw.Cli.ClearReloadRequest();
        sw.Cli.ReloadRequested.ShouldBeFalse();
    }
}
