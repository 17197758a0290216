using PoapLab.Switch.Cli;
using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary><c>install all</c>, single-image and 6.x forms.</summary>
public sealed class InstallCommandsTests
{
    [Fact]
    public async Task InstallAll_NoReload_SetsBootVariableWithoutReload()
    {
        using var sw = new CliTestSwitch();
        NxosImage.Generate(sw.FlashFile("nxos64-cs.10.3.6.M.bin"), NxosVersion.Parse("10.3(6)M"), "cs", 4096);
        var output = await sw.Ok("terminal dont-ask ; install all nxos bootflash:/nxos64-cs.10.3.6.M.bin no-reload non-interruptive");
        output.ShouldEndWith("Install has been successful.\n");
        output.ShouldContain("10.3(6)");
        sw.State.BootVariable.ShouldBe("bootflash:/nxos64-cs.10.3.6.M.bin");
        sw.Cli.ReloadRequested.ShouldBeFalse();
    }

    [Fact]
    public async Task InstallAll_WithoutNoReload_RequestsReload()
    {
        using var sw = new CliTestSwitch();
        NxosImage.Generate(sw.FlashFile("nxos.9.3.10.bin"), NxosVersion.Parse("9.3(10)"), null, 4096);
        await sw.Ok("terminal dont-ask ; install all nxos bootflash:nxos.9.3.10.bin");
        sw.State.BootVariable.ShouldBe("bootflash:/nxos.9.3.10.bin");
        sw.Cli.ReloadRequested.ShouldBeTrue();
        sw.Cli.ReloadReason.ShouldBe("install all nxos bootflash:nxos.9.3.10.bin");
    }

    [Fact]
    public async Task InstallAll_NotAnImage_FailsAndLeavesBootVariable()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("junk.bin", "not an image at all");
        var result = await sw.Run("terminal dont-ask ; install all nxos bootflash:/junk.bin no-reload non-interruptive");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Install has failed");
        result.Output.ShouldContain("invalid image");
        sw.State.BootVariable.ShouldBeNull();
    }

    [Fact]
    public async Task InstallAll_MissingImage_NoSuchFile()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("install all nxos bootflash:/gone.bin no-reload");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file or directory");
        result.Output.ShouldContain("no such file");
    }

    [Fact]
    public async Task InstallAll_BiosWithBareName_DoesNotChangeBootVariable()
    {
        using var sw = new CliTestSwitch();
        NxosImage.Generate(sw.FlashFile("nxos.9.3.10.bin"), NxosVersion.Parse("9.3(10)"), null, 4096);
        (await sw.Ok("install all nxos nxos.9.3.10.bin bios")).ShouldEndWith("Install has been successful.\n");
        sw.State.BootVariable.ShouldBeNull();
        sw.Cli.ReloadRequested.ShouldBeFalse();
    }

    [Theory]
    [InlineData("install all nxos bootflash:a/canary-dir/canary.txt")]
    [InlineData("install all nxos bootflash:abs")]
    public async Task InstallAll_ImageThroughLinkOut_ImageVerificationFailsBootVariableUnset(string command)
    {
        using var t = new CliAttackHost();
        var result = await t.Run(command);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file or directory");
        t.Switch.State.BootVariable.ShouldBeNull();
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task InstallAllKickstartSystem_6x_SetsPairAndReloads()
    {
        using var sw = CliTestSwitch.Nxos6();
        sw.WriteFile("k.bin", "k");
        sw.WriteFile("s.bin", "s");
        var output = await sw.Ok("install all kickstart bootflash:k.bin system bootflash:s.bin");
        output.ShouldContain("Verifying image bootflash:s.bin for boot variable \"system\".\n");
        sw.State.KickstartBootVariable.ShouldBe("bootflash:/k.bin");
        sw.State.SystemBootVariable.ShouldBe("bootflash:/s.bin");
        sw.Cli.ReloadRequested.ShouldBeTrue();
    }

    [Fact]
    public async Task InstallAllKickstartSystem_MissingSystem_FailsWithoutChanges()
    {
        using var sw = CliTestSwitch.Nxos6();
        sw.WriteFile("k.bin", "k");
        var result = await sw.Run("install all kickstart bootflash:k.bin system bootflash:s.bin");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Install has failed. Return code 0x40930011.");
        sw.State.KickstartBootVariable.ShouldBeNull();
        sw.Cli.ReloadRequested.ShouldBeFalse();
        (await sw.Run("install all nxos bootflash:k.bin")).Status.ShouldBe(CliStatus.SyntaxError);
    }

    [Fact]
    public async Task InstallAll_BootPoapEnabled_Refused()
    {
        using var sw = new CliTestSwitch();
        NxosImage.Generate(sw.FlashFile("nxos.9.3.10.bin"), NxosVersion.Parse("9.3(10)"), null, 4096);
        await sw.Ok("configure terminal ; boot poap enable");
        var result = await sw.Run("terminal dont-ask ; install all nxos bootflash:nxos.9.3.10.bin no-reload");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("boot poap is enabled");
        sw.State.BootVariable.ShouldBeNull();
        await sw.Ok("configure terminal ; no boot poap enable");
        await sw.Ok("terminal dont-ask ; install all nxos bootflash:nxos.9.3.10.bin no-reload");
    }
}
