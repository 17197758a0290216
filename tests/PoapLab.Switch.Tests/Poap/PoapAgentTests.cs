using PoapLab.Core.Events;
using PoapLab.Switch.Poap;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Poap;

/// <summary>
/// The POAP agent's flow, driven through a switch's power-on against the embedded DHCP and
/// TFTP servers: DHCP, script download, <c>#md5sum</c>, the script run and its timeout,
/// retries, giving up, and the reload onto the new image with the configuration replayed.
/// </summary>
public sealed class PoapAgentTests
{
    private const string Image = "nxos64-cs.10.3.6.M.bin";

    /// <summary>What a POAP script does at its simplest: fetch image and config, set the boot variable, stage the config.</summary>
    private const string UpgradeScript =
        "from cli import cli\n" +
        "cli('copy tftp://10.0.0.1/" + Image + " bootflash:" + Image + " vrf management')\n" +
        "cli('copy tftp://10.0.0.1/leaf-101.cfg bootflash:poap_replay.cfg vrf management')\n" +
        "cli('configure terminal ; boot nxos bootflash:" + Image + "')\n" +
        "cli('copy bootflash:poap_replay.cfg scheduled-config')\n";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<PoapTestLab> UpgradeLabAsync()
    {
        var lab = await PoapTestLab.StartAsync();
        lab.ServeScript(UpgradeScript);
        lab.ServeImage(Image, "10.3(6)");
        lab.Serve("leaf-101.cfg", "hostname leaf-101\nfeature lldp\ninterface Ethernet1/1\n  description uplink\n");
        return lab;
    }

    [Fact]
    public async Task PowerOn_ScriptUpgradesAndStagesConfig_ReloadsOntoNewImageAndReplaysConfig()
    {
        await using var lab = await UpgradeLabAsync();
        var sw = lab.Switch();

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
        run.Attempts.Count.ShouldBe(1);
        run.Reloads.ShouldBe(1);
        run.RunningVersion.ShouldBe("10.3(6)");
        run.RunningImage.ShouldBe(Image);
        run.PhasesReached.ShouldBe([PoapPhase.Boot, PoapPhase.Dhcp, PoapPhase.ScriptDownload, PoapPhase.ScriptValidation,
            PoapPhase.ScriptRun, PoapPhase.Reload, PoapPhase.ConfigReplay, PoapPhase.Completed]);
        sw.State.RunningConfig.ShouldContain("hostname leaf-101", string.Join(" / ", sw.State.RunningConfig));
        sw.State.RunningConfig.ShouldContain("description uplink");
        sw.State.BootVariable.ShouldBe("bootflash:/" + Image);
        sw.State.StartupConfig.ShouldNotBeNull().ShouldContain("feature lldp");
        sw.State.BootCount.ShouldBe(2);
        sw.State.Hostname.ShouldBe("leaf-101");
        lab.Events(EventKinds.DhcpAckReceived).Single().Get("address").ShouldBe("10.0.0.100");
        lab.Events(EventKinds.ScriptMd5Validated).Single().Get("validated").ShouldBeNull();
        lab.Events(EventKinds.ConfigReplayed).Single().Get("errors").ShouldBe("0");
        lab.Events(EventKinds.BootImage).Select(e => e.Get("version")).ShouldBe(["9.3(8)", "10.3(6)"]);
        // The reload takes modelled minutes of switch time, not real ones.
        lab.Clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task PowerOn_StaleMd5sum_FailsAtValidationScriptNeverRuns()
    {
        await using var lab = await UpgradeLabAsync();
        lab.ServeScript(UpgradeScript, ScriptMd5Mode.Stale);

        var run = await lab.Switch().PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Failed);
        var attempt = run.Attempts.ShouldHaveSingleItem();
        attempt.Reached.ShouldBe(PoapPhase.ScriptValidation);
        attempt.Failure.ShouldNotBeNull().ShouldStartWith("the script's #md5sum is 00000000000000000000000000000000 but the script's MD5 is ");
        attempt.Failure.ShouldEndWith("recompute it after editing (poaplab md5 --fix)");
        lab.Events(EventKinds.ScriptMd5Failed).Single().Get("status").ShouldBe("Mismatch");
        lab.Events(EventKinds.ScriptStarted).ShouldBeEmpty();
        run.PhasesReached.ShouldNotContain(PoapPhase.ScriptRun);
        run.RunningVersion.ShouldBe("9.3(8)");
    }

    [Fact]
    public async Task PowerOn_ScriptHangs_KilledAtItsTimeoutAndTheAttemptFails()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript("import select\nselect.select([], [], [])\n");
        var settings = PoapTestLab.Settings() with { ScriptTimeout = TimeSpan.FromSeconds(1) };

