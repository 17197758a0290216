using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>
/// <c>kill -9</c> of <c>poaplab run</c> during a script run (nothing of the sandbox survives,
/// nothing stays mounted) and during an scp/sftp scenario, checked from the host: within
/// 10 s no process it started is alive, sshd's port is closed, no file holds the password, an
/// askpass script or a copy of the served files, and no host account or shadow entry changed.
/// </summary>
public sealed partial class RunCommandKillTests : IDisposable
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-kill-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("happy-path-sftp.yaml", "Sftp-Lab-2", false)]
    [InlineData("happy-path-scp.yaml", "Poap-Lab-1", true)]
    public async Task Run_KilledDuringSshScenario_LeavesNothingBehind(string scenario, string password, bool duringConnection)
    {
        Requires.Tool("/usr/sbin/sshd", "apt-get install openssh-server");
        Requires.Tool("/usr/bin/sftp", "apt-get install openssh-client");
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("python3", "apt-get install python3");
        Requires.That(Environment.IsPrivilegedProcess, "root (the lab's sshd)");
        var poaplab = Path.Combine(AppContext.BaseDirectory, "poaplab.dll");
        Requires.That(File.Exists(poaplab), $"{poaplab} (built with this test project)");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? Requires.Tool("dotnet", "the .NET SDK");

        var accounts = HostAccounts.Names();
        // The served script carries a mark of this run only: any copy of it outside --out is a snapshot left behind.
        var marker = $"# poaplab-kill-test {Guid.NewGuid():N}";
        var script = Path.Combine(_dir, "script.py");
        var text = await File.ReadAllTextAsync(RepoPaths.FixtureScript, Ct);
        await File.WriteAllTextAsync(script, text.Replace("#!/bin/env python\n", $"#!/bin/env python\n{marker}\n", StringComparison.Ordinal), Ct);
        var outDir = Path.Combine(_dir, "out");
        // Its own temp directory: every temp file the harness makes lands where the test can look.
        var tmp = Directory.CreateDirectory(Path.Combine(_dir, "tmp")).FullName;
        var start = new ProcessStartInfo(dotnet)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "exec", poaplab, "run", Path.Combine(RepoPaths.Scenarios, scenario), "--script", script, "--out", outDir })
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["TMPDIR"] = tmp;
        using var harness = Process.Start(start)!;
        var drain = Task.WhenAll(harness.StandardOutput.ReadToEndAsync(Ct), harness.StandardError.ReadToEndAsync(Ct));

        // Bounded wait for the moment: sshd up (and, for the second case, serving a connection).
        List<ProcessMark> tree = [];
        ProcessMark? sshd = null;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (harness.HasExited)
            {
                Assert.Fail($"the scenario ended before the moment to kill it: {string.Join("\n", await drain)}");
            }
            tree = ProcessTree.Descendants(harness.Id);
            var sshds = tree.Where(p => p.Comm == "sshd").ToList();
            if (sshds.Count >= (duringConnection ? 2 : 1) && File.Exists($"/proc/{sshds[0].Pid}/root/run/poaplab/sshd_config"))
            {
                sshd = sshds[0];
                break;
            }
            await Task.Delay(10, Ct);
        }
        sshd.ShouldNotBeNull("sshd never started under poaplab");
        var config = await File.ReadAllTextAsync($"/proc/{sshd.Value.Pid}/root/run/poaplab/sshd_config", Ct);
        var listen = ListenRegex().Match(config);
        listen.Success.ShouldBeTrue(config);
        var endPoint = new IPEndPoint(IPAddress.Parse(listen.Groups["ip"].Value), int.Parse(listen.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture));
        tree = ProcessTree.Descendants(harness.Id);

        await KillAndExpectAllGoneAsync(harness, tree);

        using (var probe = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
        {
            await Should.ThrowAsync<SocketException>(async () => await probe.ConnectAsync(endPoint, Ct));
        }

        // Nothing on disk: the harness's temp files, /var/lib/poaplab, /tmp/poaplab-*, /dev/shm.
        var suspects = new List<string>();
        foreach (var root in new[] { tmp, "/var/lib/poaplab", "/dev/shm" }.Concat(Directory.GetDirectories(Path.GetTempPath(), "poaplab-*")))
        {
            if (!Directory.Exists(root) || root == _dir)
            {
                continue;
            }
            List<string> files;
            try
            {
                files = [.. Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })];
            }
            catch (IOException)
            {
                // Another process's temp directory went away while we looked: not ours.
                continue;
            }
            foreach (var file in files)
            {
                var name = Path.GetFileName(file);
                var ours = file.StartsWith(tmp, StringComparison.Ordinal);
                if (ours && (name is "password" or "askpass" or "shadow" || name.StartsWith("ssh_host_", StringComparison.Ordinal)))
                {
                    suspects.Add(file);
                    continue;
                }
                string content;
                try
                {
                    if (new FileInfo(file).Length is 0 or >= 1 << 20)
                    {
                        continue;
                    }
                    content = await File.ReadAllTextAsync(file, Ct);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                if (content.Contains(marker, StringComparison.Ordinal) || (ours && content.Contains(password, StringComparison.Ordinal)))
                {
                    suspects.Add(file);
                }
            }
        }
        suspects.ShouldBeEmpty();

        var after = HostAccounts.Names();
        after.Passwd.ShouldNotContain("poaplab-lab");
        after.Shadow.ShouldNotContain("poaplab-lab");
        after.Passwd.ShouldBe(accounts.Passwd);
        after.Shadow.ShouldBe(accounts.Shadow);
    }

    [Fact]
    public async Task Run_KilledDuringScriptRun_SandboxGoneNothingMounted()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var poaplab = Path.Combine(AppContext.BaseDirectory, "poaplab.dll");
        Requires.That(File.Exists(poaplab), $"{poaplab} (built with this test project)");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? Requires.Tool("dotnet", "the .NET SDK");
        // A script that forks a child and a daemon, then waits in real time (not time.sleep: that is the switch's clock).
        var script = Path.Combine(_dir, "script.py");
        await File.WriteAllTextAsync(script,
            "#!/bin/env python\noptions = {'transfer_protocol': 'tftp'}\nimport os, select\n" +
            "if os.fork() == 0:\n    os.setsid()\n    select.select([], [], [], 600)\n    os._exit(0)\n" +
            "os.fork()\nselect.select([], [], [], 600)\n", Ct);
        var outDir = Path.Combine(_dir, "out");
        var start = new ProcessStartInfo(dotnet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "exec", poaplab, "run", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--script", script, "--out", outDir })
        {
            start.ArgumentList.Add(a);
        }
        using var harness = Process.Start(start)!;
        var drain = Task.WhenAll(harness.StandardOutput.ReadToEndAsync(Ct), harness.StandardError.ReadToEndAsync(Ct));

        List<ProcessMark> tree = [];
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (harness.HasExited)
            {
                Assert.Fail($"the scenario ended before the moment to kill it: {string.Join("\n", await drain)}");
            }
            tree = ProcessTree.Descendants(harness.Id);
            if (tree.Count(p => p.Comm.StartsWith("python", StringComparison.Ordinal)) >= 3)
            {
                break;
            }
            await Task.Delay(10, Ct);
        }
        tree.Count(p => p.Comm.StartsWith("python", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(3, "the script and its two children never ran");

        await KillAndExpectAllGoneAsync(harness, tree);
        // The switch's tmpfs filesystems lived in poaplab's own mount namespace: gone with it.
        (await File.ReadAllTextAsync("/proc/self/mountinfo", Ct)).ShouldNotContain(_dir);
    }

    /// <summary><c>kill -9</c> of the harness; within <see cref="Grace"/> every process of <paramref name="tree"/> must be gone (what is not is killed, after the assertion).</summary>
    private static async Task KillAndExpectAllGoneAsync(Process harness, List<ProcessMark> tree)
    {
        harness.Kill(entireProcessTree: false);
        await harness.WaitForExitAsync(Ct);
        var killedAt = Stopwatch.StartNew();
        List<ProcessMark> alive;
        do
        {
            alive = [.. tree.Where(ProcessTree.IsAlive)];
            if (alive.Count == 0)
            {
                break;
            }
            await Task.Delay(50, Ct);
        }
        while (killedAt.Elapsed < Grace);
        try
        {
            alive.ShouldBeEmpty($"still alive {killedAt.Elapsed.TotalSeconds:0.0} s after kill -9: {string.Join(", ", alive)}");
        }
        finally
        {
            // Whatever the outcome, nothing of this test outlives it.
            foreach (var p in tree.Where(ProcessTree.IsAlive))
            {
                try
                {
                    Process.GetProcessById(p.Pid).Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                }
            }
        }
        killedAt.Elapsed.ShouldBeLessThan(Grace);
    }

    [GeneratedRegex(@"^ListenAddress (?<ip>[0-9.]+):(?<port>\d+)$", RegexOptions.Multiline)]
    private static partial Regex ListenRegex();
}
