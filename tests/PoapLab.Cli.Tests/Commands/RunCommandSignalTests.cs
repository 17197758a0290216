using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>
/// <c>poaplab run</c> as a child process, interrupted: SIGINT or SIGTERM once the first result
/// is out, while a hanging script runs. Checked from the outside: the exit code, the reports
/// on disk, and /proc (no process the run started is left).
/// </summary>
public sealed class RunCommandSignalTests : IDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(SigInt, false)]
    [InlineData(SigTerm, false)]
    [InlineData(SigInt, true)]
    public async Task Run_SignalDuringSlowScenario_Exit130ReportsNameCancelledNoChildLeft(int signal, bool twice)
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("python3", "apt-get install python3");
        var ct = TestContext.Current.CancellationToken;
        var scenarios = Path.Combine(_dir, "scenarios");
        Directory.CreateDirectory(scenarios);
        var happy = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), ct))
            .Replace("../fixtures/", RepoPaths.Fixtures + "/", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(scenarios, "a-fast.yaml"), happy.Replace("name: happy-path-tftp", "name: a-fast", StringComparison.Ordinal), ct);
        await File.WriteAllTextAsync(Path.Combine(scenarios, "c-later.yaml"), happy.Replace("name: happy-path-tftp", "name: c-later", StringComparison.Ordinal), ct);
        var hang = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, "catalogue", "17-script-hangs.yaml"), ct))
            .Replace("name: 17-script-hangs", "name: b-slow", StringComparison.Ordinal)
            .Replace("script_timeout: 3s", "script_timeout: 10m", StringComparison.Ordinal)
            .Replace("source: scripts/", $"source: {RepoPaths.Scenarios}/catalogue/scripts/", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(scenarios, "b-slow.yaml"), hang, ct);
        var outDir = Path.Combine(_dir, "out");

        var start = new ProcessStartInfo(DotnetHost(), [Path.Combine(AppContext.BaseDirectory, "poaplab.dll"), "run", scenarios, "--out", outDir, "--parallel", "1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        using var poaplab = Process.Start(start)!;
        var output = new ConcurrentQueue<string>();
        var firstResult = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        poaplab.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            output.Enqueue(e.Data);
            if (e.Data.Contains("a-fast", StringComparison.Ordinal) && (e.Data.Contains("PASS", StringComparison.Ordinal) || e.Data.Contains("FAIL", StringComparison.Ordinal)))
            {
                firstResult.TrySetResult();
            }
        };
        poaplab.ErrorDataReceived += (_, e) => output.Enqueue("stderr: " + e.Data);
        poaplab.BeginOutputReadLine();
        poaplab.BeginErrorReadLine();
        var seen = new Dictionary<int, string>();
        try
        {
            await firstResult.Task.WaitAsync(TimeSpan.FromSeconds(120), ct);
            // The slow scenario's script is running once python is among the descendants.
            var deadline = Stopwatch.StartNew();
            while (!Descendants(poaplab.Id).Values.Any(c => c.Contains("python", StringComparison.Ordinal)) && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100, ct);
            }
            foreach (var (pid, id) in Descendants(poaplab.Id))
            {
                seen[pid] = id;
            }
            seen.Values.ShouldContain(c => c.Contains("python", StringComparison.Ordinal), "the slow scenario's script never started:\n" + string.Join("\n", output));

            Kill(poaplab.Id, signal).ShouldBe(0);
            if (twice)
            {
                // The second one as a person presses Ctrl-C again: a moment later.
                await Task.Delay(50, ct);
                // (It may have finished already: then there is no one to signal, and that is fine.)
                _ = Kill(poaplab.Id, signal);
            }
            var stopped = Stopwatch.StartNew();
            await poaplab.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);

            poaplab.ExitCode.ShouldBe(130, string.Join("\n", output));
            stopped.Elapsed.ShouldBeLessThan(twice ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!poaplab.HasExited)
            {
                poaplab.Kill(entireProcessTree: true);
            }
        }

        if (twice)
        {
            await ShouldLeaveNothingRunningAsync(seen, ct);
            return;
        }
        using (var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(outDir, "report.json"), ct)))
        {
            var status = json.RootElement.GetProperty("scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("status").GetString());
            status["a-fast"].ShouldNotBe("cancelled");
            status["b-slow"].ShouldBe("cancelled");
            status["c-later"].ShouldBe("cancelled");
            json.RootElement.GetProperty("cancelled").GetInt32().ShouldBe(2);
        }
        var skipped = XDocument.Load(Path.Combine(outDir, "report.junit.xml")).Descendants("skipped").ToList();
        skipped.Select(s => s.Parent!.Attribute("name")!.Value).Order(StringComparer.Ordinal).ShouldBe(["b-slow", "c-later"]);
        skipped.ShouldAllBe(s => s.Attribute("message")!.Value == "cancelled");
        await ShouldLeaveNothingRunningAsync(seen, ct);
    }

    /// <summary>Every process the run had started is gone within 10 s (pid and start time, so a reused pid is not mistaken for it).</summary>
    private static async Task ShouldLeaveNothingRunningAsync(Dictionary<int, string> seen, CancellationToken ct)
    {
        var left = seen;
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(10) && (left = seen.Where(p => Identity(p.Key) == p.Value).ToDictionary()).Count > 0)
        {
            await Task.Delay(100, ct);
        }
        left.ShouldBeEmpty("left running: " + string.Join(", ", left.Values));
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : Requires.Tool("dotnet", "the .NET SDK");

    /// <summary>Every process below <paramref name="root"/>, as pid → "starttime comm".</summary>
    private static Dictionary<int, string> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Stat(pid) is { } stat)
            {
                parents[pid] = stat.Parent;
            }
        }
        var found = new Dictionary<int, string>();
        var queue = new Queue<int>([root]);
        while (queue.Count > 0 && found.Count < 10_000)
        {
            var p = queue.Dequeue();
            foreach (var (child, parent) in parents)
            {
                if (parent == p && Identity(child) is { } id && found.TryAdd(child, id))
                {
                    queue.Enqueue(child);
                }
            }
        }
        return found;
    }

    /// <summary>"starttime comm" of a live (not zombie) process, or null.</summary>
    private static string? Identity(int pid) => Stat(pid) is { State: not 'Z' and not 'X' } s ? $"{s.StartTime} {s.Comm}" : null;

    private static (string Comm, char State, int Parent, string StartTime)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // proc(5): pid (comm) state ppid ... field 22 is starttime; comm may hold spaces and parentheses.
        var open = text.IndexOf('(', StringComparison.Ordinal);
        var close = text.LastIndexOf(')');
        var fields = text[(close + 2)..].Split(' ');
        return (text[(open + 1)..close], fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), fields[19]);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
