using System.Diagnostics;
using PoapLab.Core.Processes;
using PoapLab.Testing;

namespace PoapLab.Core.Tests.Processes;

public sealed class ChildProcessLauncherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary><c>setpriv --pdeathsig KILL</c>: a child that dies with the thread that forked it, as bwrap --die-with-parent does.</summary>
    private static ProcessStartInfo DiesWithParent()
    {
        var setpriv = Requires.Tool("/usr/bin/setpriv", "util-linux");
        var start = new ProcessStartInfo(setpriv) { UseShellExecute = false };
        foreach (var a in new[] { "--pdeathsig", "KILL", "--", "/bin/sleep", "60" })
        {
            start.ArgumentList.Add(a);
        }
        return start;
    }

    private static Process StartFromThreadThatEnds(Func<ProcessStartInfo, Process> start)
    {
        Process? started = null;
        var thread = new Thread(() =>
        {
            started = start(DiesWithParent());
            // The thread ends only once setpriv has set the signal and become sleep: a signal set
            // after its forking thread is gone would be tied to nothing.
            var waited = Stopwatch.StartNew();
            while (ProcessTree.Comm(started.Id) != "sleep" && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.Sleep(5);
            }
        });
        thread.Start();
        thread.Join();
        return started!;
    }

    /// <summary>Real time, bounded: whether the process ends within <paramref name="within"/>.</summary>
    private static async Task<bool> EndsWithinAsync(Process process, TimeSpan within)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(within);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
            return true;
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return false;
        }
    }

    [Fact]
    public async Task Start_FromAThreadThatEnds_ChildOutlivesTheThread()
    {
        using var process = StartFromThreadThatEnds(ChildProcessLauncher.Start);
        try
        {
            (await EndsWithinAsync(process, TimeSpan.FromSeconds(2))).ShouldBeFalse();
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task ProcessStart_FromAThreadThatEnds_ChildIsKilledWithTheThread()
    {
        // The caveat the launcher exists for: the parent-death signal follows the forking thread.
        using var process = StartFromThreadThatEnds(s => Process.Start(s)!);
        try
        {
            (await EndsWithinAsync(process, TimeSpan.FromSeconds(10))).ShouldBeTrue();
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public void Start_MissingProgram_Throws() =>
        Should.Throw<System.ComponentModel.Win32Exception>(() => ChildProcessLauncher.Start(new ProcessStartInfo("/nonexistent/program") { UseShellExecute = false }));

    [Fact]
    public void Start_MissingProgramByName_Throws() =>
        Should.Throw<System.ComponentModel.Win32Exception>(() => ChildProcessLauncher.Start(new ProcessStartInfo("no-such-program-poaplab") { UseShellExecute = false }));

    [Fact]
    public async Task Start_ArgumentsThatLookLikeShell_ReachTheCommandVerbatim()
    {
        // The guard is a shell: nothing of the command may be parsed by it.
        var mark = Path.Combine(Path.GetTempPath(), $"poaplab-guard-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("/bin/echo") { UseShellExecute = false, RedirectStandardOutput = true };
        string[] hostile = ["$(touch " + mark + ")", "`touch " + mark + "`", "; touch " + mark, "$0", "$PPID", "a b"];
        foreach (var a in hostile)
        {
            start.ArgumentList.Add(a);
        }
        using var process = ChildProcessLauncher.Start(start);
        var output = await process.StandardOutput.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        output.ShouldBe(string.Join(' ', hostile) + "\n");
        File.Exists(mark).ShouldBeFalse();
    }

    [Fact]
    public async Task Start_Child_KeepsThePidOfTheCommand()
    {
        var start = new ProcessStartInfo("sleep") { UseShellExecute = false };
        start.ArgumentList.Add("60");
        using var process = ChildProcessLauncher.Start(start);
        try
        {
            var waited = Stopwatch.StartNew();
            while (ProcessTree.Comm(process.Id) != "sleep" && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(5, Ct);
            }
            // setpriv, then the guard's shell, then sleep: one process, so killing the pid we hold ends the command.
            ProcessTree.Comm(process.Id).ShouldBe("sleep");
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public async Task Guard_ParentDiedBeforeTheSignalWasSet_CommandNeverRuns()
    {
        // A child reparented before setpriv set its signal sees another parent: it must not run
        // (it would live on after PoapLab). Simulated by naming a pid that is not its parent.
        Requires.Tool(ChildProcessLauncher.Setpriv, "util-linux");
        var mark = Path.Combine(Path.GetTempPath(), $"poaplab-guard-{Guid.NewGuid():N}");
        var tied = ChildProcessLauncher.TiedTo("1", ["/usr/bin/touch", mark]);
        var start = new ProcessStartInfo(tied[0]) { UseShellExecute = false };
        foreach (var a in tied.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(ChildProcessLauncher.OrphanedExitCode);
        File.Exists(mark).ShouldBeFalse();
    }

    [Fact]
    public async Task Guard_ParentAlive_CommandRuns()
    {
        Requires.Tool(ChildProcessLauncher.Setpriv, "util-linux");
        var mark = Path.Combine(Path.GetTempPath(), $"poaplab-guard-{Guid.NewGuid():N}");
        var tied = ChildProcessLauncher.TiedTo(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), ["/usr/bin/touch", mark]);
        var start = new ProcessStartInfo(tied[0]) { UseShellExecute = false };
        foreach (var a in tied.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(Ct);
        try
        {
            process.ExitCode.ShouldBe(0);
            File.Exists(mark).ShouldBeTrue();
        }
        finally
        {
            File.Delete(mark);
        }
    }

    [Fact]
    public async Task Start_WithFd9_CommandReadsTheFileThereAndArgumentsStayVerbatim()
    {
        // One shell both guards and opens the file (bwrap --seccomp 9 reads its filter so).
        var file = Path.Combine(Path.GetTempPath(), $"poaplab-fd9-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(file, "on fd 9\n", Ct);
        try
        {
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var a in new[] { "-c", "cat <&9; echo \"$1\"", "sh", "$(echo no)" })
            {
                start.ArgumentList.Add(a);
            }
            using var process = ChildProcessLauncher.Start(start, file);
            var output = await process.StandardOutput.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);

            output.ShouldBe("on fd 9\n$(echo no)\n");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Start_WithFd9Missing_CommandNeverRuns()
    {
        var mark = Path.Combine(Path.GetTempPath(), $"poaplab-guard-{Guid.NewGuid():N}");
        var start = new ProcessStartInfo("/usr/bin/touch") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add(mark);
        using var process = ChildProcessLauncher.Start(start, "/nonexistent/poaplab-fd9");
        var error = await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);

        process.ExitCode.ShouldBe(127);
        error.ShouldContain("cannot open");
        File.Exists(mark).ShouldBeFalse();
    }

    [Fact]
    public async Task Start_ThisProcessHoldsADescriptorWithoutCloseOnExec_ChildDoesNotInheritIt()
    {
        // As a CI runner's pipe or a library's file would be: dup() makes a copy without O_CLOEXEC.
        using var file = File.OpenRead("/etc/hostname");
        var leaked = Dup((int)file.SafeFileHandle.DangerousGetHandle());
        leaked.ShouldBeGreaterThan(2);
        try
        {
            var start = new ProcessStartInfo("/bin/ls") { UseShellExecute = false, RedirectStandardOutput = true };
            start.ArgumentList.Add("/proc/self/fd");
            using var child = ChildProcessLauncher.Start(start);
            var listing = await child.StandardOutput.ReadToEndAsync(Ct);
            await child.WaitForExitAsync(Ct);

            // stdin, stdout, stderr and ls's own directory: nothing of this process's.
            listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ShouldBeSubsetOf([0, 1, 2, 3]);
        }
        finally
        {
            Close(leaked);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "dup")]
    private static extern int Dup(int fd);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
