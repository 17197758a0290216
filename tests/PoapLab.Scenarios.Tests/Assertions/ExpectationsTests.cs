using System.Collections.Immutable;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Tests.Assertions;

/// <summary>Each kind of <c>expect:</c> entry, passing and failing, with the words a user reads.</summary>
public sealed class ExpectationsTests
{
    private static readonly PoapAttempt FailedAttempt = new(1, 1, PoapPhase.ScriptValidation, false, "the script's #md5sum is abc but the script's MD5 is def", null);
    private static readonly PoapAttempt GoodAttempt = new(2, 1, PoapPhase.ScriptRun, true, null, 0);

    private static SwitchRunRecord Run(
        PoapOutcome outcome = PoapOutcome.Provisioned,
        IReadOnlyList<PoapAttempt>? attempts = null,
        int reloads = 1,
        string version = "10.3(4a)",
        string image = "nxos64-cs.10.3.4a.M.bin",
        string? reason = null,
        IReadOnlyList<LabEvent>? events = null,
        IReadOnlyList<string>? config = null,
        IReadOnlyList<string>? files = null,
        string syslog = "%POAP-2-POAP_INFO: POAP_SCRIPT_EXECUTION_SUCCESS\n",
        params PoapPhase[] phases) =>
        new("leaf-101",
            new PoapRunResult(outcome, attempts ?? [FailedAttempt, GoodAttempt], reloads, version, image,
                (phases.Length == 0 ? [PoapPhase.Boot, PoapPhase.Dhcp, PoapPhase.ScriptRun, PoapPhase.Reload, PoapPhase.Completed] : phases).ToImmutableSortedSet(), reason),
            events ?? [],
            config ?? ["hostname leaf-101", "interface Ethernet1/1", "  description uplink"],
            files ?? ["nxos64-cs.10.3.4a.M.bin", "scripts/script.sh"],
            syslog);

    private static LabEvent Event(string kind, params (string Key, string Value)[] data) =>
        new(1, TimeSpan.Zero, TimeSpan.Zero, "switch:leaf-101", kind, kind, data.ToImmutableDictionary(d => d.Key, d => d.Value));

    private static EventExpectation Expect(string kind, int? count = null, params (string Key, string Value)[] where) =>
        new(kind, where.ToDictionary(w => w.Key, w => w.Value), count, default);

    [Fact]
    public void Check_FleetBoundsAndSwitchNotProvisioned_LeftToTheBounds() =>
        Expectations.Check(new ExpectModel { Outcome = "provisioned", Version = "10.3(6)", Fleet = new FleetExpectation(new FleetShare(1, null), null, default) }, Run(PoapOutcome.Failed))
            .ShouldBeEmpty();

    [Fact]
    public void Check_FleetBoundsAndSwitchProvisioned_HeldToEveryKey() =>
        Expectations.Check(new ExpectModel { Version = "10.3(6)", Fleet = new FleetExpectation(new FleetShare(1, null), null, default) }, Run())
            .ShouldBe(["expected the switch to run 10.3(6), it runs 10.3(4a)"]);

    [Fact]
    public void Check_EmptyExpectationProvisioned_Passes() =>
        Expectations.Check(new ExpectModel(), Run()).ShouldBeEmpty();

    [Fact]
    public void Check_EmptyExpectationNotProvisioned_FailsBecauseProvisionedIsTheDefault() =>
        Expectations.Check(new ExpectModel(), Run(PoapOutcome.Failed)).ShouldBe(["the switch ended failed (no outcome was expected, so provisioned was)"]);

    [Theory]
    [InlineData(PoapOutcome.Failed, "failed")]
    [InlineData(PoapOutcome.BootFailed, "boot-failed")]
    [InlineData(PoapOutcome.ReloadLoop, "reload-loop")]
    [InlineData(PoapOutcome.Aborted, "aborted")]
    public void Check_OutcomeMatches_Passes(PoapOutcome outcome, string name) =>
        Expectations.Check(new ExpectModel { Outcome = name }, Run(outcome)).ShouldBeEmpty();

    [Fact]
    public void Check_OutcomeDiffers_SaysBoth() =>
        Expectations.Check(new ExpectModel { Outcome = "failed" }, Run()).ShouldBe(["expected outcome failed, but the switch ended provisioned"]);

    [Fact]
    public void Check_Attempts_ExactAndMinimum()
    {
        Expectations.Check(new ExpectModel { Attempts = 2, MinAttempts = 2 }, Run()).ShouldBeEmpty();
        Expectations.Check(new ExpectModel { Attempts = 3 }, Run()).ShouldBe(["expected 3 POAP attempt(s), saw 2"]);
        Expectations.Check(new ExpectModel { MinAttempts = 5 }, Run()).ShouldBe(["expected at least 5 POAP attempt(s), saw 2"]);
    }

