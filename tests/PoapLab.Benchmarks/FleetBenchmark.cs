using System.Diagnostics;
using System.Globalization;
using System.Text;
using PoapLab.Benchmarks.Reference;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Benchmarks;

/// <summary>One point of the fleet curve.</summary>
/// <param name="CpuSeconds">CPU time of this process and its reaped children (scripts, sandboxes) during the run: set against 2 × wall, it tells waiting from working.</param>
/// <param name="MachineCpuSeconds">CPU time of the whole machine during the run (proc(5) /proc/stat: every process, the kernel's softirq work included): on a quiet machine, what the run cost, descendants that are never reaped by this process's children included.</param>
/// <param name="FloorSeconds">The bare interpreter runs' wall time.</param>
/// <param name="TransferFloorSeconds">The same downloads by curl from the reference server's wall time (null: curl or the server is missing).</param>
internal sealed record FleetPoint(string Protocol, int Switches, double WallSeconds, int Passed, long PeakPssBytes, double? FloorSeconds, string? Error, double CpuSeconds = 0, double MachineCpuSeconds = 0,
    double? TransferFloorSeconds = null)
{
    /// <summary>What the reference tools need for the same work: the scripts' runs and the switches' downloads.</summary>
    public double? WholeFloorSeconds => FloorSeconds is { } f ? f + (TransferFloorSeconds ?? 0) : null;
}

/// <summary>
/// The fleet mode (<c>--fleet 10,100,1000</c>): one scenario of N switches (distinct serials
/// and MACs, one DHCP pool, one HTTP or TFTP server, a 1 MiB image, the fixture script) run by
/// the runner in this process, for each N, over HTTP and over TFTP; printed as a curve (N,
/// wall, per-switch ms, peak PSS of this process and its children) beside the floor: N bare
/// <c>python3</c> runs of the same script against a stub <c>cli</c>, then the switches' downloads
/// by curl from the reference server (tftpd-hpa, nginx), each as many at a time as there are
/// CPUs, and the ratio to that floor.
/// </summary>
internal sealed class FleetBenchmark(ReferenceTools tools, BenchmarkOptions options, string scenarioDirectory, string workDirectory)
{
    private static readonly TimeSpan FloorRunLimit = TimeSpan.FromMinutes(2);

    public async Task<List<FleetPoint>> RunAsync(CancellationToken cancellationToken)
    {
        var points = new List<FleetPoint>();
        foreach (var protocol in new[] { "http", "tftp" })
        {
            foreach (var n in options.Fleet)
            {
                points.Add(await RunPointAsync(protocol, n, cancellationToken).ConfigureAwait(false));
            }
        }
        return points;
    }

    private async Task<FleetPoint> RunPointAsync(string protocol, int n, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(workDirectory, $"fleet-{protocol}-{n}");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"fleet-{protocol}-{n}.yaml");
        var script = Path.GetFullPath(Path.Combine(scenarioDirectory, "..", "fixtures", "scripts", "poap_nexus.py"));
        var text = ScenarioText(protocol, n, script);
        await File.WriteAllTextAsync(file, text, cancellationToken).ConfigureAwait(false);
        Scenario scenario;
        try
        {
            // Parsed from the text: a fleet of thousands written switch by switch is past the 1 MiB a scenario file may hold.
            scenario = ScenarioLoader.Parse(text, file);
        }
        catch (ScenarioException e)
        {
            return new FleetPoint(protocol, n, 0, 0, 0, null, e.Message);
        }

