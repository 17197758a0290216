using System.Diagnostics;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Lab.Capture;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Reports;
using PoapLab.Switch.Device;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;
using PoapLab.Switch.Transfer.Tftp;

using LabRuntime = PoapLab.Lab.Lab;

namespace PoapLab.Scenarios.Running;

/// <summary>
/// Runs scenarios: for each, a lab (<see cref="LabRuntime"/>) built from the scenario
/// (<see cref="LabSpecs"/>), its switches powered on, the expectations checked
/// (<see cref="SwitchResults"/>) and the artifacts written. Nothing is left running when a
/// scenario ends, whatever happened.
/// </summary>
public sealed class ScenarioRunner
{
    private readonly ScriptHost _scripts = new();

    /// <summary>
    /// Runs every scenario, at most <see cref="RunOptions.MaxSwitches"/> switches at a time
    /// across all of them and within each (see <see cref="SwitchSlots"/>).
    /// Always returns one result per scenario, in order: one that cannot run is an error, and
    /// on cancellation the running ones are stopped (scripts, servers and sshd ended) and they
    /// and those not yet started are <see cref="ScenarioResult.Cancelled"/>. Two scenarios may
    /// not share a name (it names their output folder): the later ones are errors naming both files.
    /// </summary>
    public async Task<IReadOnlyList<ScenarioResult>> RunAllAsync(IReadOnlyList<Scenario> scenarios, RunOptions options, Action<ScenarioResult>? finished, CancellationToken cancellationToken)
    {
        var outRoot = OutputDirectory.Prepare(options.OutputDirectory);
        // Switches take slots one by one (SwitchSlots); at most as many scenarios as slots hold a lab at once.
        using var slots = new SwitchSlots(options.MaxSwitches);
        using var admission = new SemaphoreSlim(options.MaxSwitches, options.MaxSwitches);
        var results = new ScenarioResult[scenarios.Count];
        var firstByName = new Dictionary<string, Scenario>(StringComparer.OrdinalIgnoreCase);
        var tasks = scenarios.Select(async (scenario, i) =>
        {
            if (!firstByName.TryAdd(scenario.Name, scenario))
            {
                results[i] = new ScenarioResult(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outRoot,
                    $"{scenario.FilePath}: the scenario name '{scenario.Name}' is also the name of {firstByName[scenario.Name].FilePath}; names must be unique in a run (each names its output folder)");
                finished?.Invoke(results[i]);
                return;
            }
            if (LabSpecs.NotInTransport(scenario, options) is { } why)
            {
                results[i] = ScenarioResult.SkippedBecause(scenario, Path.Combine(outRoot, scenario.Name), why);
                finished?.Invoke(results[i]);
                return;
            }
            var admitted = false;
            try
            {
                await admission.WaitAsync(cancellationToken).ConfigureAwait(false);
                admitted = true;
                cancellationToken.ThrowIfCancellationRequested();
                results[i] = await RunAsync(scenario, options, slots, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                results[i] = ScenarioResult.CancelledBeforeStart(scenario, Path.Combine(outRoot, scenario.Name));
            }
            catch (Exception e)
            {
                results[i] = new ScenarioResult(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outRoot, $"{scenario.FilePath}: the scenario could not run: {Describe(e)}");
            }
            finally
            {
                if (admitted)
                {
                    admission.Release();
                }
            }
            finished?.Invoke(results[i]);
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Runs one scenario in the folder of its name under <see cref="RunOptions.OutputDirectory"/>
    /// (see <see cref="OutputDirectory"/>): its files are put in place, its lab made
    /// (<see cref="LabSpecs"/>: the servers as services, the switches with their own clocks),
    /// the switches powered on together, their records checked against <c>expect:</c> and the
    /// artifacts written. On cancellation everything it started is stopped and the result is
    /// <see cref="ScenarioResult.Cancelled"/>, its artifacts still written.
    /// </summary>
    public async Task<ScenarioResult> RunAsync(Scenario scenario, RunOptions options, CancellationToken cancellationToken)
    {
        using var slots = new SwitchSlots(Math.Max(1, options.MaxSwitches));
        return await RunAsync(scenario, options, slots, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ScenarioResult> RunAsync(Scenario scenario, RunOptions options, SwitchSlots slots, CancellationToken cancellationToken)
    {
        var outRoot = OutputDirectory.Prepare(options.OutputDirectory);
        if (LabSpecs.NotInTransport(scenario, options) is { } why)
        {
            return ScenarioResult.SkippedBecause(scenario, Path.Combine(outRoot, scenario.Name), why);
        }
        var real = Stopwatch.StartNew();
        var outDir = OutputDirectory.FreshScenarioFolder(outRoot, scenario.Name);
        if (outDir is null)
        {
            return new ScenarioResult(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outRoot,
                $"{scenario.FilePath}: the scenario name '{Loading.YamlMap.Shown(scenario.Name)}' cannot name its output folder ({ScenarioLoader.NameRule})");
        }
        LabRuntime? lab = null;
        LabCapture? capture = null;
        var switches = new List<NexusSwitch>();
        IReadOnlyList<LabEvent> Events() => lab?.Timeline.Events ?? [];
        TimeSpan Span() => lab?.Timeline.Span ?? TimeSpan.Zero;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            CheckDiskSpace(scenario, options, outDir);
            var filesRoot = Path.Combine(outDir, "files");
            ScenarioFiles.Materialise(scenario.Files, filesRoot, options.ScriptOverride, scenario.Seed);
            // A server's root holds whatever files the scenario gives it, possibly none: it exists
            // either way (inside files/, a root never holds '..'), so the server serves an empty tree.
            foreach (var root in scenario.Servers.Tftp.Concat(scenario.Servers.Http).Select(f => f.Root).Concat(scenario.Servers.Ssh.Concat(scenario.Servers.Ftp).Select(l => l.Root)))
            {
                Directory.CreateDirectory(Path.Combine(filesRoot, root));
            }
            lab = await LabRuntime.CreateAsync(LabSpecs.Lab(scenario, options, _scripts, outDir), cancellationToken).ConfigureAwait(false);
            if (options.Observer is { } observe)
            {
                lab.Timeline.Subscribe(e => observe(scenario, e));
            }
            // capture.pcapng: the frames the lab carried, in lab addresses (see README, artifacts).
            capture = lab.Transport.StartCapture(new LabCaptureOptions { Path = Path.Combine(outDir, "capture.pcapng") });
            await LabSpecs.PlaceRelayAsync(scenario, lab.Transport, cancellationToken).ConfigureAwait(false);
            foreach (var service in LabSpecs.Services(scenario, filesRoot))
            {
                try
                {
                    await lab.StartServiceAsync(service, cancellationToken).ConfigureAwait(false);
                }
                catch (PoapLab.Lab.Services.Real.RealServerException e) when (e.ExitedBeforeReady)
                {
                    // The user's server refused its own configuration: on their network it would
                    // not serve either, so the switches run without it and the report says why.
                    lab.Timeline.Record(service.Name, EventKinds.RealServerExited,
                        $"{e.Server} refused its configuration and exited before it served",
                        ("server", e.Server), ("service", service.Kind.ToString().ToLowerInvariant()), ("address", service.Address), ("log", e.LogTail));
                }
            }
            foreach (var (address, prefixLength) in LabSpecs.Gateways(scenario))
            {
                await lab.Transport.AddGatewayAsync(address, prefixLength, cancellationToken).ConfigureAwait(false);
            }
            // A switch is made (its folder, flash, logs, clock, network) just before it powers on:
            // a fleet's switches waiting for a slot hold nothing (no file descriptor, no memory).
            // A scenario whose switches all run at once has them all made first, so they start together.
            var devices = new NexusSwitch?[scenario.Switches.Count];
            var madeIn = lab;
            async Task<NexusSwitch> MakeAsync(int i, CancellationToken ct)
            {
                var model = scenario.Switches[i];
                var root = LabSpecs.SwitchRoot(outDir, model);
                Directory.CreateDirectory(root);
                ScenarioFiles.Materialise(model.BootflashFiles, Path.Combine(root, "bootflash"), null, scenario.Seed, ScenarioFiles.SwitchFile);
                var device = (await madeIn.AddSwitchAsync(LabSpecs.Switch(scenario, model, outDir), ct).ConfigureAwait(false)).Device;
                lock (switches)
                {
                    switches.Add(device);
                }
                return devices[i] = device;
            }
            if (scenario.Switches.Count <= slots.Capacity)
            {
                for (var i = 0; i < devices.Length; i++)
                {
                    await MakeAsync(i, cancellationToken).ConfigureAwait(false);
                }
            }
            // At most --parallel switches at once, across every scenario of the run (SwitchSlots).
            // A switch's filesystems are given back as its run ends (NexusSwitch.ReleaseFilesystems):
            // only the running switches hold mounts, which every script sandbox copies. Its logs
            // are copied into the report then too, so the end of the run has no per-switch work left.
            var flashes = new IReadOnlyList<string>[devices.Length];
            // What the switches copy back is stored once per content (a fleet's image: one copy, the rest hard links).
            var identical = new IdenticalFiles();
            var logsWritten = new bool[devices.Length];
            var runs = await slots.RunAsync([.. devices.Select((_, i) => (Func<CancellationToken, Task<PoapRunResult>>)(async ct =>
            {
                var s = devices[i] ?? await MakeAsync(i, ct).ConfigureAwait(false);
                var run = await s.PowerOnAsync(ct).ConfigureAwait(false);
                flashes[i] = s.FlashFiles();
                try
                {
                    s.ReleaseFilesystems(identical);
                }
                catch (IOException)
                {
                    // As on the lab's dispose: a filesystem that cannot be copied back does not fail the switch.
                }
                logsWritten[i] = ArtifactWriter.TryWriteSwitchLogs(outDir, s);
                return run;
            }))], cancellationToken).ConfigureAwait(false);
            var events = lab.Timeline.Events;
            var results = new List<SwitchResult>();
            var dhcpServers = SwitchResults.DhcpServers(scenario, lab.Services);
            // Grouped once: each switch's record takes its own events without walking a fleet's (O(N), not O(N²)).
            var bySwitch = events.ToLookup(e => e.Switch, StringComparer.Ordinal);
            IReadOnlyList<LabEvent> noSwitch = [.. bySwitch[null]];
            for (int i = 0; i < devices.Length; i++)
            {
                results.Add(await SwitchResults.CheckAsync(scenario, scenario.Switches[i], devices[i]!, runs[i], flashes[i], lab.Timeline, [.. bySwitch[scenario.Switches[i].Name]], noSwitch, dhcpServers, cancellationToken).ConfigureAwait(false));
            }
            var result = new ScenarioResult(scenario, results, events, real.Elapsed, lab.Timeline.Span, outDir, null)
            {
                FleetFailures = FleetExpectations.Check(scenario.Expect.Fleet, [.. results.Select(r => (r.Name, r.Record.Result))]),
            };
            await ArtifactWriter.WriteAsync(result, [.. devices.Where((_, i) => !logsWritten[i]).OfType<NexusSwitch>()], cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var result = new ScenarioResult(scenario, [], Events(), real.Elapsed, Span(), outDir, null) { Cancelled = true };
            await WriteArtifactsAfterAllAsync(result, switches).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            var result = new ScenarioResult(scenario, [], Events(), real.Elapsed, Span(), outDir, $"{scenario.FilePath}: the scenario could not run: {Describe(e)}");
            await WriteArtifactsAfterAllAsync(result, switches).ConfigureAwait(false);
            return result;
        }
        finally
        {
            // The capture ends first (it has seen everything), then switches, services and the
            // transport; the address block goes back.
            if (capture is not null)
            {
                await capture.DisposeAsync().ConfigureAwait(false);
            }
            if (lab is not null)
            {
                await lab.DisposeAsync().ConfigureAwait(false);
            }
            try
            {
                ImagePruner.Prune(outDir, scenario);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Pruning is housekeeping: a file that cannot be pruned stays.
            }
        }
    }

    /// <summary>Artifacts of a scenario that failed or was cancelled: written with no token (the run's is cancelled), and their own failure is not the scenario's.</summary>
    private static async Task WriteArtifactsAfterAllAsync(ScenarioResult result, IReadOnlyList<NexusSwitch> switches)
    {
        try
        {
            await ArtifactWriter.WriteAsync(result, switches, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The report still says what happened; only the per-scenario files are missing.
        }
    }

    /// <summary>
    /// Refuses to start writing files that would not fit: what the scenario's served and
    /// bootflash files take, plus 64 MiB of room for logs, must be free under the output
    /// directory now. Nothing is written when they do not fit.
    /// </summary>
    private static void CheckDiskSpace(Scenario scenario, RunOptions options, string outDir)
    {
        const long Headroom = 64L << 20;
        var need = ScenarioFiles.RequiredBytes(scenario.Files, options.ScriptOverride)
            + scenario.Switches.Sum(s => ScenarioFiles.RequiredBytes(s.BootflashFiles, null));
        var free = options.FreeSpace(outDir);
        if (need + Headroom > free)
        {
            throw new IOException($"the scenario's files need {need} bytes ({need >> 20} MiB) plus {Headroom >> 20} MiB of room, but only {free} bytes ({free >> 20} MiB) are free under {outDir}: nothing was written");
        }
    }

    private static string Describe(Exception e) =>
        e is ScenarioException or InvalidOperationException or IOException or System.Net.Sockets.SocketException or FormatException or UnauthorizedAccessException
            ? e.Message
            : $"internal error ({e.GetType().Name}: {e.Message}); please report it with this scenario";
}
