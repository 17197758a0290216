using PoapLab.Switch.Cli;
using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary>The boot variables: <c>boot nxos</c>, the 6.x <c>boot kickstart</c>/<c>boot system</c> pair, <c>boot poap enable</c>.</summary>
public sealed class BootCommandsTests
{
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

    [Fact]
    public async Task BootKickstartAndSystem_6x_SetThePairShownByShowBootAndRunningConfig()
    {
        using var sw = CliTestSwitch.Nxos6();
        sw.WriteFile("n3000-uk9-kickstart.6.0.2.U6.10.bin", "k");
        sw.WriteFile("n3000-uk9.6.0.2.U6.10.bin", "s");

        await sw.Ok("config terminal ; boot kickstart bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin ; boot system bootflash:/n3000-uk9.6.0.2.U6.10.bin");

        sw.State.KickstartBootVariable.ShouldBe("bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin");
        sw.State.SystemBootVariable.ShouldBe("bootflash:/n3000-uk9.6.0.2.U6.10.bin");
        (await sw.Ok("show boot")).ShouldContain(
            "kickstart variable = bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin\nsystem variable = bootflash:/n3000-uk9.6.0.2.U6.10.bin\nBoot POAP Disabled\n");
        var running = await sw.Ok("show running-config | grep ^boot");
        running.ShouldBe("boot kickstart bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin\nboot system bootflash:/n3000-uk9.6.0.2.U6.10.bin\n");
    }

    [Fact]
    public async Task BootSystem_MissingImage_NoSuchFile()
    {
        using var sw = CliTestSwitch.Nxos6();
        var result = await sw.Run("conf t ; boot system bootflash:/missing.bin");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file");
        sw.State.SystemBootVariable.ShouldBeNull();
    }

    [Fact]
    public async Task BootNxos_On6x_IsInvalid()
    {
        using var sw = CliTestSwitch.Nxos6();
        var result = await sw.Run("config terminal ; boot nxos bootflash:/x.bin");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("boot nxos bootflash:/x.bin\n     ^\n% Invalid command at '^' marker.\n");
    }

    [Fact]
    public async Task BootKickstart_OnModernImage_IsInvalid()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("k.bin", "k");
        var result = await sw.Run("config terminal ; boot kickstart bootflash:/k.bin");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("boot kickstart bootflash:/k.bin\n     ^\n% Invalid command at '^' marker.\n");
        sw.State.KickstartBootVariable.ShouldBeNull();
    }

    [Fact]
    public async Task NoBootPoapEnable_ConfigAbbreviated_ClearsFlagAndSaves()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("config terminal ; boot poap enable");
        sw.State.BootPoapEnabled.ShouldBeTrue();
        await sw.Ok("config ; no boot poap enable");
        await sw.Ok("copy running-config startup-config");
        sw.State.BootPoapEnabled.ShouldBeFalse();
        sw.State.StartupConfig!.ShouldNotContain("boot poap enable");
        (await sw.Ok("show boot | i POAP")).ShouldBe("Boot POAP Disabled\nBoot POAP Disabled\n");
    }
}
