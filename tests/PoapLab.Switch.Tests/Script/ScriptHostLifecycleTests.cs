using PoapLab.Switch.Cli;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Sandbox;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script;

public sealed class ScriptHostLifecycleTests
{
    [Theory]
    [InlineData("import sys\nsys.exit(0)\n", 0)]
    [InlineData("import sys\nsys.exit(1)\n", 1)]
    [InlineData("exit(-1)\n", 255)]
    [InlineData("print('no explicit exit')\n", 0)]
    [InlineData("raise ValueError('boom')\n", 1)]
    public async Task RunAsync_ScriptExits_ExitCodeOfPython(string script, int expected)
    {
        using var sw = SandboxedSwitch.Create();

        var result = await sw.RunAsync(script, cancellationToken: TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.Exited, result.Stderr);
        result.ExitCode.ShouldBe(expected, result.Stderr);
        result.Error.ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_UncaughtException_TracebackInStderr(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();

        var result = await sw.RunAsync("print('before')\nraise ValueError('boom')\n", cancellationToken: TestContext.Current.CancellationToken, sandbox: sandbox);

        result.Stdout.ShouldBe("before\n");
        result.Stderr.ShouldContain("Traceback");
        result.Stderr.ShouldContain("ValueError: boom");
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_Hang_KilledAtTimeoutAndNothingLeft(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        var marker = UniqueSleep();
        var script = $"import subprocess\nsubprocess.Popen(['sleep', '{marker}'])\nprint('spinning', flush=True)\nwhile True:\n    pass\n";

        var result = await sw.RunAsync(script, timeout: TimeSpan.FromSeconds(2), cancellationToken: TestContext.Current.CancellationToken, sandbox: sandbox);

        result.End.ShouldBe(ScriptEnd.TimedOut);
        result.ExitCode.ShouldBeNull();
        result.Stdout.ShouldBe("spinning\n");
        result.Error.ShouldNotBeNull().ShouldContain("timeout");
        result.RealDuration.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2));
        result.RealDuration.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        SandboxedSwitch.ProcessesWith(marker).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_ScriptLeavesBackgroundProcesses_NoneSurvivesAndBridgeDirectoryGone(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        var marker = UniqueSleep();
        var script =
            "import os, subprocess\n" +
            $"os.system('sleep {marker} &')\n" +
            $"subprocess.Popen(['setsid', 'sleep', '{marker}'])\n" +
            "if os.fork() == 0:\n" +
            "    os.setsid()\n" +
            $"    os.execvp('sleep', ['sleep', '{marker}'])\n";

        var result = await sw.RunAsync(script, cancellationToken: TestContext.Current.CancellationToken, sandbox: sandbox);

        result.End.ShouldBe(ScriptEnd.Exited, result.Stderr);
        result.ExitCode.ShouldBe(0, result.Stderr);
        SandboxedSwitch.ProcessesWith(marker).ShouldBeEmpty();
        sw.BridgeDirectories.ShouldHaveSingleItem();
        Directory.Exists(sw.BridgeDirectories[0]).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_Cancelled_SigtermHandlerRunsAndEndsKilled(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        // The script says "ready" through the CLI once its handler is in place: abort then.
        sw.Bridge.Answer = (command, _) =>
        {
            if (command == "ready")
            {
                abort.Cancel();
            }
            return CliResult.Ok("");
        };
        var script =
            "import signal, sys\nfrom cli import cli\n" +
            "def on_term(signum, frame):\n" +
            "    open('/bootflash/sigterm.txt', 'w').write('got %d' % signum)\n" +
            "    sys.exit(3)\n" +
            "signal.signal(signal.SIGTERM, on_term)\n" +
            "cli('ready')\n" +
            "while True:\n    pass\n";

        var result = await sw.RunAsync(script, cancellationToken: abort.Token, sandbox: sandbox);

        result.End.ShouldBe(ScriptEnd.Killed, result.Stderr);
        File.ReadAllText(Path.Combine(sw.Filesystem.BootflashPath, "sigterm.txt")).ShouldBe("got 15");
        result.ExitCode.ShouldBe(3);
        result.RealDuration.ShouldBeLessThan(ScriptHost.TerminateGrace);
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_CancelledDuringBridgeSleep_HandlerCanStillUseTheBridge(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        sw.Bridge.BlockingSleep = TimeSpan.FromSeconds(999);
        sw.Bridge.Answer = (command, _) =>
        {
            if (command == "ready")
            {
                abort.Cancel();
            }
            return CliResult.Ok("");
        };
        var script =
            "import signal, sys, syslog, time\nfrom cli import cli\n" +
            "def on_term(signum, frame):\n" +
            "    syslog.syslog(9, 'POAP aborted by operator')\n" +
            "    sys.exit(4)\n" +
            "signal.signal(signal.SIGTERM, on_term)\n" +
            "cli('ready')\n" +
            "time.sleep(999)\n";

        var result = await sw.RunAsync(script, cancellationToken: abort.Token, sandbox: sandbox);

        result.End.ShouldBe(ScriptEnd.Killed, result.Stderr);
        result.ExitCode.ShouldBe(4, result.Stderr);
        sw.Bridge.SyslogCalls.ShouldBe([(9, "POAP aborted by operator")]);
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_CancelledScriptIgnoresSigterm_KilledAfterGrace(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var marker = UniqueSleep();
        sw.Bridge.Answer = (command, _) =>
        {
            if (command == "ready")
            {
                abort.Cancel();
            }
            return CliResult.Ok("");
        };
        var script =
            "import signal, subprocess\nfrom cli import cli\n" +
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" +
            $"subprocess.Popen(['sleep', '{marker}'])\n" +
            "cli('ready')\n" +
            "while True:\n    pass\n";

        var result = await sw.RunAsync(script, cancellationToken: abort.Token, sandbox: sandbox);

        result.End.ShouldBe(ScriptEnd.Killed);
        result.ExitCode.ShouldBeNull();
        result.RealDuration.ShouldBeGreaterThanOrEqualTo(ScriptHost.TerminateGrace);
        result.RealDuration.ShouldBeLessThan(ScriptHost.TerminateGrace + TimeSpan.FromSeconds(15));
        SandboxedSwitch.ProcessesWith(marker).ShouldBeEmpty();
    }

    [Fact]
    public async Task RunAsync_NoBubblewrap_FailedToStartWithInstallHint()
    {
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript("print('never')\n");
        var host = new ScriptHost { FindBwrap = () => null, Sandbox = ScriptSandbox.Bubblewrap };

        var result = await host.RunAsync(sw.Request(), sw.Bridge, TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.FailedToStart);
        result.Error.ShouldBe("bubblewrap (bwrap) is not installed: apt-get install bubblewrap");
        result.ExitCode.ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_InterpreterMissing_FailedToStart(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript("print('never')\n");
        var request = sw.Request(interpreter: new PythonInterpreter("/usr/bin/python-poaplab-missing", "3.11.2", "/usr"));

        var result = await sw.NewHost(sandbox).RunAsync(request, sw.Bridge, TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.FailedToStart);
        result.Error.ShouldNotBeNull().ShouldContain("python-poaplab-missing");
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_MissingScriptFile_ExitedWithPythonsError(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        var request = sw.Request() with { ScriptPath = "/bootflash/scripts/absent.py" };

        var result = await sw.NewHost(sandbox).RunAsync(request, sw.Bridge, TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.Exited);
        result.ExitCode.ShouldBe(2);
        result.Stderr.ShouldContain("absent.py");
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_FloodOfOutput_KeepsTheLastMebibyte(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        var script = "import sys\nfor i in range(300000):\n    sys.stdout.write('line %06d\\n' % i)\nsys.stderr.write('x' * 3000000 + 'END')\n";

        var result = await sw.RunAsync(script, cancellationToken: TestContext.Current.CancellationToken, sandbox: sandbox);

        result.ExitCode.ShouldBe(0);
        result.Stdout.Length.ShouldBe(ScriptHost.OutputLimitBytes);
        result.Stdout.ShouldEndWith("line 299999\n");
        result.Stderr.Length.ShouldBe(ScriptHost.OutputLimitBytes);
        result.Stderr.ShouldEndWith("xEND");
    }

    [Fact]
    public async Task RunAsync_Python27_SameLifecycle()
    {
        using var sw = SandboxedSwitch.Create();
        var python27 = ScriptHostBridgeTests.ResolveOrSkip("2.7");

        var result = await sw.RunAsync("import sys\nprint(sys.version_info[:2])\nsys.exit(-1)\n", python27, cancellationToken: TestContext.Current.CancellationToken);

        result.Stdout.ShouldBe("(2, 7)\n");
        result.ExitCode.ShouldBe(255);
    }

    private static string UniqueSleep() =>
        // A sleep length no other process on the machine uses: its command line marks our leftovers.
        $"{Random.Shared.Next(3000, 9000)}.{Random.Shared.Next(100000, 999999)}";
}
