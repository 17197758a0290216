using System.Diagnostics;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Sandbox;
using PoapLab.Switch.Tests.Script;

namespace PoapLab.Switch.Tests.Script.Sandbox;

/// <summary>
/// The attack suite: each of PoapLab's own hostile scripts (fixtures/scripts/attacks) runs in
/// the sandbox and is judged from the host by <see cref="AttackLab.Verify"/> (canaries
/// unread, host state unchanged, no listener reached, nothing left alive or privileged),
/// plus what that attack in particular would have changed.
/// </summary>
[Collection(PoapLab.Testing.LoadSensitive.Name)]
public sealed class SandboxAttackTests
{
    /// <summary>Both ways a sandbox is built (the fork server only as root, where PoapLab uses it).</summary>
    public static TheoryData<ScriptSandbox> Sandboxes => SandboxKinds.Each;

    /// <summary>Every common attack against every sandbox.</summary>
    public static TheoryData<string, ScriptSandbox> CommonAttacks
    {
        get
        {
            var data = new TheoryData<string, ScriptSandbox>();
            foreach (var attack in Attacks)
            {
                foreach (var sandbox in SandboxKinds.All)
                {
                    data.Add(attack, sandbox);
                }
            }
            return data;
        }
    }

    /// <summary>Attacks whose every effect the common host checks cover.</summary>
    private static readonly string[] Attacks =
    [
        "01-read-host-secret.py",
        "02-read-shadow.py",
        "03-read-ssh-keys.py",
        "04-proc-environ.py",
        "05-other-switch.py",
        "06-write-host-etc.py",
        "07-proc-sys.py",
        "08-mount.py",
        "09-userns-nesting.py",
        "10-setuid-binaries.py",
        "11-ptrace.py",
        "12-keyring.py",
        "13-io-uring.py",
        "14-kernel-surfaces.py",
        "15-open-by-handle.py",
        "16-foreign-sockets.py",
        "17-network.py",
        "18-devices.py",
        "26-hardlink.py",
        "27-setuid-files.py",
        "33-chroot-breakout.py",
    ];