    [Fact]
    public void Check_Reloads_Counted()
    {
        Expectations.Check(new ExpectModel { Reloads = 1 }, Run()).ShouldBeEmpty();
        Expectations.Check(new ExpectModel { Reloads = 2 }, Run()).ShouldBe(["expected 2 reload(s), saw 1"]);
    }

    [Theory]
    [InlineData("10.3(4a)", "10.3(4a)")]
    [InlineData("10.3(4a)M", "10.3(4a)")] // the release type does not make another release
    [InlineData("custom-build", "custom-build")] // not a release number: compared as text
    public void Check_VersionSameRelease_Passes(string expected, string running) =>
        Expectations.Check(new ExpectModel { Version = expected }, Run(version: running)).ShouldBeEmpty();

    [Fact]
    public void Check_VersionNotAReleaseNumber_ComparedExactly() =>
        Expectations.Check(new ExpectModel { Version = "Custom-Build" }, Run(version: "custom-build"))
            .ShouldBe(["expected the switch to run Custom-Build, it runs custom-build"]);

    [Fact]
    public void Check_VersionAndImageDiffer_BothReported()
    {
        var failures = Expectations.Check(new ExpectModel { Version = "9.3(8)", Image = "nxos.9.3.8.bin" }, Run());

        failures.ShouldBe([
            "expected the switch to run 9.3(8), it runs 10.3(4a)",
            "expected the switch to run image nxos.9.3.8.bin, it runs nxos64-cs.10.3.4a.M.bin",
        ]);
    }

    [Fact]
    public void Check_RunningConfigLines_TrimmedWholeLineMatch()
    {
        Expectations.Check(new ExpectModel { RunningConfig = ["description uplink", " hostname leaf-101 "] }, Run()).ShouldBeEmpty();
        // A part of a line is not the line.
        Expectations.Check(new ExpectModel { RunningConfig = ["hostname leaf"] }, Run()).ShouldBe(["the running-config lacks the line 'hostname leaf'"]);
    }

    [Fact]
    public void Check_Phases_ReachedAndNotReached()
    {
        var run = Run(phases: [PoapPhase.Boot, PoapPhase.Dhcp, PoapPhase.ScriptDownload]);

        Expectations.Check(new ExpectModel { Outcome = "failed" }, run with { Result = run.Result with { Outcome = PoapOutcome.Failed } }).ShouldBeEmpty();
        Expectations.Check(new ExpectModel { Phases = ["dhcp", "Script-Download"], NotPhases = ["reload"] }, run).ShouldBeEmpty();
        Expectations.Check(new ExpectModel { Phases = ["reload"], NotPhases = ["dhcp"] }, run).ShouldBe([
            "the switch never reached the phase reload (reached: boot, dhcp, script-download)",
            "the switch reached the phase dhcp, which it should not have",
        ]);
    }

    [Fact]
    public void Check_Reason_FoundInTheRunsReasonOrAnyAttempt()
    {
        Expectations.Check(new ExpectModel { Reason = "#MD5SUM" }, Run()).ShouldBeEmpty(); // an attempt's failure, any case
        Expectations.Check(new ExpectModel { Outcome = "boot-failed", Reason = "not on bootflash" },
            Run(PoapOutcome.BootFailed, reason: "the boot variable names bootflash:x.bin, which is not on bootflash")).ShouldBeEmpty();
    }

    [Fact]
    public void Check_ReasonAbsent_ListsTheFailuresThereWere()
    {
        Expectations.Check(new ExpectModel { Reason = "timeout" }, Run()).ShouldBe([
            "expected a failure mentioning 'timeout', but the failures were: the script's #md5sum is abc but the script's MD5 is def",
        ]);
        Expectations.Check(new ExpectModel { Reason = "timeout" }, Run(attempts: [GoodAttempt])).ShouldBe([
            "expected a failure mentioning 'timeout', but the failures were: (none)",
        ]);
    }

    [Fact]
    public void Check_Events_AtLeastOneExactCountAndNone()
    {
        var run = Run(events: [
            Event(EventKinds.TransferCompleted, ("url", "tftp://10.0.0.1/nxos64-cs.10.3.4a.M.bin"), ("bytes", "1000")),
            Event(EventKinds.TransferCompleted, ("url", "tftp://10.0.0.1/leaf-101.cfg")),
            Event(EventKinds.PoapAttemptFailed, ("attempt", "1")),
        ]);

        Expectations.Check(new ExpectModel
        {
            Events = [
                Expect(EventKinds.TransferCompleted),
                Expect(EventKinds.TransferCompleted, 2),
                Expect(EventKinds.TransferCompleted, 1, ("url", "*NXOS64*.bin")), // glob, case-insensitive, whole value
                Expect(EventKinds.ScriptTimedOut, 0),
            ],
        }, run).ShouldBeEmpty();
    }