        Console.Error.WriteLine($"[fleet {protocol}] {n} switches, --parallel {options.Parallel}");
        using var sampler = new PssSampler(Environment.ProcessId, TimeSpan.FromMilliseconds(250));
        var watch = Stopwatch.StartNew();
        var cpuBefore = CpuSeconds();
        var machineBefore = MachineCpuSeconds();
        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(folder, "out"), MaxSwitches: options.Parallel), cancellationToken).ConfigureAwait(false);
        var wall = watch.Elapsed.TotalSeconds;
        var cpu = CpuSeconds() - cpuBefore;
        var machine = MachineCpuSeconds() - machineBefore;
        var peak = await sampler.StopAsync().ConfigureAwait(false);
        var passed = result.Switches.Count(s => s.Passed);
        var error = result.Error ?? (passed == n ? null : string.Join("; ", result.Failures.Take(3)));
        // Nothing is removed before the end of the benchmark (the working folder goes whole): on
        // ext4 without a journal every new file's inode allocation walks past the inodes freed
        // in the last minutes, so a run made right after another's thousands of files were
        // removed paid for them (a 1,000-switch HTTP run: 35.5 s against 27–28 s).

        double? floor = null;
        if (tools.Python is { } python)
        {
            Console.Error.WriteLine($"[fleet {protocol}] floor: {n} bare {Path.GetFileName(python.Executable)} runs, {Environment.ProcessorCount} at a time");
            floor = await FloorAsync(python.Executable, scenario, folder, n, cancellationToken).ConfigureAwait(false);
        }
        double? transfers = null;
        var reference = protocol == "tftp" ? tools.Tftpd : tools.Nginx;
        if (tools.Curl is { } curl && reference is not null)
        {
            Console.Error.WriteLine($"[fleet {protocol}] floor: the same {n} switches' downloads by curl from {Path.GetFileName(reference)}, {Environment.ProcessorCount} at a time");
            transfers = await TransferFloorAsync(protocol, curl, reference, scenario, folder, n, cancellationToken).ConfigureAwait(false);
        }
        return new FleetPoint(protocol, n, wall, passed, peak, floor, error, cpu, machine, transfers);
    }

    /// <summary>
    /// What a switch downloads (the script, the image's .md5 and the image, its configuration's .md5
    /// and the configuration), fetched by one curl a switch from the server users would run
    /// instead (tftpd-hpa at 512-byte blocks, one in flight, as the switch asks; nginx), as many at
    /// once as there are CPUs; seconds of wall time, or null when any download failed (no floor to
    /// compare with then, and the failures are reported).
    /// </summary>
    private static async Task<double?> TransferFloorAsync(string protocol, string curl, string reference, Scenario scenario, string folder, int n, CancellationToken cancellationToken)
    {
        var root = Path.Combine(folder, "served");
        ScenarioFiles.Materialise(scenario.Files, root, null, scenario.Seed);
        ProtocolBenchmark.OpenToRead(root);
        var image = scenario.Files.First(f => f.ImageVersion is not null).Path;
        using var server = protocol == "tftp"
            ? await ReferenceServer.StartTftpdAsync(root, curl, "poap_nexus.py", cancellationToken).ConfigureAwait(false)
            : await ReferenceServer.StartNginxAsync(reference, root, cancellationToken).ConfigureAwait(false);
        using var gate = new SemaphoreSlim(Environment.ProcessorCount);
        var failures = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var serial = scenario.Switches[i].Serial;
                // Into /dev/null, each transfer's size printed and checked: a gigabyte of copies
                // kept on disk would be written back under the next measurement.
                List<string> args = protocol == "tftp" ? ["-s", "--tftp-no-options", "--max-time", "120"] : ["-s", "--fail", "--max-time", "120"];
                args.AddRange(["-w", "%{size_download}\\n"]);
                string[] paths = ["poap_nexus.py", image + ".md5", image, $"configs/conf.{serial}.md5", $"configs/conf.{serial}"];
                foreach (var path in paths)
                {
                    args.AddRange(["-o", "/dev/null", $"{protocol}://127.0.0.1:{server.Port}/{path}"]);
                }
                var run = await TimedProcess.RunAsync(curl, args, null, null, FloorRunLimit, cancellationToken).ConfigureAwait(false);
                var sizes = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var expected = paths.Select(path => new FileInfo(Path.Combine(root, path)).Length.ToString(CultureInfo.InvariantCulture));
                if (!run.Succeeded || !sizes.SequenceEqual(expected))
                {
                    Interlocked.Increment(ref failures);
                }
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        var seconds = watch.Elapsed.TotalSeconds;
        if (failures > 0)
        {
            Console.Error.WriteLine($"  floor: {failures} of {n} switches' downloads by curl failed; no transfer floor for this point");
            return null;
        }
        return seconds;
    }

    /// <summary>User and system time of this process and of its children it has waited for (proc(5): fields 14–17 of /proc/self/stat, in clock ticks of 1/100 s), in seconds.</summary>
    internal static double CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After the command: state is field 3, so utime..cstime (14..17) are at 11..14 here.
            var ticks = fields[11..15].Sum(f => long.Parse(f, CultureInfo.InvariantCulture));
            return ticks / 100.0;
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>Busy time of all processors since boot (proc(5): /proc/stat's first line, user + nice + system + irq + softirq + steal, in clock ticks of 1/100 s), in seconds.</summary>
    internal static double MachineCpuSeconds()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal ...
            var ticks = new[] { 1, 2, 3, 6, 7, 8 }.Sum(i => long.Parse(fields[i], CultureInfo.InvariantCulture));
            return ticks / 100.0;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>N bare runs of the served script (options applied) against the stub cli, as many at once as there are CPUs; seconds of wall time.</summary>
    private static async Task<double> FloorAsync(string python, Scenario scenario, string folder, int n, CancellationToken cancellationToken)
    {
        var stub = Path.Combine(folder, "stub");
        Directory.CreateDirectory(stub);
        var scriptModel = scenario.Files.First(f => f.Path == "poap_nexus.py");
        ScenarioFiles.Materialise([scriptModel], stub, null, scenario.Seed);
        await File.WriteAllTextAsync(Path.Combine(stub, "cli.py"), StubCli.ModuleText, cancellationToken).ConfigureAwait(false);
        var scriptCopy = Path.Combine(stub, "poap_nexus.py");

        using var gate = new SemaphoreSlim(Environment.ProcessorCount);
        var watch = Stopwatch.StartNew();
        var failures = 0;
        var runs = Enumerable.Range(0, n).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var root = Path.Combine(stub, "root-" + i.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(Path.Combine(root, "bootflash"));
                Directory.CreateDirectory(Path.Combine(root, "tmp"));
                var sw = scenario.Switches[i];
                var env = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [StubCli.RootVariable] = root,
                    ["POAP_SERIAL"] = sw.Serial,
                    ["POAP_MAC"] = sw.Mac.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant(),
                    ["POAP_PID"] = "4242",
                    ["POAP_VRF"] = "management",
                    ["POAP_INTF"] = sw.Interface,
                    ["POAP_PHASE"] = "DHCP",
                };
                var run = await TimedProcess.RunAsync(python, [scriptCopy], stub, env, FloorRunLimit, cancellationToken).ConfigureAwait(false);
                if (!run.Succeeded)
                {
                    Interlocked.Increment(ref failures);
                }
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(runs).ConfigureAwait(false);
        if (failures > 0)
        {
            Console.Error.WriteLine($"  floor: {failures} of {n} bare runs failed");
        }
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>The scenario: N switches leaf-00000.., serials FDO00000000.., MACs 02:00:xx:xx:xx:01, a pool of the /16 and one config per serial.</summary>
    internal static string ScenarioText(string protocol, int n, string script)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"name: fleet-{protocol}-{n}\ndescription: fleet benchmark, {n} switches over {protocol}\ntags: [fleet, benchmark]\nseed: 7\nswitches:\n");
        for (var i = 0; i < n; i++)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  - {{ name: leaf-{i:00000}, model: N9K-C93180YC-FX, serial: FDO{i:00000000}, mac: '02:00:{(i >> 16) & 255:X2}:{(i >> 8) & 255:X2}:{i & 255:X2}:01', version: 10.3(3)F }}\n");
        }
        text.Append("servers:\n  dhcp:\n    address: 10.0.0.1\n    subnet: 10.0.0.0/16\n    pool: 10.0.1.1-10.0.255.250\n    lease: 1d\n");
        text.Append(protocol == "tftp" ? "    tftp_server_address: 10.0.0.1\n" : "    tftp_server_name: http://10.0.0.1\n");
        text.Append("    bootfile: poap_nexus.py\n");
        text.Append(protocol == "tftp" ? "  tftp:\n    address: 10.0.0.1\n" : "  http:\n    address: 10.0.0.1\n    port: 80\n");
        text.Append(CultureInfo.InvariantCulture, $"""
            files:
              - path: poap_nexus.py
                script: '{script.Replace("'", "''", StringComparison.Ordinal)}'
                options:
                  hostname: 10.0.0.1
                  transfer_protocol: {protocol}
                  target_system_image: nxos64-cs.10.3.6.M.bin
                  target_image_path: /images/
                  config_path: /configs/
              - path: images/nxos64-cs.10.3.6.M.bin
                image: {"{"} version: 10.3(6)M, size: 1 MiB {"}"}
                md5: md5sum

            """);
        for (var i = 0; i < n; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  - {{ path: configs/conf.FDO{i:00000000}, md5: md5sum, content: \"hostname leaf-{i:00000}\\n\" }}\n");
        }
        text.Append("expect:\n  outcome: provisioned\n");
        return text.ToString();
    }

    /// <summary>The curve and the floor, one line per point.</summary>
    public static string Table(IReadOnlyList<FleetPoint> points, int parallel)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"\nfleet: one scenario of N switches, 1 MiB image, --parallel {parallel}; floor: N bare python3 runs of the script with a stub cli (python s), then the same downloads by curl from tftpd-hpa or nginx (curl s), {Environment.ProcessorCount} at a time; ratio: wall / floor\n");
        text.Append("proto        N   passed    wall s  per switch ms   CPU s  CPU/switch ms  machine CPU/switch ms  peak PSS MiB  PSS/switch MiB  python s   curl s   floor s  floor/switch ms   ratio\n");
        foreach (var p in points)
        {
            var perSwitch = p.WallSeconds * 1000 / p.Switches;
            var pss = p.PeakPssBytes / (1024.0 * 1024);
            var python = p.FloorSeconds is { } f ? f.ToString("0.0", CultureInfo.InvariantCulture) : "-";
            var curl = p.TransferFloorSeconds is { } c ? c.ToString("0.0", CultureInfo.InvariantCulture) : "-";
            var floor = p.WholeFloorSeconds is { } w ? w.ToString("0.0", CultureInfo.InvariantCulture) : "-";
            var floorPer = p.WholeFloorSeconds is { } g ? (g * 1000 / p.Switches).ToString("0.0", CultureInfo.InvariantCulture) : "-";
            var ratio = p.WholeFloorSeconds is { } h && h > 0 ? (p.WallSeconds / h).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";
            text.Append(CultureInfo.InvariantCulture,
                $"{p.Protocol,-5} {p.Switches,7} {p.Passed,8} {p.WallSeconds,9:0.0} {perSwitch,14:0.0} {p.CpuSeconds,7:0.0} {p.CpuSeconds * 1000 / p.Switches,14:0.0} {p.MachineCpuSeconds * 1000 / p.Switches,22:0.0} {pss,13:0} {pss / p.Switches,15:0.00} {python,9} {curl,8} {floor,9} {floorPer,16} {ratio,7}\n");
            if (p.Error is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"      note: {p.Error}\n");
            }
        }
        return text.ToString();
    }
}

/// <summary>Samples the proportional set size (PSS, /proc/PID/smaps_rollup) of a process and all its descendants; keeps the peak.</summary>
internal sealed class PssSampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public PssSampler(int root, TimeSpan interval)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _peak = Math.Max(_peak, TreePss(root));
                try
                {
                    await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    public async Task<long> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        return _peak;
    }

    public void Dispose() => _stop.Dispose();

    /// <summary>PSS in bytes of <paramref name="root"/> and its descendants.</summary>
    internal static long TreePss(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }
                list.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
            }
        }
        long total = 0;
        var stack = new Stack<int>([root]);
        while (stack.Count > 0)
        {
            var pid = stack.Pop();
            total += Pss(pid);
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                stack.Push(child);
            }
        }
        return total;
    }

    private static long Pss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0;
    }
}
