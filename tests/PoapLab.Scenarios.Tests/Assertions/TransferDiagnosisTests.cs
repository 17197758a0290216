using System.Collections.Immutable;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Tests.Assertions;

/// <summary>
/// The file servers' mistakes in plain words, from the answers Debian's daemons really gave in
/// scenarios/servers/ (the error texts below are the switch's, as recorded there).
/// </summary>
public sealed class TransferDiagnosisTests
{
    private static SwitchRunRecord Run(params LabEvent[] events) =>
        new("leaf-131",
            new PoapRunResult(PoapOutcome.Failed, [new PoapAttempt(1, 1, PoapPhase.ScriptDownload, false, "could not download the script", null)], 0, "9.3(8)", "nxos.9.3.8.bin",
                ImmutableSortedSet.Create(PoapPhase.Boot, PoapPhase.Dhcp, PoapPhase.ScriptDownload), null),
            events, [], [], "");

    private static LabEvent Failed(string protocol, string path, string error, string url) =>
        new(1, TimeSpan.Zero, TimeSpan.Zero, "switch:leaf-131", EventKinds.TransferFailed, $"copy {url} failed: {error}",
            ImmutableDictionary.CreateRange(new Dictionary<string, string> { ["protocol"] = protocol, ["path"] = path, ["error"] = error }));

    private static LabEvent Completed(string protocol, string path) =>
        new(2, TimeSpan.Zero, TimeSpan.Zero, "switch:leaf-131", EventKinds.TransferCompleted, "copied",
            ImmutableDictionary.CreateRange(new Dictionary<string, string> { ["protocol"] = protocol, ["path"] = path }));

    [Fact]
    public void Explain_TftpAbsolutePathNotFound_NamesSecureAndTheRelativeName()
    {
        var lines = TransferDiagnosis.Explain(Run(Failed("Tftp", "/srv/tftp/poap_nexus.py",
            "% TFTP get operation failed:File not found\nERROR: /srv/tftp/poap_nexus.py: no such file or directory", "tftp://10.0.0.1/srv/tftp/poap_nexus.py")));

        var line = lines.ShouldHaveSingleItem();
        line.ShouldContain("absolute path /srv/tftp/poap_nexus.py");
        line.ShouldContain("--secure");
        line.ShouldContain("e.g. poap_nexus.py");
    }

    [Fact]
    public void Explain_Http404_WebRootOffByAFolder()
    {
        var line = TransferDiagnosis.Explain(Run(Failed("Http", "/poap_nexus.py",
            "% Error: The requested URL returned error: 404 Not Found\nERROR: http://10.0.0.1/poap_nexus.py: no such file or directory", "http://10.0.0.1/poap_nexus.py"))).ShouldHaveSingleItem();

        line.ShouldContain("404 Not Found for /poap_nexus.py");
        line.ShouldContain("web root is off by a folder");
        line.ShouldContain("Fix: set root");
    }

    [Fact]
    public void Explain_FtpAnonymous530_AnonymousLoginsOff()
    {
        var line = TransferDiagnosis.Explain(Run(Failed("Ftp", "/images/nxos64-cs.10.3.6.M.bin.md5",
            "% Error: FTP login failed: 530 Login incorrect.\nERROR: ftp://anonymous@10.0.0.1/images/nxos64-cs.10.3.6.M.bin.md5: Permission denied",
            "ftp://anonymous@10.0.0.1/images/nxos64-cs.10.3.6.M.bin.md5"))).ShouldHaveSingleItem();

        line.ShouldContain("anonymous_enable=NO");
        line.ShouldContain("Fix: anonymous_enable=YES");
    }

    [Fact]
    public void Explain_Ftp530ForAnAccount_NamesTheUser()
    {
        var line = TransferDiagnosis.Explain(Run(Failed("Ftp", "/images/a.bin", "% Error: FTP login failed: 530 Login incorrect.\nERROR: x: Permission denied", "ftp://poap@10.0.0.1/images/a.bin"))).ShouldHaveSingleItem();

        line.ShouldContain("login of 'poap'");
    }

