using System.Diagnostics;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests;

/// <summary>The <c>poaplab</c> process itself, run as a child as a user runs it.</summary>
public sealed class ProgramTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-program-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Main_AsRootScriptFillsEverything_EnospcAtTheBoundNothingLeftMounted()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.That(Environment.IsPrivilegedProcess, "root (the switches' filesystems are bounded tmpfs mounts in a private mount namespace)");
        var outDir = Path.Combine(_dir, "out");
        var attack = Path.Combine(RepoPaths.Root, "fixtures", "scripts", "attacks", "34-fill-everything.py");

        var (exit, output) = await RunPoaplabAsync(["run", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--script", attack, "--out", outDir], TimeSpan.FromMinutes(3));

        exit.ShouldBe(1, output);
        var stdout = await File.ReadAllTextAsync(Path.Combine(outDir, "happy-path-tftp", "leaf-101", "script.stdout.log"), TestContext.Current.CancellationToken);
        // The flash (at most 2 GiB of real bytes) and /tmp (256 MiB) refuse, as a full flash does.
        stdout.ShouldContain("/bootflash: refused after 2047 MiB: No space left on device");
        stdout.ShouldContain("/tmp: refused after 255 MiB: No space left on device");
        // Nothing of the run stays mounted on the host; the report keeps a bounded part of the junk.
        (await File.ReadAllTextAsync("/proc/self/mountinfo", TestContext.Current.CancellationToken)).ShouldNotContain(_dir);
        DirectorySize(outDir).ShouldBeLessThan(4L * 64 * 1024 * 1024 + 16 * 1024 * 1024);
    }

    [Fact]
    public async Task Main_AsRootFleetOfFourParallelOne_OnlyTheRunningSwitchHoldsMounts()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.That(Environment.IsPrivilegedProcess, "root (the switches' filesystems are bounded tmpfs mounts in a private mount namespace)");
        // Every mount of PoapLab's namespace is copied into each script sandbox: a switch mounts
        // its four filesystems at power-on and gives them back as its run ends, so a fleet holds
        // at most 4 x --parallel of them, never 4 per switch for the whole run.
        var scenario = Path.Combine(_dir, "fleet.yaml");
        await File.WriteAllTextAsync(scenario, $$"""
            name: mounts-fleet
            switches:
              - count: 4
                name: leaf-{n}
                serial: FDO{n:08}
                mac: 00:aa:bb:{n:x6}
                poap: { ipv6: false }
            servers:
              dhcp: { address: 10.0.0.1, subnet: 10.0.0.0/24, pool: 10.0.0.50-10.0.0.99, tftp_server_name: http://10.0.0.1, bootfile: poap_nexus.py }
              http: { address: 10.0.0.1 }
            files:
              - path: poap_nexus.py
                script: {{RepoPaths.FixtureScript}}
                options: { hostname: 10.0.0.1, transfer_protocol: http, target_system_image: nxos64-cs.10.3.6.M.bin, target_image_path: /images/, config_path: /configs/ }
              - path: images/nxos64-cs.10.3.6.M.bin
                image: { version: 10.3(6)M, size: 64 KiB }
                md5: md5sum
              - path: configs/conf.{serial}
                per_switch: true
                md5: md5sum
                content: "hostname {name}\n"
            expect: { outcome: provisioned }
            """, TestContext.Current.CancellationToken);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "poaplab.dll"), "run", scenario, "--parallel", "1", "--out", Path.Combine(_dir, "out") })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var most = 0;
        var deadline = Stopwatch.StartNew();
        try
        {
            // Bounded: polls the run's mount table (its switches' mounts are under this test's folder) until it exits.
            while (!process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(3))
            {
                try
                {
                    var held = File.ReadLines($"/proc/{process.Id}/mountinfo").Count(line => line.Contains(_dir, StringComparison.Ordinal));
                    most = Math.Max(most, held);
                }
                catch (IOException)
                {
                    // It exited while we read.
                }
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        process.ExitCode.ShouldBe(0, await stdout + await stderr);
        most.ShouldBeInRange(1, 4);
        (await File.ReadAllTextAsync("/proc/self/mountinfo", TestContext.Current.CancellationToken)).ShouldNotContain(_dir);
    }

    [Fact]
    public async Task Main_AsRootRunEnds_NoProcessOfItsGroupOutlivesIt()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("setsid", "apt-get install util-linux");
        Requires.That(Environment.IsPrivilegedProcess, "root (the scripts run from the fork server, which PoapLab starts as root)");
        // The run in a process group of its own (setsid(1) execs it in place): every process it
        // started — the fork server, the scripts, the servers' helpers — is in that group unless
        // it left it on purpose. Once poaplab has exited none may remain, not even as an orphan
        // dying after it (the fork server was killed only by its parent-death signal, after
        // PoapLab was gone, and lingered for init to reap).
        var start = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "dotnet", Path.Combine(AppContext.BaseDirectory, "poaplab.dll"), "run", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--out", Path.Combine(_dir, "out") })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
        }
        var left = ProcessTree.OfGroup(process.Id);

        process.ExitCode.ShouldBe(0, await stdout + await stderr);
        left.ShouldBeEmpty();
    }

    [Fact]
    public async Task Main_Version_PrintsThePackageVersion()
    {
        var (exit, output) = await RunPoaplabAsync(["--version"], TimeSpan.FromMinutes(1));

        exit.ShouldBe(0, output);
        output.ShouldStartWith("0.15.0");
    }

    [Fact]
    public async Task Pack_InstalledAsADotnetTool_PoaplabRuns()
    {
        // What the README's quick start does, into folders of this test's own (no network: the only package source is the pack's folder).
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var feed = Path.Combine(_dir, "feed");
        var tools = Path.Combine(_dir, "tools");
        await File.WriteAllTextAsync(Path.Combine(_dir, "nuget.config"),
            $"<configuration><packageSources><clear /><add key=\"local\" value=\"{feed}\" /></packageSources></configuration>", TestContext.Current.CancellationToken);

        (await RunAsync("dotnet", ["pack", Path.Combine(RepoPaths.Root, "src", "PoapLab.Cli"), "-c", configuration, "--no-build", "-o", feed, "-nologo"], TimeSpan.FromMinutes(3))).Exit.ShouldBe(0);
        var install = await RunAsync("dotnet", ["tool", "install", "--tool-path", tools, "--configfile", Path.Combine(_dir, "nuget.config"), "PoapLab"], TimeSpan.FromMinutes(3));
        install.Exit.ShouldBe(0, install.Output);
        var version = await RunAsync(Path.Combine(tools, "poaplab"), ["--version"], TimeSpan.FromMinutes(1));

        version.Exit.ShouldBe(0, version.Output);
        version.Output.ShouldStartWith("0.15.0");
    }

    [Fact]
    public async Task Run_ScriptSandboxVariableMisspelt_ExitTwoNamingItBeforeAnythingRuns()
    {
        var outDir = Path.Combine(_dir, "out-sandbox-variable");

        var (exit, output) = await RunPoaplabAsync(["run", Path.Combine(RepoPaths.Scenarios, "happy-path-http.yaml"), "--out", outDir], TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["POAPLAB_SCRIPT_SANDBOX"] = "docker" });

        exit.ShouldBe(2, output);
        output.ShouldContain("POAPLAB_SCRIPT_SANDBOX='docker' names no script sandbox: use auto, bwrap or forkserver");
        Directory.Exists(outDir).ShouldBeFalse();
    }

    [Theory]
    [InlineData("bwrap")]
    [InlineData("auto")]
    public async Task Run_HappyPathInEachScriptSandbox_Passes(string sandbox)
    {
        var outDir = Path.Combine(_dir, "out-" + sandbox);

        var (exit, output) = await RunPoaplabAsync(["run", Path.Combine(RepoPaths.Scenarios, "happy-path-http.yaml"), "--out", outDir], TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["POAPLAB_SCRIPT_SANDBOX"] = sandbox });

        exit.ShouldBe(0, output);
        output.ShouldContain("1 passed, 0 failed");
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, IReadOnlyList<string> args, TimeSpan limit)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} ran past {limit}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Runs the built poaplab (beside the test assembly) as a child process, bounded in time.</summary>
    internal static async Task<(int Exit, string Output)> RunPoaplabAsync(IReadOnlyList<string> args, TimeSpan limit, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "poaplab.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"poaplab {string.Join(' ', args)} ran past {limit}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    private static long DirectorySize(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Where(f => f.LinkTarget is null).Sum(f => f.Length);
}
