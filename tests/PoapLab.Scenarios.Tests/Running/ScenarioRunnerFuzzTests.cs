using System.Diagnostics;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;
using PoapLab.Scenarios.Tests.Loading;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>
/// Runs a sample of the fuzz mutants that still validate (the first 20 that differ from
/// their source, serve at most 32 MiB and have distinct names): the run must return a result
/// for each (no unhandled exception, no internal error), within a bound, and write nothing
/// outside <c>--out</c> (the parent of <c>--out</c> and the catalogue's own folders are
/// compared before and after).
/// </summary>
public sealed class ScenarioRunnerFuzzTests : IDisposable
{
    private const int Sample = 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-runfuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RunAllAsync_ValidMutants_ResultForEachNothingOutsideOut()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("python3", "apt-get install python3");
        var fifo = Path.Combine(_dir, "fifo");
        using (var p = Process.Start("mkfifo", [fifo]))
        {
            p.WaitForExit(10_000).ShouldBeTrue();
        }
        var mutator = new ScenarioMutator(fifo);
        var seed = ScenarioLoaderFuzzTests.Seed;
        var sample = new List<(int Index, Scenario Scenario, string Text)>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < 10_000 && sample.Count < Sample; i++)
        {
            var (path, text) = mutator.Mutant(seed, i);
            if (text == File.ReadAllText(path))
            {
                continue;
            }
            try
            {
                var s = ScenarioLoader.Parse(text, path);
                var bytes = ScenarioFiles.RequiredBytes(s.Files, null) + s.Switches.Sum(w => ScenarioFiles.RequiredBytes(w.BootflashFiles, null));
                if (bytes <= 32 << 20 && s.Switches.Count <= 4 && names.Add(s.Name))
                {
                    sample.Add((i, s, text));
                }
            }
            catch (ScenarioException)
            {
            }
        }
        sample.Count.ShouldBe(Sample);

        var parent = Path.Combine(_dir, "parent");
        var outDir = Path.Combine(parent, "out");
        Directory.CreateDirectory(parent);
        File.WriteAllText(Path.Combine(parent, "canary.txt"), "canary");
        var before = Snapshot(parent, outDir) + Snapshot(RepoPaths.Scenarios, null) + Snapshot(RepoPaths.Fixtures, null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var watch = Stopwatch.StartNew();

        var run = new ScenarioRunner().RunAllAsync([.. sample.Select(x => x.Scenario)], new RunOptions(outDir, MaxSwitches: 6), null, timeout.Token);
        var results = await run.WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);

        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(90));
        results.Count.ShouldBe(Sample);
        for (int i = 0; i < Sample; i++)
        {
            var r = results[i].ShouldNotBeNull();
            var internalError = r.Failures.FirstOrDefault(f => f.Contains("internal error", StringComparison.Ordinal));
            internalError.ShouldBeNull(ScenarioLoaderFuzzTests.Describe(seed, sample[i].Index, r.Scenario.FilePath, sample[i].Text, internalError ?? ""));
        }
        (Snapshot(parent, outDir) + Snapshot(RepoPaths.Scenarios, null) + Snapshot(RepoPaths.Fixtures, null)).ShouldBe(before);
        TestContext.Current.TestOutputHelper?.WriteLine($"fuzz seed {seed}: ran {Sample} mutants in {watch.Elapsed.TotalSeconds:0.0} s: " +
            string.Join(", ", results.GroupBy(r => r.Status).Select(g => $"{g.Count()} {g.Key}")));
    }

    /// <summary>Every entry under <paramref name="root"/> but <paramref name="except"/>: path, size and time of change.</summary>
    private static string Snapshot(string root, string? except) =>
        string.Join("\n", new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(f => except is null || !(f.FullName == except || f.FullName.StartsWith(except + "/", StringComparison.Ordinal)))
            .Select(f => $"{f.FullName} {(f as FileInfo)?.Length} {f.LastWriteTimeUtc.Ticks}")
            .Order(StringComparer.Ordinal)) + "\n";
}
