using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Device;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;
using PoapLab.Switch.Tests.Poap;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Device;

/// <summary>
/// The switch around the POAP agent: what it does at power-on with and without a
/// startup-config, a boot variable that names no image, operator aborts and power losses,
/// the reload bound, and what building and disposing it leave behind.
/// </summary>
public sealed class NexusSwitchTests
{
    private const string Image = "nxos64-cs.10.3.6.M.bin";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Fetch(string file) => $"cli('copy tftp://10.0.0.1/{file} bootflash:{file} vrf management')\n";

    [Fact]
    public async Task PowerOn_StartupConfigPresent_BootsWithItAndNeverRunsPoap()
    {
        await using var lab = await PoapTestLab.StartAsync();
        var sw = lab.Switch();
        sw.State.StartupConfig = ["hostname core-1", "feature lldp"];

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Provisioned);
        run.Attempts.ShouldBeEmpty();
        run.Reloads.ShouldBe(0);
        run.PhasesReached.ShouldBe([PoapPhase.Boot, PoapPhase.Completed]);
        sw.State.RunningConfig.ShouldBe(["hostname core-1", "feature lldp"]);
        lab.Events(EventKinds.PoapStarted).ShouldBeEmpty();
        lab.Events(EventKinds.DhcpDiscoverSent).ShouldBeEmpty();
    }

    [Fact]
    public async Task PowerOn_UpWithItsConfiguration_AnnouncesHostnameSerialVersionAndLldpOnMgmt0()
    {
        await using var lab = await PoapTestLab.StartAsync(withDhcp: false);
        var sw = lab.Switch();
        sw.State.StartupConfig = ["hostname core-1", "feature lldp"];

        await sw.PowerOnAsync(Ct);

        var a = lab.Network.Announcements.ShouldHaveSingleItem();
        a.DeviceId.ShouldBe($"core-1({PoapTestLab.Serial})");
        a.Hostname.ShouldBe("core-1");
        a.SoftwareVersion.ShouldBe("Cisco Nexus Operating System (NX-OS) Software, Version 9.3(8)");
        a.Platform.ShouldBe(sw.State.Identity.Model);
        a.PortId.ShouldBe("mgmt0");
        a.Mac.ShouldBe(PoapTestLab.Mac);
        a.Lldp.ShouldBeTrue();
    }

    [Fact]
    public async Task PowerOn_BootPoapEnabled_RunsPoapDespiteTheStartupConfig()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "File not found"); // nothing is served on purpose
        await using var lab = await PoapTestLab.StartAsync();
        var sw = lab.Switch();
        sw.State.StartupConfig = ["hostname core-1"];
        sw.State.BootPoapEnabled = true;

        var run = await sw.PowerOnAsync(Ct);

        lab.Events(EventKinds.PoapStarted).ShouldHaveSingleItem();
        run.Outcome.ShouldBe(PoapOutcome.Failed); // nothing is served: the script download fails
        lab.Network.Announcements.ShouldBeEmpty(); // a switch still in POAP says nothing on its link
        run.Attempts.ShouldHaveSingleItem().Reached.ShouldBe(PoapPhase.ScriptDownload);
    }

    [Fact]
    public async Task PowerOn_BootVariableNamesAnImageNoLongerOnFlash_BootFailsAtTheLoader()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeImage(Image, "10.3(6)");
        lab.ServeScript(
            "import os\nfrom cli import cli\n" + Fetch(Image) +
            $"cli('configure terminal ; boot nxos bootflash:{Image}')\n" +
            $"os.remove('/bootflash/{Image}')\n");
        var sw = lab.Switch();

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.BootFailed);
        run.Reason.ShouldBe($"the boot variable names bootflash:/{Image}, which is not on bootflash");
        run.Reloads.ShouldBe(1);
        run.RunningVersion.ShouldBe("9.3(8)"); // it never got past the loader
        lab.Events(EventKinds.BootFailed).Single().Get("boot").ShouldBe("2");
        File.ReadAllText(sw.ConsolePath).ShouldContain("loader >");
    }

    [Fact]
    public async Task PowerOn_ImageOverwrittenAfterTheBootVariableWasSet_BootFailsNotBootable()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeImage("custom.bin", "10.3(6)");
        lab.ServeScript(
            "from cli import cli\n" + Fetch("custom.bin") +
            "cli('configure terminal ; boot nxos bootflash:custom.bin')\n" +
            "open('/bootflash/custom.bin', 'wb').write(b'not an image any more')\n");

        var run = await lab.Switch().PowerOnAsync(Ct);

        run.Reason.ShouldBe("the boot variable names bootflash:/custom.bin, which is not a bootable NX-OS image");
        run.Outcome.ShouldBe(PoapOutcome.BootFailed);
    }

    [Fact]
    public async Task PowerOn_ScriptSetsTheBootVariableToANonImage_RefusedAndTheAttemptFails()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript(
            "from cli import cli\n" +
            "open('/bootflash/junk.bin', 'wb').write(b'not an image')\n" +
            "cli('configure terminal ; boot nxos bootflash:junk.bin')\n");
        var sw = lab.Switch();

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Failed);
        run.Attempts.ShouldHaveSingleItem().Failure.ShouldBe("the script exited with 1 (script.sh:5: cli.cmd_exec_error: Image verification failed for bootflash:junk.bin: not a valid NX-OS image)");
        sw.State.BootVariable.ShouldBeNull();
    }

    [Fact]
    public async Task PowerOn_ScriptSucceedsButStagesNothing_ReloadLoopAfterTheAllowedReloads()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript("print('nothing to do')\n");
        // Attempts are counted across reloads: enough of them for every round.
        var settings = PoapTestLab.Settings(maxAttempts: 5) with { MaxReloads = 2 };

        var run = await lab.Switch(settings).PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.ReloadLoop, run.Reason);
        run.Attempts.Count.ShouldBe(2);
        run.Reloads.ShouldBe(2);
        run.Reason.ShouldBe("the switch came up without a startup-config after 2 reloads and would run POAP again");
        lab.Events(EventKinds.Reload).Count().ShouldBe(2);
        lab.Events(EventKinds.SwitchBoot).Count().ShouldBe(3);
    }

    [Fact]
    public async Task PowerOn_InstallAllWithoutNoReload_ScriptKilledThereSwitchBootsTheNewImage()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeImage("nxos.9.3.10.bin", "9.3(10)");
        lab.Serve("leaf-101.cfg", "hostname leaf-101\n");
        lab.ServeScript(
            "from cli import cli\n" +
            "if '9.3(10)' not in cli('show version'):\n" +
            "    " + Fetch("nxos.9.3.10.bin") +
            "    cli('terminal dont-ask ; install all nxos bootflash:nxos.9.3.10.bin non-interruptive')\n" +
            "    open('/bootflash/after-install.txt', 'w').write('the script went on past the reload')\n" +
            "else:\n" +
            "    " + Fetch("leaf-101.cfg") +
            "    cli('copy bootflash:leaf-101.cfg scheduled-config')\n");
        var sw = lab.Switch(PoapTestLab.Settings(maxAttempts: 3));

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
        sw.State.Bootflash.Files.FileExists("after-install.txt").ShouldBeFalse();
        run.RunningVersion.ShouldBe("9.3(10)");
        run.Attempts.Count.ShouldBe(2);
        lab.Events(EventKinds.ScriptExited).First().Message.ShouldContain("the switch reloaded under the script (install all nxos");
        sw.Cli.ReloadRequested.ShouldBeFalse();
    }

    [Fact]
    public async Task PowerOn_OperatorAbortsAtDhcp_AbortedWithoutRunningTheScript()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript("print('never')\n");
        var settings = PoapTestLab.Settings() with { Faults = [new SwitchFault(SwitchFaultKind.OperatorAbort, PoapPhase.Dhcp)] };

        var run = await lab.Switch(settings).PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Aborted);
        run.Reason.ShouldNotBeNull().ShouldStartWith("the operator aborted POAP");
        lab.Events(EventKinds.PoapAborted).ShouldHaveSingleItem();
        lab.Events(EventKinds.DhcpDiscoverSent).ShouldBeEmpty();
        lab.Events(EventKinds.ScriptStarted).ShouldBeEmpty();
    }

    [Fact]
    public async Task PowerOn_PowerLostDuringTheScript_BootsAgainFromFlashAndRetries()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.Serve("leaf-101.cfg", "hostname leaf-101\n");
        lab.ServeScript(
            "from cli import cli\n" + Fetch("leaf-101.cfg") +
            "cli('copy bootflash:leaf-101.cfg scheduled-config')\n");
        var settings = PoapTestLab.Settings(maxAttempts: 2) with
        {
            Faults = [new SwitchFault(SwitchFaultKind.PowerLoss, PoapPhase.ScriptRun, Attempt: 1, AfterCommands: 1)],
        };
        var sw = lab.Switch(settings);

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
        lab.Events(EventKinds.PowerLoss).ShouldHaveSingleItem();
        run.Attempts[0].Failure.ShouldNotBeNull().ShouldStartWith("interrupted: power loss");
        run.Attempts[^1].Succeeded.ShouldBeTrue();
        // Power-on, the boot after the power loss, the reload after POAP.
        sw.State.BootCount.ShouldBe(3);
        sw.State.StartupConfig.ShouldNotBeNull().ShouldContain("hostname leaf-101");
        // The file the script fetched before the power went is still on the flash.
        sw.State.Bootflash.Files.FileExists("leaf-101.cfg").ShouldBeTrue();
    }

    [Fact]
    public async Task Dispose_AfterARun_LogsStayReadableAndTheTreeCanBeRemoved()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript("print('nothing to do')\n");
        var sw = lab.Switch(PoapTestLab.Settings() with { MaxReloads = 1 });
        await sw.PowerOnAsync(Ct);

        sw.Dispose();

        File.ReadAllText(sw.SyslogPath).ShouldContain("POAP_SCRIPT_EXECUTION_SUCCESS");
        File.ReadAllText(sw.ConsolePath).ShouldContain("Reloading the switch after POAP");
    }

    [Fact]
    public async Task ReleaseFilesystems_AfterARun_FlashStaysReadableAndPowerOnIsRefused()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript("print('nothing to do')\n");
        var sw = lab.Switch(PoapTestLab.Settings() with { MaxReloads = 1 });
        await sw.PowerOnAsync(Ct);
        var before = sw.FlashFiles();

        sw.ReleaseFilesystems();

        // What the run left is still there to report (the init log closed and kept).
        before.ShouldContain(f => f.EndsWith("_init.log", StringComparison.Ordinal));
        sw.FlashFiles().ShouldBe(before);
        System.Text.Encoding.UTF8.GetString(sw.State.Bootflash.Files.ReadAllBytes(before.First(f => f.EndsWith("_init.log", StringComparison.Ordinal)), 1 << 20)).ShouldContain("POAP");
        (await Should.ThrowAsync<InvalidOperationException>(() => sw.PowerOnAsync(Ct))).Message.ShouldContain("released");
        // Releasing again, and disposing after, are harmless.
        sw.ReleaseFilesystems();
        sw.Dispose();
    }

    [Fact]
    public async Task ReleaseFilesystems_AfterARun_NoDescriptorOfItsLogsLeft()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript("print('nothing to do')\n");
        var sw = lab.Switch(PoapTestLab.Settings() with { MaxReloads = 1 });
        await sw.PowerOnAsync(Ct);
        var root = Path.GetDirectoryName(sw.State.Filesystem.BootflashPath)!;
        static IEnumerable<string> Open(string under) => Directory.EnumerateFileSystemEntries("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget ?? ""; } catch (IOException) { return ""; } })
            .Where(t => t.StartsWith(under + "/", StringComparison.Ordinal));
        Open(root).ShouldContain(t => t.EndsWith("syslog.log", StringComparison.Ordinal));

        sw.ReleaseFilesystems();

        // A fleet of 10,000 switches must not hold their log files open until the lab ends.
        Open(root).ShouldBeEmpty();
        File.ReadAllText(sw.SyslogPath).ShouldNotBeEmpty();
        sw.Dispose();
    }

    [Fact]
    public void FlashFiles_LinkAndDirectoryOnFlash_OnlyRegularFilesSorted()
    {
        var root = Directory.CreateTempSubdirectory("poaplab-device-").FullName;
        try
        {
            var identity = new SwitchIdentity("leaf", "N9K-C93108TC-EX", "FDO23490570", PhysicalAddress.Parse("00-A1-B2-C3-D4-E5"),
                "07.69", "04/08/2021", 53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module");
            var spec = new SwitchSpec(identity, NxosVersion.Parse("10.3(6)"), null, Path.Combine(root, "sw")) { RunningImageBytes = 32 * 1024 };
            var clock = new SimClock(DateTimeOffset.UnixEpoch);
            using var sw = new NexusSwitch(spec, new TestLabNetwork(), clock, new Timeline(clock), new ScriptHost());
            var flash = sw.State.Filesystem.BootflashPath;
            Directory.CreateDirectory(Path.Combine(flash, "scripts"));
            File.WriteAllText(Path.Combine(flash, "scripts", "a.py"), "x");
            File.CreateSymbolicLink(Path.Combine(flash, "link.cfg"), "/etc/passwd");

            sw.FlashFiles().ShouldBe(["nxos64-cs.10.3.6.M.bin", "scripts/a.py"]);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Constructor_EmptyFlash_ThePowerOnImageIsGeneratedThere()
    {
        var root = Directory.CreateTempSubdirectory("poaplab-device-").FullName;
        try
        {
            var identity = new SwitchIdentity("leaf", "N9K-C93108TC-EX", "FDO23490570", PhysicalAddress.Parse("00-A1-B2-C3-D4-E5"),
                "07.69", "04/08/2021", 53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module");
            var spec = new SwitchSpec(identity, NxosVersion.Parse("10.3(6)"), null, Path.Combine(root, "sw")) { RunningImageBytes = 32 * 1024 };
            var clock = new SimClock(DateTimeOffset.UnixEpoch);

            using var sw = new NexusSwitch(spec, new TestLabNetwork(), clock, new Timeline(clock), new ScriptHost());

            sw.Source.ShouldBe("switch:leaf");
            sw.State.RunningImage.ShouldBe("nxos64-cs.10.3.6.M.bin");
            var image = NxosImage.TryRead(sw.State.Bootflash.Files, "nxos64-cs.10.3.6.M.bin").ShouldNotBeNull();
            image.Version.Display.ShouldBe("10.3(6)");
            image.FromHeader.ShouldBeTrue();
            sw.State.Bootflash.Files.Stat("nxos64-cs.10.3.6.M.bin", followLinks: false)!.Size.ShouldBe(32 * 1024);
            sw.State.StartupConfig.ShouldBeNull();
            sw.State.BootCount.ShouldBe(0);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
