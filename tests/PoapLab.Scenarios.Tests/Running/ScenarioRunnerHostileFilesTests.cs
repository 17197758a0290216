using System.Diagnostics;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>
/// End to end: a script in the sandbox plants links out of its flash (a two-step
/// <c>a -&gt; b/..</c>, <c>b -&gt;</c> a host directory, links to a host file named like the
/// logs the report copies), FIFOs named like those logs, swaps <c>bootflash:scripts</c> for a
/// link and <c>script.sh</c> for a FIFO before the next attempt's download, writes a large
/// log of its own, then asks the CLI to copy, list, delete, show and redirect through the
/// links. Checked from the host side: the canaries are unchanged, nothing of the host is in
/// the report, the script's own large log survives the pruning, and the run ends in bounded time.
/// </summary>
public sealed class ScenarioRunnerHostileFilesTests : IDisposable
{
    private const string CanaryText = "canary: the host's own bytes\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RunAsync_ScriptPlantsLinksAndFifos_HostUnchangedReportWrittenNoHang()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var canaryDir = Directory.CreateDirectory(Path.Combine(_dir, "host", "canary-dir")).FullName;
        var canary = Path.Combine(canaryDir, "canary.txt");
        var secret = Path.Combine(_dir, "host", "secret.txt");
        var bigDir = Directory.CreateDirectory(Path.Combine(_dir, "host", "big-dir")).FullName;
        var big = Path.Combine(bigDir, "big.bin");
        File.WriteAllText(canary, CanaryText);
        File.WriteAllText(secret, CanaryText);
        File.WriteAllBytes(big, new byte[3 << 20]);
        var script = Path.Combine(_dir, "hostile.py");
        File.WriteAllText(script, HostileScript(canaryDir, secret, bigDir));

        var loaded = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"));
        var scenario = loaded with
        {
            Name = "hostile-files",
            Files = [.. loaded.Files.Select(f => f.Script is null ? f : f with { Script = script, ScriptOptions = new Dictionary<string, object?>() })],
            Switches = [loaded.Switches[0] with { MaxAttempts = 3 }],
        };
        var outDir = Path.Combine(_dir, "out");
        var clock = Stopwatch.StartNew();
        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(outDir), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromMinutes(4));
        // The host's files, seen from the host.
        File.ReadAllText(canary).ShouldBe(CanaryText);
        File.ReadAllText(secret).ShouldBe(CanaryText);
        Directory.GetFileSystemEntries(canaryDir).Select(Path.GetFileName).ShouldBe(["canary.txt"]);
        new FileInfo(big).Length.ShouldBe(3 << 20);

        var flash = Path.Combine(result.OutputDirectory, "switches", "leaf-101", "bootflash");
        // Three attempts ran: the link in place of scripts/ and the FIFO in place of script.sh were replaced by the download.
        File.Exists(Path.Combine(flash, "attempt.3")).ShouldBeTrue(string.Join("\n", Directory.GetFileSystemEntries(flash)));
        new DirectoryInfo(Path.Combine(flash, "scripts")).LinkTarget.ShouldBeNull();
        File.Exists(Path.Combine(flash, "stolen")).ShouldBeFalse();
        File.Exists(Path.Combine(flash, "stolen2")).ShouldBeFalse();
        var answers = File.ReadAllText(Path.Combine(flash, "answers.txt"));
        answers.ShouldContain("Permission denied");
        answers.ShouldNotContain(CanaryText.Trim());
        // The script's own large log is not an image: the pruning leaves it.
        new FileInfo(Path.Combine(flash, "own_script.log")).Length.ShouldBeGreaterThan(1 << 20);

        // The report: written, with the script's log, and nothing of the host's.
        var report = Path.Combine(result.OutputDirectory, "leaf-101");
        File.Exists(Path.Combine(result.OutputDirectory, "summary.txt")).ShouldBeTrue();
        var scriptLog = File.ReadAllText(Path.Combine(report, "script.log"));
        scriptLog.ShouldContain("own log attempt 1");
        // Only the report's own files: the switch's tree holds the script's FIFOs, which a plain read would block on.
        foreach (var f in Directory.GetFiles(report).Concat(Directory.GetFiles(result.OutputDirectory)))
        {
            File.ReadAllText(f).Contains(CanaryText.Trim(), StringComparison.Ordinal).ShouldBeFalse(f);
        }
        // The FIFO and the link named like POAP logs are skipped, the switch's own init logs copied.
        var poapLog = File.ReadAllText(Path.Combine(report, "poap.log"));
        poapLog.ShouldContain("POAP_SCRIPT_DOWNLOADED");
        poapLog.ShouldNotContain("evil_poap_1_init.log");
        poapLog.ShouldNotContain("stolen_poap_2_init.log");
        scriptLog.ShouldNotContain("x_script.log");
        scriptLog.ShouldNotContain("y_script.log");
    }

    private static string HostileScript(string canaryDir, string secret, string bigDir) => $$"""
        #!/usr/bin/env python3
        import os
        import sys
        from cli import *

        CANARY_DIR = "{{canaryDir}}"
        SECRET = "{{secret}}"
        BIG_DIR = "{{bigDir}}"
        B = "/bootflash"


        def plant(fn, *args):
            try:
                fn(*args)
            except OSError:
                pass


        def attempt():
            n = 1
            while os.path.exists(B + "/attempt.%d" % n):
                n += 1
            open(B + "/attempt.%d" % n, "w").close()
            return n


        def ask(cmd):
            try:
                return cli(cmd)
            except Exception as e:
                return str(e)


        n = attempt()
        plant(os.symlink, CANARY_DIR, B + "/b")
        plant(os.symlink, "b/..", B + "/a")
        plant(os.symlink, SECRET, B + "/abs")
        plant(os.symlink, BIG_DIR, B + "/bigdir")
        plant(os.mkfifo, B + "/x_script.log")
        plant(os.mkfifo, B + "/evil_poap_1_init.log")
        plant(os.symlink, SECRET, B + "/y_script.log")
        plant(os.symlink, SECRET, B + "/stolen_poap_2_init.log")
        plant(os.symlink, CANARY_DIR, "/tmp/hostdir")
        with open(B + "/own_script.log", "a") as f:
            f.write("own log attempt %d\n" % n)
            f.write("x" * (2 << 20) + "\n")
        for cmd in [
            "copy bootflash:a/canary-dir/canary.txt bootflash:stolen",
            "copy bootflash:abs bootflash:stolen2",
            "dir bootflash:b",
            "dir bootflash:a/canary-dir",
            "dir bootflash:",
            "delete bootflash:a/canary-dir/canary.txt no-prompt",
            "delete bootflash:b/canary.txt no-prompt",
            "show file bootflash:abs",
            "show file bootflash:a/canary-dir/canary.txt",
            "show file bootflash:x_script.log",
            "show version > bootflash:a/canary-dir/planted",
            "show version >> bootflash:abs",
            "copy running-config bootflash:b/run.cfg",
        ]:
            with open(B + "/answers.txt", "a") as f:
                f.write("%s => %s\n" % (cmd, ask(cmd)))
        if n == 1:
            os.rename(B + "/scripts", B + "/scripts.old")
            os.symlink(CANARY_DIR, B + "/scripts")
            sys.exit(1)
        if n == 2:
            os.unlink(B + "/scripts/script.sh")
            os.mkfifo(B + "/scripts/script.sh")
            sys.exit(1)
        sys.exit(0)
        """;
}
