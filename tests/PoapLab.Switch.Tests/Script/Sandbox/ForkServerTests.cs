using System.Text;
using System.Text.Json;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Sandbox;
using PoapLab.Switch.Tests.Script;

namespace PoapLab.Switch.Tests.Script.Sandbox;

/// <summary>
/// The fork server against bubblewrap: the same plan must give a script the same world, and
/// what the fork server adds (a long-lived interpreter that every run is forked from) must
/// give a script nothing more — no other run's data, no way back to the server, no run that
/// outlives its server.
/// </summary>
[Collection(PoapLab.Testing.LoadSensitive.Name)]
public sealed class ForkServerTests
{
    private static void RequiresRoot() =>
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "the fork server is PoapLab's sandbox as root only");

    /// <summary>The default interpreter, the oldest the fork server takes, and the newest pyenv has here.</summary>
    [Theory]
    [InlineData("default")]
    [InlineData("3.9")]
    [InlineData("3.13")]
    public async Task RunAsync_SameScriptInBothSandboxes_SameWorldAndSameEnd(string python)
    {
        RequiresRoot();
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip(python);
        sw.WriteScript(SandboxedSwitch.Fixture("sandbox_world.py"));
        var identity = SandboxIdentity.Next();
        var ct = TestContext.Current.CancellationToken;

        var bubblewrap = await new ScriptHost { Identity = () => identity, Sandbox = ScriptSandbox.Bubblewrap }.RunAsync(sw.Request(interpreter), sw.Bridge, ct);
        var forked = await new ScriptHost { Identity = () => identity, Sandbox = ScriptSandbox.ForkServer }.RunAsync(sw.Request(interpreter), sw.Bridge, ct);

        bubblewrap.ExitCode.ShouldBe(7, bubblewrap.Stderr);
        forked.ExitCode.ShouldBe(7, forked.Stderr);
        forked.Stderr.ShouldBe(bubblewrap.Stderr);
        var expected = Fields(bubblewrap.Stdout);
        var actual = Fields(forked.Stdout);
        // One difference on purpose: the fork server covers /proc/sys read-only as bubblewrap
        // means to (its --proc) but, as root, does not (it tests write access first, which
        // root has); the script's uid could not write there anyway.
        using (var mounts = JsonDocument.Parse(actual["mounts"]))
        {
            actual["mounts"] = JsonSerializer.Serialize(mounts.RootElement.EnumerateArray().Where(m => m[0].GetString() != "/proc/sys"), new JsonSerializerOptions { WriteIndented = false });
        }
        using (var mounts = JsonDocument.Parse(expected["mounts"]))
        {
            expected["mounts"] = JsonSerializer.Serialize(mounts.RootElement.EnumerateArray(), new JsonSerializerOptions { WriteIndented = false });
        }
        foreach (var (name, value) in expected)
        {
            actual.ShouldContainKey(name);
            actual[name].ShouldBe(value, $"'{name}' differs between bubblewrap and the fork server");
        }
        actual.Keys.ShouldBe(expected.Keys, ignoreOrder: true);
        // The run ends as `python3 script` ends: the non-daemon thread joined, then atexit.
        forked.Stdout.ShouldEndWith("thread ran\natexit ran\n");
        bubblewrap.Stdout.ShouldEndWith("thread ran\natexit ran\n");
    }

    [Theory]
    [InlineData("import sys\nsys.exit('bad config')\n", 1, "bad config")]
    [InlineData("raise KeyError('k')\n", 1, "KeyError: 'k'")]
    [InlineData("import os\nos._exit(42)\n", 42, "")]
    [InlineData("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", 137, "")]
    [InlineData("import sys\nsys.exit(None)\n", 0, "")]
    [InlineData("import sys\nsys.exit(256 + 3)\n", 3, "")]
    [InlineData("import syslog\nsyslog.syslog(syslog.LOG_INFO, 'x')\nraise SystemExit(5)\n", 5, "")]
    public async Task RunAsync_ScriptEnds_SameStatusAndStderrAsBubblewrap(string script, int status, string stderr)
    {
        RequiresRoot();
        using var sw = SandboxedSwitch.Create();
        var ct = TestContext.Current.CancellationToken;

        var bubblewrap = await sw.RunAsync(script, cancellationToken: ct, sandbox: ScriptSandbox.Bubblewrap);
        var forked = await sw.RunAsync(script, cancellationToken: ct, sandbox: ScriptSandbox.ForkServer);

        bubblewrap.ExitCode.ShouldBe(status, bubblewrap.Stderr);
        forked.ExitCode.ShouldBe(status, forked.Stderr);
        forked.Stderr.ShouldBe(bubblewrap.Stderr);
        forked.Stderr.ShouldContain(stderr);
    }

    [Fact]
    public async Task RunAsync_ScriptBringsAModuleNamedAsAPreloadedOne_ItsOwnIsImported()
    {
        RequiresRoot();
        using var sw = SandboxedSwitch.Create();
        // A script directory's module wins over the standard library's in a fresh interpreter;
        // the fork server has hashlib and re imported already, and must give the script its own.
        var scripts = Path.Combine(sw.Filesystem.BootflashPath, "scripts");
        Directory.CreateDirectory(scripts);
        File.WriteAllText(Path.Combine(scripts, "hashlib.py"), "WHOSE = 'the script\\'s own hashlib'\n");
        Directory.CreateDirectory(Path.Combine(scripts, "re"));
        File.WriteAllText(Path.Combine(scripts, "re", "__init__.py"), "WHOSE = 'the script\\'s own re'\n");
        const string script = "import hashlib, re\nprint(hashlib.WHOSE)\nprint(re.WHOSE)\n";
        var ct = TestContext.Current.CancellationToken;

        var bubblewrap = await sw.RunAsync(script, cancellationToken: ct, sandbox: ScriptSandbox.Bubblewrap);
        var forked = await sw.RunAsync(script, cancellationToken: ct, sandbox: ScriptSandbox.ForkServer);

        bubblewrap.Stdout.ShouldBe("the script's own hashlib\nthe script's own re\n", bubblewrap.Stderr);
        forked.Stdout.ShouldBe(bubblewrap.Stdout, forked.Stderr);
    }

    [Fact]
    public async Task RunAsync_AnotherSwitchRanFirst_NothingOfItsRunInTheScriptsMemory()
    {
        RequiresRoot();
        using var first = SandboxedSwitch.Create();
        using var second = SandboxedSwitch.Create();
        var ct = TestContext.Current.CancellationToken;
        var theirs = "their-serial-" + Guid.NewGuid().ToString("N");
        var ours = "our-serial-" + Guid.NewGuid().ToString("N");
        // The first switch's serial, options and script text pass through its own run only.
        first.WriteScript($"SECRET = '{theirs}-in-the-script'\nprint('done')\n");
        var firstRun = await first.NewHost(ScriptSandbox.ForkServer).RunAsync(first.Request(environment: Env(theirs)), first.Bridge, ct);
        firstRun.ExitCode.ShouldBe(0, firstRun.Stderr);

        // The second reads every readable page of its own memory, the server's inherited pages
        // included, and looks for both serials: its own must be there (the search works).
        second.WriteScript(
            "import os, re\n" +
            "found = set()\n" +
            "mem = open('/proc/self/mem', 'rb', 0)\n" +
            "for line in open('/proc/self/maps'):\n" +
            "    fields = line.split()\n" +
            "    if 'r' not in fields[1] or (len(fields) > 5 and fields[5] in ('[vvar]', '[vsyscall]')):\n" +
            "        continue\n" +
            "    start, end = (int(x, 16) for x in fields[0].split('-'))\n" +
            "    try:\n" +
            "        mem.seek(start)\n" +
            "        data = mem.read(end - start)\n" +
            "    except (OSError, OverflowError, ValueError):\n" +
            "        continue\n" +
            "    for word in re.findall(rb'(?:their|our)-serial-[0-9a-f]{32}', data):\n" +
            "        found.add(word.decode())\n" +
            "print(' '.join(sorted(found)))\n");
        var secondRun = await second.NewHost(ScriptSandbox.ForkServer).RunAsync(second.Request(environment: Env(ours)), second.Bridge, ct);

        secondRun.ExitCode.ShouldBe(0, secondRun.Stderr);
        secondRun.Stdout.ShouldContain(ours);
        secondRun.Stdout.ShouldNotContain(theirs);
    }

    [Fact]
    public async Task RunAsync_ScriptLooksForTheServer_NoDescriptorNoSocketNoProcess()
    {
        RequiresRoot();
        using var sw = SandboxedSwitch.Create();
        // Before anything asks the bridge (the clock, cli): only what the script was given.
        var script =
            "import os, socket\n" +
            "print('fds', sorted(os.listdir('/proc/self/fd')))\n" +
            "print('pids', sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))\n" +
            "for fd in range(3, 256):\n" +
            "    try:\n" +
            "        s = socket.socket(fileno=fd)\n" +
            "        print('socket', fd, s.family, s.getpeername())\n" +
            "        s.detach()\n" +
            "    except OSError:\n" +
            "        pass\n" +
            "print('tmp', [p for p in os.listdir('/tmp') if 'forkserver' in p])\n";

        var result = await sw.RunAsync(script, cancellationToken: TestContext.Current.CancellationToken, sandbox: ScriptSandbox.ForkServer);

        result.ExitCode.ShouldBe(0, result.Stderr);
        // stdin, stdout, stderr and the directory listdir itself opened; only init and the script.
        // The one socket is the bridge's (connected as the interpreter starts): nothing of the server's.
        result.Stdout.ShouldBe($"fds ['0', '1', '2', '3', '4']\npids [1, 2]\nsocket 3 1 {sw.BridgeDirectories.Single()}/bridge.sock\ntmp []\n");
    }

    [Fact]
    public async Task RunAsync_ServerKilledMidRun_RunEndsNothingLeftNextRunStartsAServer()
    {
        RequiresRoot();
        using var sw = SandboxedSwitch.Create();
        // A sleep length no other process uses: its command line marks the script's child.
        var marker = $"{Random.Shared.Next(3000, 9000)}.{Random.Shared.Next(100000, 999999)}";
        var interpreter = PythonLocator.Resolve(null);
        var ct = TestContext.Current.CancellationToken;
        sw.WriteScript($"import subprocess, select\nsubprocess.Popen(['sleep', '{marker}'])\nprint('waiting', flush=True)\nselect.select([], [], [], 600)\n");
        // A pool of the test's own: killing its server touches no other test's runs.
        using var pool = new ForkServerPool();
        var host = new ScriptHost { Sandbox = ScriptSandbox.ForkServer, ForkServers = pool };

        var running = host.RunAsync(sw.Request(interpreter), sw.Bridge, ct);
        await WaitUntilAsync(() => SandboxedSwitch.ProcessesWith(marker).Count > 0, ct);
        var server = await pool.GetAsync(interpreter, []);
        var serverPid = server.Pid;
        System.Diagnostics.Process.GetProcessById(serverPid).Kill();
        var result = await running.WaitAsync(TimeSpan.FromSeconds(30), ct);

        result.End.ShouldBe(ScriptEnd.Exited);
        result.ExitCode.ShouldBe(ForkedRun.LostExitCode);
        result.Error.ShouldNotBeNull().ShouldContain("fork server");
        await WaitUntilAsync(() => SandboxedSwitch.ProcessesWith(marker).Count == 0, ct);
        sw.WriteScript("print('again')\n");
        var next = await host.RunAsync(sw.Request(interpreter), sw.Bridge, ct);
        next.Stdout.ShouldBe("again\n", next.Stderr);
        (await pool.GetAsync(interpreter, [])).Pid.ShouldNotBe(serverPid);
    }

    [Theory]
    [MemberData(nameof(SandboxKinds.Each), MemberType = typeof(SandboxKinds))]
    public async Task RunAsync_BindSourceGone_FailedToStartNamingIt(ScriptSandbox sandbox)
    {
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript("print('never')\n");
        // The switch's /isan tree is gone: its read-only bind has no source.
        Directory.Delete(sw.Filesystem.IsanPath, recursive: true);

        var result = await sw.NewHost(sandbox).RunAsync(sw.Request(), sw.Bridge, TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.FailedToStart, result.Stderr);
        result.Error.ShouldNotBeNull().ShouldContain(sw.Filesystem.IsanPath);
        result.Error.ShouldStartWith(sandbox == ScriptSandbox.ForkServer ? "sandbox: cannot bind " : "bwrap: ");
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task RunAsync_ServerEndsBeforeItConnects_FailedToStartWithItsStatusAndNothingLeft()
    {
        RequiresRoot();
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript("print('never')\n");
        using var pool = new ForkServerPool();
        var host = new ScriptHost { Sandbox = ScriptSandbox.ForkServer, ForkServers = pool, BridgeDirectoryCreated = sw.BridgeDirectories.Add };
        // Not a Python at all: it exits at once, whatever it is given.
        var broken = new PythonInterpreter("/bin/false", "3.11.2", "/usr");

        var result = await host.RunAsync(sw.Request(broken), sw.Bridge, TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.FailedToStart);
        result.Error.ShouldNotBeNull().ShouldContain("the fork server (/bin/false) ended with status 1 before it connected");
        sw.BridgeDirectories.ShouldNotBeEmpty();
        sw.BridgeDirectories.ShouldAllBe(d => !Directory.Exists(d));
    }

    [Fact]
    public async Task RunAsync_Python27_FallsBackToBubblewrapInAuto()
    {
        RequiresRoot();
        using var sw = SandboxedSwitch.Create();
        var python27 = ScriptHostBridgeTests.ResolveOrSkip("2.7");
        ForkServer.Supports(python27).ShouldBeFalse();

        var auto = await sw.RunAsync("import sys\nprint(sys.version_info[0])\n", python27, cancellationToken: TestContext.Current.CancellationToken);
        var forced = await sw.RunAsync("print(1)\n", python27, cancellationToken: TestContext.Current.CancellationToken, sandbox: ScriptSandbox.ForkServer);

        auto.Stdout.ShouldBe("2\n", auto.Stderr);
        forced.End.ShouldBe(ScriptEnd.FailedToStart);
        forced.Error.ShouldNotBeNull().ShouldContain("3.9");
    }

    [Theory]
    [InlineData(null, ScriptSandbox.Auto)]
    [InlineData("", ScriptSandbox.Auto)]
    [InlineData(" BWRAP ", ScriptSandbox.Bubblewrap)]
    [InlineData("forkserver", ScriptSandbox.ForkServer)]
    public void Parse_KnownNames_TheirSandbox(string? value, ScriptSandbox expected) =>
        ScriptSandboxes.Parse(value).ShouldBe(expected);

    [Fact]
    public void Parse_UnknownName_ErrorNamesTheVariableAndTheChoices()
    {
        var error = Should.Throw<InvalidOperationException>(() => ScriptSandboxes.Parse("docker"));
        error.Message.ShouldContain("POAPLAB_SCRIPT_SANDBOX='docker'");
        error.Message.ShouldContain("auto, bwrap or forkserver");
    }

    private static Dictionary<string, string> Env(string serial) => new(StringComparer.Ordinal)
    {
        ["POAP_SERIAL"] = serial,
        ["POAP_PHASE"] = "USB",
    };

    private static Dictionary<string, string> Fields(string stdout)
    {
        var json = stdout[..(stdout.LastIndexOf('}') + 1)];
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(100, cancellationToken);
        }
        condition().ShouldBeTrue();
    }
}
