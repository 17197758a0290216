using System.Diagnostics;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

/// <summary>How the host finds a sandbox's processes: the kernel's children files agree with a scan of /proc.</summary>
public sealed class ScriptHostChildrenTests
{
    [Fact]
    public async Task ChildrenOf_ShellWithTwoChildren_SameAsScanOfProc()
    {
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 30 & sleep 30 & wait"]) { UseShellExecute = false })!;
        try
        {
            var found = new List<int>();
            for (var i = 0; i < 500 && found.Count < 2; i++)
            {
                found = ScriptHost.ChildrenOf(shell.Id);
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }

            found.Count.ShouldBe(2);
            found.Order().ShouldBe(ScriptHost.ChildrenFromScan(shell.Id).Order());
            if (ScriptHost.ChildrenFromTasks(shell.Id) is { } fromTasks)
            {
                fromTasks.Order().ShouldBe(found.Order());
            }
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void ChildrenOf_ProcessGone_Empty()
    {
        using var gone = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        gone.WaitForExit();

        ScriptHost.ChildrenOf(gone.Id).ShouldBeEmpty();
    }

    [Fact]
    public void ChildrenOf_HostileParent_EmptyNotAnError()
    {
        // Negative and absurd pids name no /proc directory (no path outside /proc is ever formed).
        ScriptHost.ChildrenOf(-1).ShouldBeEmpty();
        ScriptHost.ChildrenOf(int.MaxValue).ShouldBeEmpty();
    }
}