    [Fact]
    public void Explain_Ftp550_TheLoginsFolderIsNotTheFilesOne()
    {
        var line = TransferDiagnosis.Explain(Run(Failed("Ftp", "/images/nxos64-cs.10.3.6.M.bin.md5",
            "% Error: FTP transfer failed: 550 Could not get file size.", "ftp://anonymous@10.0.0.1/images/nxos64-cs.10.3.6.M.bin.md5"))).ShouldHaveSingleItem();

        line.ShouldContain("anon_root");
        line.ShouldContain("(550)");
    }

    [Fact]
    public void Explain_ScpPasswordRefused_PasswordOrPasswordAuthenticationNo()
    {
        var line = TransferDiagnosis.Explain(Run(Failed("Scp", "/images/a.bin.md5",
            "poaplab-lab@10.0.0.1: Permission denied (password).\n% Error: copy failed: Permission denied", "scp://poap@10.0.0.1/images/a.bin.md5"))).ShouldHaveSingleItem();

        line.ShouldContain("'poap'");
        line.ShouldContain("PasswordAuthentication no");
    }

    [Fact]
    public void Explain_SameMistakeOnEveryAttempt_SaidOnce()
    {
        var failed = Failed("Http", "/poap_nexus.py", "% Error: The requested URL returned error: 404 Not Found", "http://10.0.0.1/poap_nexus.py");

        TransferDiagnosis.Explain(Run(failed, failed, failed)).Count.ShouldBe(1);
    }

    [Fact]
    public void Explain_FailedThenCompletedOrUnknownAnswer_Nothing()
    {
        TransferDiagnosis.Explain(Run(Failed("Http", "/a", "% Error: The requested URL returned error: 404 Not Found", "http://h/a"), Completed("Http", "/a"))).ShouldBeEmpty();
        TransferDiagnosis.Explain(Run(Failed("Http", "/a", "No space left on device", "http://h/a"))).ShouldBeEmpty();
        TransferDiagnosis.Explain(Run()).ShouldBeEmpty();
    }

    [Fact]
    public void Explain_HostilePathFromTheScript_OneBoundedLineWithoutControlCharacters()
    {
        var path = "/a\n  attempt 9: provisioned\u001b[2J" + new string('x', 5000);

        var line = TransferDiagnosis.Explain(Run(Failed("Http", path, "% Error: The requested URL returned error: 404 Not Found", "http://h/a"))).ShouldHaveSingleItem();

        line.ShouldNotContain('\n');
        line.ShouldNotContain('\u001b');
        line.Length.ShouldBeLessThan(1200);
    }

    [Fact]
    public void Diagnose_FailedTransfer_TheMistakeFollowsTheAttempts()
    {
        var diagnosis = Expectations.Diagnose(Run(Failed("Http", "/poap_nexus.py", "% Error: The requested URL returned error: 404 Not Found", "http://10.0.0.1/poap_nexus.py")));

        diagnosis.Split('\n').Last().ShouldContain("web root is off by a folder");
    }

    [Fact]
    public void Explain_TftpTimedOut_ServerDownOrPortBlocked()
    {
        var line = TransferDiagnosis.Explain(Run(Failed("Tftp", "poap_nexus.py", "% TFTP get operation failed:Timed out waiting for 10.0.0.1", "tftp://10.0.0.1/poap_nexus.py"))).ShouldHaveSingleItem();

        line.ShouldContain("not running, or UDP port 69 is blocked");
    }

    [Fact]
    public void Explain_HttpInterrupted_ServerWentAwayMidTransfer()
    {
        var line = TransferDiagnosis.Explain(Run(Failed("Http", "/images/nxos.bin", "% Error: transfer from 10.0.0.1 was interrupted", "http://poap@10.0.0.1/images/nxos.bin"))).ShouldHaveSingleItem();

        line.ShouldContain("broke off in the middle of /images/nxos.bin");
    }
}
