using System.Diagnostics;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

/// <summary>What the sandbox and the bridge add to starting a script, measured on the real clock.</summary>
public sealed class ScriptHostStartupCostTests
{
    private const int Runs = 10;

    [Fact]
    public async Task RunAsync_TrivialScript_StartsWithinASecond()
    {
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript("pass\n");
        var python = PythonLocator.Resolve(null);
        var host = sw.NewHost();
        var request = sw.Request();

        var sandboxed = new List<TimeSpan>();
        var bare = new List<TimeSpan>();
        for (var i = 0; i < Runs; i++)
        {
            var result = await host.RunAsync(request, sw.Bridge, TestContext.Current.CancellationToken);
            result.ExitCode.ShouldBe(0, result.Stderr);
            sandboxed.Add(result.RealDuration);
            bare.Add(await BarePythonAsync(python.Executable));
        }

        var sandboxedMedian = Median(sandboxed);
        var bareMedian = Median(bare);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"median of {Runs}: sandboxed script {sandboxedMedian.TotalMilliseconds:0.0} ms, bare `{python.Executable} -c pass` {bareMedian.TotalMilliseconds:0.0} ms");
        // Generous: a POAP run starts its script a few times; seconds per start would make scenarios crawl.
        sandboxedMedian.ShouldBeLessThan(TimeSpan.FromSeconds(1));
    }

    private static async Task<TimeSpan> BarePythonAsync(string python)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo(python, ["-c", "pass"]) { UseShellExecute = false })!;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return watch.Elapsed;
    }

    private static TimeSpan Median(List<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
