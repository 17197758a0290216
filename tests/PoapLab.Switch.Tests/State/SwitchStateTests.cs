using PoapLab.Switch.Cli;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Tests.Cli;
using PoapLab.Switch.Tests.Poap;

namespace PoapLab.Switch.Tests.State;

/// <summary>
/// The switch's state: a new switch's, how the configuration commands move it (running and
/// startup configuration, boot variables, the scheduled configuration), and what survives
/// a reload (flash, startup-config, boot variable) and what does not (running changes never saved).
/// </summary>
public sealed class SwitchStateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Constructor_NewSwitch_NoConfigurationNoBootVariableNothingStaged()
    {
        using var sw = new CliTestSwitch("10.3(6)");
        var state = sw.State;

        state.Hostname.ShouldBe("switch");
        state.RunningVersion.Display.ShouldBe("10.3(6)");
        state.RunningImage.ShouldBe("nxos64-cs.10.3.6.M.bin");
        state.StartupConfig.ShouldBeNull();
        state.RunningConfig.ShouldBeEmpty();
        state.ScheduledConfig.ShouldBeEmpty();
        state.BootVariable.ShouldBeNull();
        state.KickstartBootVariable.ShouldBeNull();
        state.SystemBootVariable.ShouldBeNull();
        state.BootPoapEnabled.ShouldBeFalse();
        state.Lease.ShouldBeNull();
        state.BootCount.ShouldBe(0);
        state.ImageFlavour.ShouldBe("cs");
    }

    [Fact]
    public async Task StartupConfig_CopiedFromRunning_IsASnapshotLaterChangesStayRunning()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("configure terminal ; hostname leaf-1");

        await sw.Ok("copy running-config startup-config");
        await sw.Ok("configure terminal ; hostname leaf-2");

        sw.State.Hostname.ShouldBe("leaf-2");
        sw.State.StartupConfig.ShouldNotBeNull().ShouldContain("hostname leaf-1");
        sw.State.StartupConfig.ShouldNotContain("hostname leaf-2");
        sw.State.RunningConfig.ShouldContain("hostname leaf-2");
        sw.State.RunningConfig.ShouldNotContain("hostname leaf-1");
    }

    [Fact]
    public async Task StartupConfig_WriteErase_GoneOnlyWhenTheScriptSaidDontAsk()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("configure terminal ; hostname leaf-1");
        await sw.Ok("copy running-config startup-config");

        // Nobody answers the prompt in a script: its default, No, is taken.
        (await sw.Ok("write erase")).ShouldContain("Do you wish to proceed anyway?");
        sw.State.StartupConfig.ShouldNotBeNull();

        await sw.Ok("terminal dont-ask ; write erase");
        sw.State.StartupConfig.ShouldBeNull();
        sw.State.RunningConfig.ShouldContain("hostname leaf-1");
    }

    [Fact]
    public async Task BootPoapEnable_SetAndCleared()
    {
        using var sw = new CliTestSwitch();

        await sw.Ok("configure terminal ; boot poap enable");
        sw.State.BootPoapEnabled.ShouldBeTrue();
        sw.State.RunningConfig.ShouldContain("boot poap enable");

        await sw.Ok("configure terminal ; no boot poap enable");
        sw.State.BootPoapEnabled.ShouldBeFalse();
        sw.State.RunningConfig.ShouldNotContain("boot poap enable");
    }

    [Fact]
    public async Task ScheduledConfig_CopiedFromAFile_HeldUntilTheNextBoot()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("poap_replay.cfg", "hostname leaf-101\ninterface Ethernet1/1\n  description uplink\n");

        await sw.Ok("copy bootflash:poap_replay.cfg scheduled-config");

        sw.State.ScheduledConfig.ShouldContain("hostname leaf-101");
        sw.State.ScheduledConfig.ShouldContain(l => l.Trim() == "description uplink");
        // Staged, not applied: the running configuration is untouched until the replay.
        sw.State.Hostname.ShouldBe("switch");
        sw.State.RunningConfig.ShouldBeEmpty();
    }

    [Fact]
    public async Task BootVariable_SetToAnImageNotOnFlash_Refused()
    {
        using var sw = new CliTestSwitch();

        var result = await sw.Run("configure terminal ; boot nxos bootflash:nxos64-cs.10.3.6.M.bin");

        result.Status.ShouldNotBe(CliStatus.Ok);
        sw.State.BootVariable.ShouldBeNull();
    }

    [Fact]
    public async Task Reload_RunningChangesNeverSaved_LostFlashAndBootVariableAndStartupConfigKept()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeImage("nxos64-cs.10.3.6.M.bin", "10.3(6)");
        lab.Serve("leaf-101.cfg", "hostname leaf-101\n");
        lab.ServeScript(
            "from cli import cli\n" +
            "cli('copy tftp://10.0.0.1/nxos64-cs.10.3.6.M.bin bootflash:nxos64-cs.10.3.6.M.bin vrf management')\n" +
            "cli('copy tftp://10.0.0.1/leaf-101.cfg bootflash:poap_replay.cfg vrf management')\n" +
            "cli('configure terminal ; hostname not-saved ; boot nxos bootflash:nxos64-cs.10.3.6.M.bin')\n" +
            "cli('copy bootflash:poap_replay.cfg scheduled-config')\n" +
            "open('/bootflash/kept.txt', 'w').write('on flash')\n");
        var sw = lab.Switch();

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Provisioned);
        var state = sw.State;
        state.Hostname.ShouldBe("leaf-101");
        state.RunningConfig.ShouldNotContain("hostname not-saved");
        state.ScheduledConfig.ShouldBeEmpty(); // consumed by the replay
        state.StartupConfig.ShouldBe(state.RunningConfig); // saved after the replay
        state.BootVariable.ShouldBe("bootflash:/nxos64-cs.10.3.6.M.bin");
        state.RunningImage.ShouldBe("nxos64-cs.10.3.6.M.bin");
        state.BootCount.ShouldBe(2);
        state.Bootflash.Files.ReadAllBytes("kept.txt", 100, followLinks: false).ShouldBe("on flash"u8.ToArray());
        // Both images are on the flash: the reload does not remove the old one.
        state.Bootflash.Files.FileExists("nxos.9.3.8.bin").ShouldBeTrue();
    }
}
