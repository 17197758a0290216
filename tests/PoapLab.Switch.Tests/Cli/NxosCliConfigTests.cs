using PoapLab.Switch.Cli;
using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Tests.Cli;

public sealed class NxosCliConfigTests
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
    public async Task BootNxos_ExistingImage_SetsBootVariable()
    {
        using var sw = new CliTestSwitch();
        NxosImage.Generate(sw.FlashFile("nxos64-cs.10.3.6.M.bin"), NxosVersion.Parse("10.3(6)M"), "cs", 4096);
        await sw.Ok("config terminal ; boot nxos bootflash:/nxos64-cs.10.3.6.M.bin");
        sw.State.BootVariable.ShouldBe("bootflash:/nxos64-cs.10.3.6.M.bin");
        (await sw.Ok("copy running-config startup-config")).ShouldEndWith("Copy complete.\n");
        sw.State.StartupConfig!.ShouldContain("boot nxos bootflash:/nxos64-cs.10.3.6.M.bin");
        (await sw.Ok("show boot")).ShouldContain("NXOS variable = bootflash:/nxos64-cs.10.3.6.M.bin\n");
        (await sw.Ok("show running-config | i boot")).ShouldBe("boot nxos bootflash:/nxos64-cs.10.3.6.M.bin\n");
    }

    [Fact]
    public async Task BootNxos_MissingImage_FailsAndStopsChain()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("config terminal ; boot nxos bootflash:/nope.bin ; hostname after");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file or directory");
        sw.State.BootVariable.ShouldBeNull();
        sw.State.Hostname.ShouldBe("switch");
    }

    [Fact]
    public async Task BootPoapEnable_TogglesFlag()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("config ; boot poap enable");
        sw.State.BootPoapEnabled.ShouldBeTrue();
        await sw.Ok("config ; no boot poap enable");
        sw.State.BootPoapEnabled.ShouldBeFalse();
        sw.State.RunningConfig.ShouldNotContain("boot poap enable");
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

    [Fact]
    public async Task Terminal_LengthAndWidth_Accepted()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("terminal length 0 ; terminal width 511");
        (await sw.Run("terminal length x")).Status.ShouldBe(CliStatus.SyntaxError);
    }

    [Theory]
    [InlineData("boot nxos bootflash:a/canary-dir/canary.txt")]
    [InlineData("boot nxos bootflash:b/canary.txt")]
    public async Task BootNxos_ImageThroughLinkOut_PermissionDeniedBootVariableUnset(string command)
    {
        using var t = new CliAttackHost();
        var result = await t.Run("configure terminal ; " + command);
        result.Output.ShouldContain("Permission denied");
        t.Switch.State.BootVariable.ShouldBeNull();
        t.Host.CanariesIntact();
    }
}
