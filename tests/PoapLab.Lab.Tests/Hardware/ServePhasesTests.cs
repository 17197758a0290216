using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using static PoapLab.Lab.Tests.Hardware.HardwareTestKit;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class ServePhasesTests
{
    [Fact]
    public void Of_EachStageOfAnAttempt_ThePhaseItShows()
    {
        ServePhases.Of(Seen(WireVerdict.Unknown, attempts: Attempt(1, null, "capture-end"))).ShouldBe(ServePhase.Dhcp);
        ServePhases.Of(Seen(WireVerdict.Unknown, attempts: Attempt(1, "10.0.0.100", "capture-end"))).ShouldBe(ServePhase.Script);
        ServePhases.Of(Seen(WireVerdict.Unknown, attempts: Attempt(1, "10.0.0.100", "capture-end", Download("poap.py", "script")))).ShouldBe(ServePhase.Script);
        ServePhases.Of(Seen(WireVerdict.Unknown, attempts: Attempt(1, "10.0.0.100", "capture-end", Download("poap.py", "script"), Download("nxos.bin", "image", completed: null)))).ShouldBe(ServePhase.Image);
        ServePhases.Of(Seen(WireVerdict.Unknown, attempts: Attempt(1, "10.0.0.100", "capture-end", Download("poap.py", "script"), Download("conf.cfg", "config", completed: null)))).ShouldBe(ServePhase.Config);
        ServePhases.Of(Seen(WireVerdict.Unknown, attempts: Attempt(1, "10.0.0.100", "capture-end", Download("poap.py", "script"), Download("nxos.bin", "image"), Download("conf.cfg", "config")))).ShouldBe(ServePhase.Reload);
        ServePhases.Of(Seen(WireVerdict.Provisioned, attempts: Attempt(1, "10.0.0.100", "announced", Download("poap.py", "script")))).ShouldBe(ServePhase.Provisioned);
        ServePhases.Of(Seen(WireVerdict.Failed, attempts: Attempt(1, "10.0.0.100", "new-discover", Download("poap.py", "script")))).ShouldBe(ServePhase.Failed);
    }

    [Fact]
    public void Of_AFailedSwitchRetrying_ThePhaseOfItsNewAttempt()
    {
        var sw = Seen(WireVerdict.Failed, attempts: [Attempt(1, "10.0.0.100", "new-discover", Download("poap.py", "script")), Attempt(2, "10.0.0.100", "capture-end", Download("poap.py", "script"), Download("nxos.bin", "image", completed: null))]);

        ServePhases.Of(sw).ShouldBe(ServePhase.Image);
    }

    [Fact]
    public void FailureReasons_TheJudgesDiagnoses_ShortSlugs()
    {
        string[] diagnosis =
        [
            "The script was fetched again and again (3 times) and nothing else followed before the switch gave the attempt up: it refused the script before running it — most often a stale #md5sum line",
            "The configuration conf_FDO1.cfg is not on 10.0.0.1 (File not found): the script could not fetch the switch's configuration",
            "2 DHCP servers answer on this segment (10.0.0.1, 10.0.0.9); 10.0.0.9 answered first 3 time(s)",
            "1 OFFER(s) gave a lease of 600 s, below the 3600 s POAP requires: the switch kept discovering.",
            "The image nxos.bin and its .md5 were downloaded completely, then the attempt ended before any configuration was fetched: the image's MD5 most likely did not match its .md5 (a stale .md5 companion).",
            "The script ran long with no network traffic and the attempt was given up (attempt 1: ...)",
        ];

        ServePhases.FailureReasons(Seen(WireVerdict.Failed, diagnosis)).ShouldBe(
            ["script-refused", "config-missing", "other-dhcp-server", "short-lease", "image-md5-mismatch", "script-hang"]);
        ServePhases.FailureReasons(Seen(WireVerdict.Failed, ["something new"])).ShouldBe(["unknown"]);
    }

    [Fact]
    public void Match_BySerialOrMac_TheScenariosSwitch()
    {
        var other = new ServeSwitch("leaf-2", "FDO99999999", "00:00:00:00:00:02");
        ServeSwitch[] expected = [Leaf, other];

        ServePhases.Match(Seen(WireVerdict.Unknown, serial: "fdo23490570", mac: "02:00:00:00:00:09"), expected).ShouldBe(Leaf);
        ServePhases.Match(Seen(WireVerdict.Unknown, serial: null, mac: "00-00-00-00-00-02"), expected).ShouldBe(other);
        ServePhases.Match(Seen(WireVerdict.Unknown, serial: "X", mac: "02:00:00:00:00:09"), expected).ShouldBeNull();
    }

    [Fact]
    public void DisplayName_AHostileSerialFromTheWire_TheMacInstead()
    {
        ServePhases.DisplayName(Seen(WireVerdict.Unknown, serial: "../../etc\n", mac: "02:00:00:00:00:09"), [Leaf]).ShouldBe("02:00:00:00:00:09");
    }
}