        var run = await lab.Switch(settings).PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Failed);
        run.Attempts.ShouldHaveSingleItem().Failure.ShouldBe("the script ran past its timeout of 1 s and was killed");
        lab.Events(EventKinds.ScriptTimedOut).Single().Get("end").ShouldBe("TimedOut");
        lab.Events(EventKinds.ScriptExited).ShouldBeEmpty();
    }

    [Fact]
    public async Task PowerOn_ScriptKeepsFailing_RetriesAfterTheDelayThenGivesUpAtMaxAttempts()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript("import sys\nsys.stderr.write('Traceback: no image for this serial\\n')\nsys.exit(1)\n");
        var settings = PoapTestLab.Settings(maxAttempts: 3) with { RetryDelay = TimeSpan.FromSeconds(45) };

        var run = await lab.Switch(settings).PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Failed);
        run.Attempts.Select(a => a.Number).ShouldBe([1, 2, 3]);
        run.Attempts.ShouldAllBe(a => a.Reached == PoapPhase.ScriptRun && a.ScriptExitCode == 1);
        run.Attempts[0].Failure.ShouldNotBeNull().ShouldContain("the script exited with 1");
        run.Reason.ShouldNotBeNull().ShouldStartWith("attempt 3: the script exited with 1");
        var starts = lab.Events(EventKinds.PoapAttempt).Select(e => e.VirtualTime).ToList();
        starts.Count.ShouldBe(3);
        for (var i = 1; i < starts.Count; i++)
        {
            (starts[i] - starts[i - 1]).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(45)); // the retry delay, on the switch's clock
        }
        // The lease is given back after each failed attempt, and a new one taken.
        lab.Events(EventKinds.DhcpReleaseSent).Count().ShouldBe(3);
        lab.Events(EventKinds.DhcpAckReceived).Count().ShouldBe(3);
        lab.Events(EventKinds.PoapGaveUp).Single().Get("attempts").ShouldBe("3");
    }

    [Fact]
    public async Task PowerOn_ScriptFailsOnceThenSucceeds_SecondAttemptProvisions()
    {
        await using var lab = await UpgradeLabAsync();
        // The first run leaves a marker on the flash and fails; the second finds it and upgrades.
        lab.ServeScript(
            "import os, sys\n" +
            "if not os.path.exists('/bootflash/tried'):\n" +
            "    open('/bootflash/tried', 'w').close()\n" +
            "    sys.exit(1)\n" +
            UpgradeScript);

        var run = await lab.Switch(PoapTestLab.Settings(maxAttempts: 2)).PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
        run.Attempts.Select(a => a.Succeeded).ShouldBe([false, true]);
        run.RunningVersion.ShouldBe("10.3(6)");
    }

    [Fact]
    public async Task PowerOn_NoDhcpServer_DiscoverTriesSpentThenDhcpPhaseFails()
    {
        await using var lab = await PoapTestLab.StartAsync(withDhcp: false);
        var settings = PoapTestLab.Settings() with { DiscoverTries = 3 };

        var run = await lab.Switch(settings).PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Failed);
        run.Attempts.ShouldHaveSingleItem().Reached.ShouldBe(PoapPhase.Dhcp);
        lab.Events(EventKinds.DhcpDiscoverSent).Count().ShouldBe(3);
        lab.Events(EventKinds.ScriptDownloadStarted).ShouldBeEmpty();
        // RFC 2131 §4.1 back-off: 4 + 8 + 16 s of switch time waiting for an offer, at least.
        lab.Clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(28));
    }

    [Fact]
    public async Task PowerOn_ScriptNotOnTheServer_DownloadFailsAndNothingIsLeftOnFlash()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "File not found"); // nothing is served on purpose
        await using var lab = await PoapTestLab.StartAsync();
        var sw = lab.Switch();

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Failed);
        run.Attempts.ShouldHaveSingleItem().Reached.ShouldBe(PoapPhase.ScriptDownload);
        run.Reason.ShouldNotBeNull().ShouldContain("could not download the script tftp://10.0.0.1/poap.py");
        lab.Events(EventKinds.ScriptDownloadFailed).ShouldHaveSingleItem();
        sw.State.Bootflash.Files.FileExists("scripts/script.sh").ShouldBeFalse();
    }

    [Fact]
    public async Task PowerOn_LeaseShorterThanPoapAccepts_OfferRejectedAndDhcpFails()
    {
        await using var lab = await PoapTestLab.StartAsync(dhcp: o => o with { LeaseTime = TimeSpan.FromMinutes(30) });
        lab.ServeScript(UpgradeScript);

        var run = await lab.Switch().PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Failed);
        run.Attempts.ShouldHaveSingleItem().Reached.ShouldBe(PoapPhase.Dhcp);
        lab.Events(EventKinds.ScriptDownloadStarted).ShouldBeEmpty();
    }

    [Fact]
    public async Task PowerOn_OfferRefused_EventsCarryTheClientIdSentAndTheBootpFieldsReceived()
    {
        await using var lab = await PoapTestLab.StartAsync(dhcp: o => o with { LeaseTime = TimeSpan.FromMinutes(30) });

        await lab.Switch().PowerOnAsync(Ct);

        // What the diagnosis reads: the client id and user class the switch sent, and beside
        // the options the BOOTP next-server field of the answer (the embedded server sets it).
        var discover = lab.Events(EventKinds.DhcpDiscoverSent).First();
        discover.Get("client_id").ShouldBe("0046444f3233343930353730");
        discover.Get("user_class").ShouldBe("Cisco-POAP");
        var refused = lab.Events(EventKinds.DhcpOfferRejected).First();
        refused.Get("next_server").ShouldBe("10.0.0.1");
        refused.Get("options").ShouldNotBeNull().ShouldContain("51=1800");
        refused.Get("nul_terminated").ShouldBeNull();
    }

    [Fact]
    public async Task PowerOn_ScriptSucceedsWithoutANewImage_ReloadsIntoTheSameReleaseWithTheConfig()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.Serve("leaf-101.cfg", "hostname leaf-101\n");
        lab.ServeScript(
            "from cli import cli\n" +
            "cli('copy tftp://10.0.0.1/leaf-101.cfg bootflash:poap_replay.cfg vrf management')\n" +
            "cli('copy bootflash:poap_replay.cfg scheduled-config')\n");
        var sw = lab.Switch();

        var run = await sw.PowerOnAsync(Ct);

        run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
        run.RunningVersion.ShouldBe("9.3(8)");
        sw.State.StartupConfig.ShouldNotBeNull().ShouldContain("hostname leaf-101");
    }
}
