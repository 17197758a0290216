using System.Runtime.InteropServices;
using PoapLab.Benchmarks.Reference;
using PoapLab.Benchmarks.Servers;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Benchmarks;

/// <summary>
/// Measures PoapLab's happy path (TFTP and HTTP) phase by phase in real time and sets it
/// against reference tools doing the same parts (tftpd-hpa/nginx + curl, md5sum, a bare
/// python3 run of the script). A benchmark, not a test: it prints figures and exits 0 whether
/// or not the target is met; it exits 2 on a bad command line and 1 when it cannot run at all.
/// </summary>
internal static class Program
{
    private static readonly (string Protocol, string File)[] Catalogue = [("tftp", "happy-path-tftp.yaml"), ("http", "happy-path-http.yaml")];

    public static async Task<int> Main(string[] args)
    {
        // As root, in a mount namespace of its own as `poaplab run` is: the switches' flash is
        // then the bounded tmpfs a user's run has, and the figures include what it costs.
        if (PoapLab.Switch.Flash.PrivateMounts.ReexecArguments() is { } again)
        {
            Console.Error.WriteLine($"could not enter a private mount namespace ({PoapLab.Switch.Flash.PrivateMounts.Reexec(again)}); the switches' flash is not a tmpfs in this run");
        }
        var options = BenchmarkOptions.Parse(args, out var error);
        if (options is null)
        {
            Console.Error.WriteLine(string.IsNullOrEmpty(error) ? BenchmarkOptions.Usage : $"error: {error}\n{BenchmarkOptions.Usage}");
            return string.IsNullOrEmpty(error) ? 0 : 2;
        }
        var scenarioDir = options.ScenarioDirectory ?? FindScenarioDirectory();
        if (scenarioDir is null)
        {
            Console.Error.WriteLine("error: cannot find scenarios/happy-path-tftp.yaml above the current directory or the program; give --scenarios DIR");
            return 1;
        }
        var scenarios = new List<(string Protocol, Scenario Scenario)>();
        foreach (var (protocol, file) in Catalogue)
        {
            try
            {
                scenarios.Add((protocol, ScenarioLoader.Load(Path.Combine(scenarioDir, file))));
            }
            catch (Exception e) when (e is ScenarioException or IOException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        var tools = ReferenceTools.Detect();
        var facts = await EnvironmentFactsAsync(options, tools, stop.Token).ConfigureAwait(false);
        Console.Write(BenchmarkReport.Environment(facts));
        foreach (var missing in tools.Missing)
        {
            Console.WriteLine($"  missing: {missing}; its reference rows are skipped");
        }

        if (options.Servers.Count > 0)
        {
            return await ServersAsync(options, tools, stop.Token).ConfigureAwait(false);
        }
        if (options.Fleet.Count > 0)
        {
            return await FleetAsync(options, tools, scenarioDir, stop.Token).ConfigureAwait(false);
        }

        var work = options.CreateWorkDirectory("poaplab-bench-");
        var results = new List<ProtocolFigures>();
        try
        {
            var bench = new ProtocolBenchmark(new ScenarioRunner(), tools, options, work);
            foreach (var (protocol, scenario) in scenarios)
            {
                try
                {
                    results.Add(await bench.RunAsync(protocol, scenario, stop.Token).ConfigureAwait(false));
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
                {
                    var failed = new ProtocolFigures(protocol, scenario.Name);
                    failed.Notes.Add($"the {protocol} benchmark could not run: {e.Message}");
                    results.Add(failed);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted: printing what was measured");
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }

        foreach (var f in results)
        {
            Console.Write(BenchmarkReport.Table(f, options.Runs, options.ImageBytes));
        }
        if (options.OutputDirectory is not null)
        {
            await BenchmarkReport.WriteJsonAsync(options.OutputDirectory, facts, results, CancellationToken.None).ConfigureAwait(false);
        }
        return results.Any(r => r.PoapLab.Count > 0) ? 0 : 1;
    }

    /// <summary>The fleet mode: the curve over HTTP and TFTP beside the floor (see <see cref="FleetBenchmark"/>).</summary>
    private static async Task<int> FleetAsync(BenchmarkOptions options, ReferenceTools tools, string scenarioDir, CancellationToken cancellationToken)
    {
        var work = options.CreateWorkDirectory("poaplab-fleet-");
        var points = new List<FleetPoint>();
        try
        {
            points = await new FleetBenchmark(tools, options, scenarioDir, work).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        Console.Write(FleetBenchmark.Table(points, options.Parallel));
        return points.Count > 0 ? 0 : 1;
    }

    /// <summary>The servers mode: each embedded server against the reference one (see <see cref="ServerBenchmark"/>).</summary>
    private static async Task<int> ServersAsync(BenchmarkOptions options, ReferenceTools tools, CancellationToken cancellationToken)
    {
        var work = options.CreateWorkDirectory("poaplab-servers-");
        File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
        var rows = new List<ServerRow>();
        try
        {
            rows = await new ServerBenchmark(tools, options, work).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        Console.Write(ServerBenchmark.Table(rows));
        return rows.Count > 0 ? 0 : 1;
    }

    private static async Task<List<(string, string)>> EnvironmentFactsAsync(BenchmarkOptions options, ReferenceTools tools, CancellationToken cancellationToken)
    {
        var facts = new List<(string, string)>
        {
            ("cpus", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (".NET", RuntimeInformation.FrameworkDescription),
            ("os", RuntimeInformation.OSDescription),
            ("image size", BenchmarkOptions.FormatSize(options.ImageBytes)),
            ("runs", $"{options.Runs} measured + {options.Warmup} warm-up (1 MiB) per protocol"),
            ("python", tools.Python is { } p ? $"{p.Executable} {p.Version}" : "missing"),
            ("work", WorkFacts(options)),
        };
        async Task Version(string key, string? exe, params string[] args)
        {
            if (exe is null)
            {
                facts.Add((key, "missing"));
                return;
            }
            var run = await TimedProcess.RunAsync(exe, args, null, null, TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            var line = (run.Stdout + "\n" + run.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "?";
            facts.Add((key, line));
        }
        await Version("curl", tools.Curl, "--version").ConfigureAwait(false);
        await Version("nginx", tools.Nginx, "-v").ConfigureAwait(false);
        await Version("tftpd-hpa", tools.Tftpd, "-V").ConfigureAwait(false);
        return facts;
    }

    /// <summary>
    /// Where the working folder goes and its file system: runs write thousands of files there, and
    /// a file system's cost for them (ext4 against tmpfs, and on ext4 without a journal the
    /// inodes freed in the last minutes, which each new file's allocation walks past) moves the figures.
    /// </summary>
    private static string WorkFacts(BenchmarkOptions options)
    {
        var parent = options.WorkParent ?? Path.GetTempPath();
        try
        {
            return $"{parent} ({new DriveInfo(parent).DriveFormat})";
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return parent;
        }
    }

    private static string? FindScenarioDirectory()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "scenarios");
                if (File.Exists(Path.Combine(candidate, Catalogue[0].File)))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