    [Theory]
    [MemberData(nameof(CommonAttacks))]
    public async Task RunAsync_Attack_BlockedAndHostUnchanged(string attack, ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync(attack, cancellationToken: TestContext.Current.CancellationToken);

        // The script itself ran to its end: every attempt was refused, none crashed the run.
        result.End.ShouldBe(ScriptEnd.Exited, result.Stderr);
        result.ExitCode.ShouldBe(0, result.Stderr);
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_ReadOnlyMounts_IsanAndBridgeModulesUnchanged(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);
        var isan = Directory.GetFiles(lab.Switch.Filesystem.IsanPath, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

        var result = await lab.RunAsync("28-readonly-mounts.py", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        lab.Verify(result);
        Directory.GetFiles(lab.Switch.Filesystem.IsanPath, "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText).ShouldBe(isan);
        // The script's cli() after the attempts still crossed PoapLab's own bridge module.
        lab.Switch.Bridge.CliCalls.Select(c => c.Command).ShouldBe(["show version"]);
        result.Stdout.ShouldContain("replace cli.py: refused");
        result.Stdout.ShouldContain("rename cli.py: refused");
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_ForkBomb_HeldAtTheProcessLimitAndNothingLeft(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("19-fork-bomb.py", cancellationToken: TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.Exited, result.Stderr);
        lab.Verify(result);
        if (Environment.IsPrivilegedProcess)
        {
            lab.PeakProcesses.ShouldBeLessThanOrEqualTo(new SandboxLimits().Processes);
            lab.PeakProcesses.ShouldBeGreaterThan(1, "the sampler saw the bomb's children");
        }
        result.Stdout.ShouldContain("fork refused after");
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_MemoryBomb_RefusedAtTheAddressSpaceLimit(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("20-memory-bomb.py", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        lab.Verify(result);
        result.Stdout.ShouldContain("memory refused after MiB");
        lab.PeakResidentBytes.ShouldBeLessThanOrEqualTo(new SandboxLimits().AddressSpaceBytes);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_FillTheFlash_FileNeverPastTheCapacity(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);
        var capacity = 64L * 1024 * 1024;

        var result = await lab.RunAsync("21-fill-flash.py", capacityBytes: capacity, cancellationToken: TestContext.Current.CancellationToken);

        // The kernel stops the file at the flash's size (RLIMIT_FSIZE), whatever the host disk has free.
        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldContain("write refused after MiB 64");
        new FileInfo(Path.Combine(lab.Switch.Filesystem.BootflashPath, "huge.bin")).Length.ShouldBeLessThanOrEqualTo(capacity);
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_StdoutFlood_BoundedTailKept(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("22-stdout-flood.py", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.Length.ShouldBeLessThanOrEqualTo(ScriptHost.OutputLimitBytes + 256);
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_RunBash_RunsInTheSandboxBoundedAndHostUnchanged(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);
        // The CLI's answer to "run bash CMD" once bash-shell is on: CMD, to be run on the script's side.
        lab.Switch.Bridge.Answer = (command, _) => command.StartsWith("run bash ", StringComparison.Ordinal)
            ? new PoapLab.Switch.Cli.CliResult(PoapLab.Switch.Cli.CliStatus.Shell, command["run bash ".Length..])
            : PoapLab.Switch.Cli.CliResult.Ok("");

        var result = await lab.RunAsync("35-run-bash.py", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldContain("flood returned 1048576 bytes\n");
        result.Stdout.ShouldContain("echo returned A|B\n");
        File.Exists("/etc/poaplab-bash").ShouldBeFalse();
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_ConcurrentCli_SerialisedAndEveryCommandServed(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);
        lab.Switch.Bridge.Answer = (_, _) =>
        {
            // Long enough that two commands handled at once would overlap.
            Thread.Sleep(2);
            return PoapLab.Switch.Cli.CliResult.Ok("Cisco Nexus Operating System (NX-OS) Software\n");
        };

        var result = await lab.RunAsync("23-concurrent-cli.py", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        lab.Switch.Bridge.CliCalls.Count.ShouldBe(16 * 25);
        lab.Switch.Bridge.MaxConcurrentCli.ShouldBe(1);
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_NonsenseSleeps_PythonErrorsThenTheSwitchTimeout(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("24-sleep-nonsense.py", timeout: TimeSpan.FromMinutes(5), cancellationToken: TestContext.Current.CancellationToken);

        // Python's own errors for what Python refuses...
        result.Stdout.ShouldContain("sleep nan: refused (ValueError");
        result.Stdout.ShouldContain("sleep -1: refused (ValueError");
        result.Stdout.ShouldContain("sleep inf: refused (OverflowError");
        result.Stdout.ShouldContain("sleep 1000000000000.0: refused (OverflowError");
        // ...and a sleep no switch wakes from ends the run there, as a hang, at once.
        result.End.ShouldBe(ScriptEnd.TimedOut);
        result.Error.ShouldNotBeNull().ShouldContain("which no switch wakes from");
        result.RealDuration.ShouldBeLessThan(TimeSpan.FromMinutes(1));
        result.Error.ShouldNotBeNull().ShouldNotContain("bridge fault");
        lab.Switch.Bridge.Sleeps.ShouldBeEmpty();
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_KillEverything_HostProcessSurvives(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);
        // Bystanders: one of root, one of the script's own uid (as root runs give it one) — only
        // the sandbox's pid namespace keeps the script from signalling the latter.
        var start = new ProcessStartInfo("sleep", "120") { UseShellExecute = false };
        if (lab.Identity.HostUid is { } uid)
        {
            start = new ProcessStartInfo("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "sleep", "120"]) { UseShellExecute = false };
        }
        using var sameUid = Process.Start(start)!;
        using var root = Process.Start(new ProcessStartInfo("sleep", "120") { UseShellExecute = false })!;
        try
        {
            var result = await lab.RunAsync("25-kill-everything.py", cancellationToken: TestContext.Current.CancellationToken);

            result.ExitCode.ShouldBe(0, result.Stderr);
            sameUid.HasExited.ShouldBeFalse("a host process of the script's own uid was killed from the sandbox");
            root.HasExited.ShouldBeFalse("a host process was killed from the sandbox");
            lab.Verify(result, sameUid.Id);
        }
        finally
        {
            sameUid.Kill();
            root.Kill();
        }
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_Daemon_NothingOutlivesTheRun(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("29-daemon.py", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.RealDuration.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_CpuBurn_KilledAtTheTimeoutAndNothingLeft(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("30-cpu-burn.py", timeout: TimeSpan.FromSeconds(3), cancellationToken: TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.TimedOut);
        result.RealDuration.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_OpenFilesWithoutEnd_HeldAtTheLimit(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("31-fd-exhaustion.py", cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldContain("open refused after");
        lab.PeakOpenFiles.ShouldBeLessThanOrEqualTo(new SandboxLimits().OpenFiles);
        lab.Verify(result);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task RunAsync_BridgeFlood_ConnectionsCappedRunEnds(ScriptSandbox sandbox)
    {
        using var lab = AttackLab.Create(sandbox);

        var result = await lab.RunAsync("32-bridge-flood.py", timeout: TimeSpan.FromSeconds(30), cancellationToken: TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.Exited, result.Stderr);
        var held = int.Parse(result.Stdout.Split('\n').Single(l => l.StartsWith("connections: ", StringComparison.Ordinal))["connections: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        held.ShouldBeLessThanOrEqualTo(1000);
        result.Error.ShouldNotBeNull(result.Stdout + result.Stderr).ShouldContain("bridge request exceeded");
        lab.Verify(result);
    }
}
