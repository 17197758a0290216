using System.Text.Json;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Sandbox;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script;

public sealed class ScriptHostBridgeTests
{
    private static readonly string[] NxosCliNames = ["cli", "cli_syntax_error", "clid", "clip", "cmd_exec_error", "subprocess"];

    public static TheoryData<string> Interpreters => new() { "default", "2.7" };

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task RunAsync_BridgeTour_EveryFacilityReachesTheSwitch(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ResolveOrSkip(python);
        sw.Bridge.Answer = (command, json) => command switch
        {
            "show version" => CliResult.Ok("Cisco Nexus Operating System (NX-OS) Software\nNXOS: version 10.3(4a)\n"),
            "show bogus" => CliResult.InvalidCommand("show bogus", 5),
            "show inventory" when json => CliResult.Ok("{\"TABLE_inv\": {\"ROW_inv\": [{\"name\": \"Chassis\", \"serialnum\": \"FDO23490570\"}]}}"),
            _ when command.StartsWith("copy ", StringComparison.Ordinal) => CliResult.Exec("% Permission denied\n"),
            _ => CliResult.InvalidCommand(command),
        };

        var result = await sw.RunAsync(SandboxedSwitch.Fixture("bridge_tour.py"), interpreter, cancellationToken: TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.Exited, result.Stderr);
        result.ExitCode.ShouldBe(0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var seen = doc.RootElement;
        seen.GetProperty("major").GetInt32().ShouldBe(interpreter.Major);
        seen.GetProperty("show").GetString().ShouldBe("Cisco Nexus Operating System (NX-OS) Software\nNXOS: version 10.3(4a)\n");
        seen.GetProperty("syntax").GetString().ShouldBe("show bogus\n     ^\n% Invalid command at '^' marker.\n");
        seen.GetProperty("exec").GetString().ShouldBe("% Permission denied\n");
        seen.GetProperty("clid").GetProperty("TABLE_inv").GetProperty("ROW_inv")[0].GetProperty("serialnum").GetString().ShouldBe("FDO23490570");
        seen.GetProperty("star").EnumerateArray().Select(e => e.GetString()).ShouldBe(NxosCliNames);
        seen.GetProperty("star_subprocess_is_stdlib").GetBoolean().ShouldBeTrue();
        seen.GetProperty("cisco").GetBoolean().ShouldBeFalse();
        seen.GetProperty("stdlib_from_prefix").GetBoolean().ShouldBeTrue();
        seen.GetProperty("syslog_module").GetString().ShouldBe(ScriptHost.BridgeMountPoint + "/lib/syslog.py");
        seen.GetProperty("cwd").GetString().ShouldBe("/bootflash");

        sw.Bridge.CliCalls.Select(c => c.Command).ShouldBe(["show version", "show bogus", "copy tftp://192.0.2.1/missing bootflash:x vrf management", "show inventory"]);
        sw.Bridge.CliCalls.Select(c => c.Json).ShouldBe([false, false, false, true]);
        // syslog(9, ...) as scripts call it; syslog(msg) is LOG_USER | LOG_INFO as in the stdlib.
        sw.Bridge.SyslogCalls.ShouldBe([(9, "tour: alert from the script"), (14, "tour: default priority")]);

        // Virtual time: the hour passed on the switch's clock, not on the host's.
        sw.Bridge.Sleeps.ShouldBe([TimeSpan.FromHours(1)]);
        seen.GetProperty("slept").GetDouble().ShouldBeInRange(3600, 3600 + 30);
        seen.GetProperty("start").GetDouble().ShouldBeInRange(SandboxedSwitch.SwitchEpoch.ToUnixTimeSeconds(), SandboxedSwitch.SwitchEpoch.ToUnixTimeSeconds() + 30);
        seen.GetProperty("year").GetString().ShouldBe("2024");
        result.RealDuration.ShouldBeLessThan(TimeSpan.FromSeconds(30));

        seen.GetProperty("statvfs").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([4096L, 4096L, 1_000_000L, 123_456L, 123_456L]);
        seen.GetProperty("statvfs_tmp_blocks").GetInt64().ShouldNotBe(1_000_000L);
    }

    [Fact]
    public async Task RunAsync_Environment_OnlySandboxAndPoapVariables()
    {
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript("import json, os\nprint(json.dumps(dict(os.environ)))\n");
        var environment = new Dictionary<string, string>
        {
            ["POAP_VRF"] = "management",
            ["POAP_PID"] = "13112",
            ["POAP_SERIAL"] = "FDO23490570",
            ["POAP_MAC"] = "00A1B2C3D4E5",
        };

        var result = await sw.NewHost().RunAsync(sw.Request(environment: environment), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        var seen = JsonSerializer.Deserialize<Dictionary<string, string>>(result.Stdout)!;
        seen.ShouldBe(new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin",
            ["HOME"] = "/bootflash",
            ["PYTHONPATH"] = "/.poaplab/lib",
            ["PYTHONDONTWRITEBYTECODE"] = "1",
            ["LANG"] = "C.UTF-8",
            ["TZ"] = "UTC",
            // bwrap sets PWD after --chdir, as a shell would.
            ["PWD"] = "/bootflash",
            ["POAP_VRF"] = "management",
            ["POAP_PID"] = "13112",
            ["POAP_SERIAL"] = "FDO23490570",
            ["POAP_MAC"] = "00A1B2C3D4E5",
        }, ignoreOrder: true);
    }

    [Fact]
    public async Task RunAsync_NonPoapVariable_ArgumentException()
    {
        using var sw = SandboxedSwitch.Create();
        var request = sw.Request(environment: new Dictionary<string, string> { ["HOME"] = "/root" });

        await Should.ThrowAsync<ArgumentException>(() => sw.NewHost().RunAsync(request, sw.Bridge, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task RunAsync_Clip_PrintsTheOutput()
    {
        using var sw = SandboxedSwitch.Create();
        sw.Bridge.Answer = (_, _) => CliResult.Ok("Nexus9000 C93180YC-FX chassis");

        var result = await sw.RunAsync("from cli import *\nclip('show hardware')\nprint('after')\n", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldBe("Nexus9000 C93180YC-FX chassis\nafter\n");
    }

    [Fact]
    public async Task RunAsync_UncaughtCliSyntaxError_ExitsOneWithTheOutputInStderr()
    {
        using var sw = SandboxedSwitch.Create();
        sw.Bridge.Answer = (command, _) => CliResult.InvalidCommand(command, 5);

        var result = await sw.RunAsync("from cli import *\ncli('show bogus')\n", cancellationToken: TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.Exited);
        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("cli_syntax_error");
        result.Stderr.ShouldContain("% Invalid command at '^' marker.");
    }

    [Fact]
    public async Task RunAsync_SubprocessImportsCli_ServedOnItsOwnConnection()
    {
        using var sw = SandboxedSwitch.Create();
        var python = PythonLocator.Resolve(null).Executable;
        sw.Bridge.Answer = (command, _) => CliResult.Ok("answer to " + command);
        sw.WriteScript(
            "import subprocess, sys\n" +
            "from cli import cli\n" +
            "first = cli('show one')\n" +
            $"child = subprocess.check_output(['{python}', '-c', 'from cli import cli; import sys; sys.stdout.write(cli(\"show two\"))'])\n" +
            "sys.stdout.write(first + '|' + child.decode() + '|' + cli('show three'))\n");

        var result = await sw.NewHost().RunAsync(sw.Request(), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldBe("answer to show one|answer to show two|answer to show three");
    }

    [Fact]
    public async Task RunAsync_BridgeThrows_ScriptSeesBridgeErrorAndRunReportsFault()
    {
        using var sw = SandboxedSwitch.Create();
        sw.Bridge.Answer = (_, _) => throw new InvalidDataException("switch model broke");

        var result = await sw.RunAsync("from cli import cli\ncli('show version')\n", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(1);
        result.Stderr.ShouldContain("BridgeError");
        result.Error.ShouldNotBeNull().ShouldContain("switch model broke");
    }

    [Fact]
    public async Task RunAsync_StatvfsSubdirectoryAndDiskUsage_FollowFreeBytesAtEachCall()
    {
        using var sw = SandboxedSwitch.Create();
        sw.Bridge.Answer = (_, _) =>
        {
            sw.FreeBytes = 4096L * 1000;
            return CliResult.Ok("");
        };
        sw.WriteScript(
            "import os, shutil\nfrom cli import cli\nos.mkdir('/bootflash/poap_files')\n" +
            "before = os.statvfs('/bootflash/poap_files').f_bavail\n" +
            "cli('copy something')\n" +
            "after = shutil.disk_usage('/bootflash')\n" +
            "print(before, after.total, after.free)\n");

        var result = await sw.NewHost().RunAsync(sw.Request(), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.Trim().ShouldBe($"123456 {SandboxedSwitch.DefaultCapacity} {4096 * 1000}");
    }

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task RunAsync_HostileTextBothWays_ArrivesUnchanged(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ResolveOrSkip(python);
        // Quotes, backslashes, control characters, NUL, non-ASCII and a line separator in both
        // directions: the bridge's own JSON codec must round-trip what json.dumps/loads would.
        const string Answer = "quote \" back \\ tab \t nul \0 bell \a é € \u2028 end\n";
        sw.Bridge.Answer = (_, _) => CliResult.Ok(Answer);
        sw.WriteScript(
            "# -*- coding: utf-8 -*-\n" +
            "from __future__ import print_function\n" +
            "import sys\n" +
            "from cli import cli\n" +
            "import syslog\n" +
            "command = u'show \"x\" \\\\ \\t \\u00e9 \\u20ac \\u2028'\n" +
            "out = cli(command if sys.version_info[0] > 2 else command.encode('utf-8'))\n" +
            "syslog.syslog(3, u'msg \\u00e9 \\\"q\\\" \\x01')\n" +
            "if sys.version_info[0] == 2:\n" +
            "    out = out.decode('utf-8')\n" +
            "sys.stdout.write(repr(out == u'quote \" back \\\\ tab \\t nul \\x00 bell \\x07 \\u00e9 \\u20ac \\u2028 end\\n'))\n");

        var result = await sw.NewHost().RunAsync(sw.Request(interpreter), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldBe("True");
        sw.Bridge.CliCalls.Select(c => c.Command).ShouldBe(["show \"x\" \\ \t é € \u2028"]);
        sw.Bridge.SyslogCalls.ShouldBe([(11, "msg é \"q\" \u0001")]);
    }

    [Fact]
    public async Task RunAsync_ScriptStart_BridgeHasNotImportedJsonReOrThreading()
    {
        using var sw = SandboxedSwitch.Create();
        // What the bridge loads before the script is paid by every run that starts an
        // interpreter (bubblewrap's; the fork server has them imported once for all runs);
        // json's decoder pulls in re and enum, threading its own tree.
        sw.WriteScript("import sys\nprint(' '.join(m for m in ('json', 're', 'enum', 'threading') if m in sys.modules))\n");

        var result = await sw.NewHost(ScriptSandbox.Bubblewrap).RunAsync(sw.Request(), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.Trim().ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task RunAsync_ScriptPlantsModulesTheBridgeUses_BridgeKeepsItsOwn(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ResolveOrSkip(python);
        sw.Bridge.Answer = (command, _) => CliResult.Ok("answer to " + command);
        // The script's own directory comes first on sys.path: a module there named like one the
        // bridge needs (or swapped into sys.modules) must never be what the bridge runs, on any call.
        var planted = new[] { "json", "_json", "_thread", "thread", "_socket", "socket", "errno" };
        var scripts = Path.Combine(sw.Filesystem.BootflashPath, "scripts");
        Directory.CreateDirectory(scripts);
        foreach (var name in planted)
        {
            File.WriteAllText(Path.Combine(scripts, name + ".py"), $"open('/bootflash/hijacked-{name}', 'w').close()\nraise SystemExit(42)\n");
        }
        // The first bridge call comes after the swap: a bridge that imported on first use would take the fakes.
        sw.WriteScript(
            "from __future__ import print_function\n" +
            "import sys, time, os\n" +
            "from cli import cli, clid\n" +
            "import syslog\n" +
            "class Fake(object):\n" +
            "    def __getattr__(self, name):\n" +
            "        open('/bootflash/hijacked-attribute-' + name, 'w').close()\n" +
            "        raise SystemExit(43)\n" +
            "for name in " + "(" + string.Join(", ", planted.Select(n => $"'{n}'")) + ",):\n" +
            "    sys.modules[name] = Fake()\n" +
            "print(cli('show version'))\n" +
            "print(clid('show inventory'))\n" +
            "syslog.syslog(1, 'still ours')\n" +
            "time.sleep(5)\n" +
            "print(int(time.time()) > 0, os.statvfs('/bootflash').f_bsize)\n");

        var result = await sw.NewHost().RunAsync(sw.Request(interpreter), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldBe("answer to show version\nanswer to show inventory\nTrue 4096\n");
        sw.Bridge.SyslogCalls.ShouldBe([(9, "still ours")]);
        sw.Bridge.Sleeps.ShouldBe([TimeSpan.FromSeconds(5)]);
        Directory.EnumerateFiles(sw.Filesystem.BootflashPath, "hijacked-*").ShouldBeEmpty();
    }

    internal static PythonInterpreter ResolveOrSkip(string python)
    {
        if (python == "default")
        {
            return PythonLocator.Resolve(null);
        }
        try
        {
            return PythonLocator.Resolve(python);
        }
        catch (PythonNotFoundException e)
        {
            Requires.That(false, e.Message);
            throw;
        }
    }
}
