using System.Text;
using PoapLab.Core.Events;
using PoapLab.Protocols.Integrity;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;
using PoapLab.Switch.Tests.Script;

namespace PoapLab.Switch.Tests.Poap;

/// <summary>What the POAP process does differently per release: the interpreter, the #md5sum form, its log lines.</summary>
public sealed class PoapAgentReleaseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Body = "import sys\nprint('python %d' % sys.version_info[0])\n";

    /// <summary>The script with a correct but unquoted <c>#md5sum=</c> value, as Cisco's sample wrote it until 2017.</summary>
    private static string Unquoted(string shebang)
    {
        var quoted = Encoding.UTF8.GetString(ScriptMd5.Fix(Encoding.UTF8.GetBytes(shebang + "\n#md5sum=\"0\"\n" + Body)));
        return quoted.Replace("#md5sum=\"", "#md5sum=", StringComparison.Ordinal).Replace("\"\nimport", "\nimport", StringComparison.Ordinal);
    }

    [Fact]
    public async Task PowerOn_UnquotedMd5sumOn703I1_ValidatedAndRun()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeRawScript(Unquoted("#!/bin/env python"));
        // Debian's python3 stands in for the image's 2.7: this test is about the #md5sum form.
        var sw = lab.Switch(PoapTestLab.Settings() with { Python = "default" }, version: "7.0(3)I1(3)");

        await sw.PowerOnAsync(Ct);

        lab.Events(EventKinds.ScriptMd5Failed).ShouldBeEmpty();
        lab.Events(EventKinds.ScriptMd5Validated).ShouldHaveSingleItem();
        lab.Events(EventKinds.ScriptStarted).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task PowerOn_UnquotedMd5sumOn938_RefusedNamingTheReleases()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeRawScript(Unquoted("#!/bin/env python3"));
        var sw = lab.Switch();

        var run = await sw.PowerOnAsync(Ct);

        var attempt = run.Attempts.ShouldHaveSingleItem();
        attempt.Reached.ShouldBe(PoapPhase.ScriptValidation);
        attempt.Failure.ShouldNotBeNull().ShouldContain("NX-OS 9.3(8) insists on #md5sum=\"<md5>\"");
        attempt.Failure.ShouldContain("only 6.x and 7.0(3)I1");
        lab.Events(EventKinds.ScriptStarted).ShouldBeEmpty();
    }

    [Fact]
    public async Task PowerOn_Python3Shebang_RunsWithPython3AndLogsAsTheSwitch()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript(Body);
        var sw = lab.Switch(version: "10.3(6)");

        await sw.PowerOnAsync(Ct);

        lab.Events(EventKinds.ScriptStarted).Single().Get("python").ShouldNotBeNull().ShouldStartWith("3.");
        var syslog = File.ReadAllText(sw.SyslogPath);
        // Cisco's published console output: [serial-MAC with colons] and the mnemonics of each step.
        syslog.ShouldContain("%POAP-2-POAP_DHCP_DISCOVER_START: [FDO23490570-00:A1:B2:C3:D4:E5] - POAP DHCP Discover phase started");
        syslog.ShouldContain("%POAP-2-POAP_INFO: [FDO23490570-00:A1:B2:C3:D4:E5] - Using DHCP, information received over mgmt0 from 10.0.0.1");
        syslog.ShouldContain("%POAP-2-POAP_INFO: [FDO23490570-00:A1:B2:C3:D4:E5] - Script Server: 10.0.0.1");
        syslog.ShouldContain("%POAP-2-POAP_SCRIPT_DOWNLOADED: [FDO23490570-00:A1:B2:C3:D4:E5] - Successfully downloaded POAP script file");
        syslog.ShouldContain("[FDO23490570-00:A1:B2:C3:D4:E5] - Script file size ");
        syslog.ShouldContain("[FDO23490570-00:A1:B2:C3:D4:E5] - MD5 checksum received from the script file is ");
        syslog.ShouldContain("%POAP-2-POAP_SCRIPT_STARTED_MD5_VALIDATED: [FDO23490570-00:A1:B2:C3:D4:E5] - POAP script execution started(MD5 validated)");
        syslog.ShouldNotContain("00A1B2C3D4E5]");
    }

    [Fact]
    public async Task PowerOn_PlainPythonShebangOn103_StillPython3AndTheEventSaysWhatItAsked()
    {
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeRawScript(Encoding.UTF8.GetString(ScriptMd5.Fix(Encoding.UTF8.GetBytes("#!/bin/env python\n#md5sum=\"0\"\n" + Body))));
        var sw = lab.Switch(version: "10.3(6)");

        await sw.PowerOnAsync(Ct);

        var started = lab.Events(EventKinds.ScriptStarted).Single();
        started.Get("python").ShouldNotBeNull().ShouldStartWith("3.");
        started.Get("shebang_python").ShouldBe("2");
        started.Message.ShouldContain("(its #! line names Python 2)");
    }

    [Fact]
    public async Task PowerOn_Python3ShebangOn7x_StillPython27()
    {
        ScriptHostBridgeTests.ResolveOrSkip("2.7");
        await using var lab = await PoapTestLab.StartAsync();
        lab.ServeScript(Body);
        var sw = lab.Switch(version: "7.0(3)I7(9)");

        await sw.PowerOnAsync(Ct);

        var started = lab.Events(EventKinds.ScriptStarted).Single();
        started.Get("python").ShouldNotBeNull().ShouldStartWith("2.7");
        started.Get("shebang_python").ShouldBe("3");
    }
}
