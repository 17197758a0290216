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
}