    [Fact]
    public void Check_EventsDiffer_SaysWhatWasExpectedAndSeen()
    {
        var run = Run(events: [Event(EventKinds.TransferCompleted, ("url", "tftp://10.0.0.1/leaf-101.cfg"))]);

        var failures = Expectations.Check(new ExpectModel
        {
            Events = [
                Expect(EventKinds.ScriptTimedOut),
                Expect(EventKinds.TransferCompleted, 2),
                Expect(EventKinds.TransferCompleted, null, ("url", "*.bin")),
                Expect(EventKinds.TransferCompleted, 0),
                Expect(EventKinds.TransferCompleted, null, ("bytes", "*")), // a field the event lacks never matches
            ],
        }, run);

        failures.ShouldBe([
            "expected an event poap.script.timed-out, saw none",
            "expected 2 event(s) transfer.completed, saw 1",
            "expected an event transfer.completed where url=*.bin, saw none",
            "expected 0 event(s) transfer.completed, saw 1",
            "expected an event transfer.completed where bytes=*, saw none",
        ]);
    }

    [Fact]
    public void Check_BootflashHasAndLacks_LeadingSlashIgnored()
    {
        Expectations.Check(new ExpectModel { BootflashHas = ["/scripts/script.sh"], BootflashLacks = ["old.bin"] }, Run()).ShouldBeEmpty();
        Expectations.Check(new ExpectModel { BootflashHas = ["poap_replay.cfg"], BootflashLacks = ["/scripts/script.sh"] }, Run()).ShouldBe([
            "bootflash lacks poap_replay.cfg",
            "bootflash has /scripts/script.sh, which it should not",
        ]);
    }

    [Fact]
    public void Check_Syslog_CaseSensitiveSubstring()
    {
        Expectations.Check(new ExpectModel { Syslog = ["POAP_SCRIPT_EXECUTION_SUCCESS"] }, Run()).ShouldBeEmpty();
        Expectations.Check(new ExpectModel { Syslog = ["poap_script_execution_success"] }, Run())
            .ShouldBe(["the switch's syslog lacks 'poap_script_execution_success'"]);
    }

    [Fact]
    public void Check_SeveralMismatches_AllReported()
    {
        var failures = Expectations.Check(new ExpectModel { Outcome = "failed", Attempts = 1, Reloads = 0, Syslog = ["x"] }, Run());

        failures.Count.ShouldBe(4);
    }

    [Fact]
    public void Diagnose_Provisioned_OneLineWithVersionAttemptsAndReloads() =>
        Expectations.Diagnose(Run()).ShouldBe(
            "leaf-101: provisioned — runs 10.3(4a) (nxos64-cs.10.3.4a.M.bin) after 2 attempt(s) and 1 reload(s)\n" +
            "  attempt 1 (boot 1, stopped at script-validation): the script's #md5sum is abc but the script's MD5 is def");

    [Fact]
    public void Diagnose_Failed_EveryFailedAttemptOnItsLine()
    {
        var second = new PoapAttempt(2, 1, PoapPhase.Dhcp, false, "no DHCP offer after 4 DISCOVERs", null);

        Expectations.Diagnose(Run(PoapOutcome.Failed, attempts: [FailedAttempt, second], version: "9.3(8)")).ShouldBe(
            "leaf-101: POAP failed after 2 attempt(s); it still runs 9.3(8)\n" +
            "  attempt 1 (boot 1, stopped at script-validation): the script's #md5sum is abc but the script's MD5 is def\n" +
            "  attempt 2 (boot 1, stopped at dhcp): no DHCP offer after 4 DISCOVERs");
    }

    [Theory]
    [InlineData(PoapOutcome.BootFailed, "leaf-101: the reload failed: why")]
    [InlineData(PoapOutcome.ReloadLoop, "leaf-101: why")]
    [InlineData(PoapOutcome.Aborted, "leaf-101: aborted")]
    public void Diagnose_OtherOutcomes_HeadLine(PoapOutcome outcome, string head) =>
        Expectations.Diagnose(Run(outcome, attempts: [], reason: "why")).ShouldBe(head);

    [Theory]
    [InlineData("*.bin", "nxos.9.3.8.bin", true)]
    [InlineData("nxos.?.3.8.bin", "NXOS.9.3.8.BIN", true)]
    [InlineData("nxos", "nxos.9.3.8.bin", false)] // whole value, not a substring
    [InlineData("a.c", "abc", false)] // a dot is a dot, not a regex
    [InlineData("(x", "(x", true)] // regex metacharacters are literal
    public void Glob_Patterns(string pattern, string value, bool matches) =>
        Expectations.Glob(pattern, value).ShouldBe(matches);

    [Fact]
    public void ParsePhase_EveryNameRoundTrips()
    {
        foreach (var name in Expectations.PhaseNames)
        {
            Expectations.PhaseName(Expectations.ParsePhase(name)!.Value).ShouldBe(name);
        }
        Expectations.ParsePhase("RELOAD").ShouldBe(PoapPhase.Reload);
        Expectations.ParsePhase("nowhere").ShouldBeNull();
        Enum.GetValues<PoapPhase>().Select(Expectations.PhaseName).Count().ShouldBe(Enum.GetValues<PoapPhase>().Length);
    }
}
