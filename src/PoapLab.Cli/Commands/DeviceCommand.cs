using System.CommandLine;
using System.Text.Json;
using PoapLab.Lab.Hardware;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Cli.Commands;

/// <summary>
/// <c>poaplab device SCENARIO --switch NAME --interface IF</c>: one simulated switch of the
/// scenario as a standalone device on a real interface (see <see cref="DeviceSession"/>); what
/// it recorded goes to <c>device.json</c>.
/// </summary>
internal static class DeviceCommand
{
    /// <summary>What a device run is told besides its scenario, switch and interface.</summary>
    internal sealed record Settings
    {
        public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromSeconds(60);
        public TimeSpan? StayUp { get; init; }
    }

    /// <summary>What the switch itself recorded (device.json).</summary>
    internal sealed record Record(
        string Switch, string Serial, string Mac, string Outcome, int Attempts, int Reloads, string RunningVersion, string RunningImage,
        string? Reason, int Announcements, string? GiveBackProblem, int? NxApiRequests = null);

    public static Command Build()
    {
        var scenario = new Argument<FileInfo>("scenario") { Description = "The scenario the switch is from" };
        var name = new Option<string>("--switch") { Description = "The scenario's name of the switch to run", Required = true };
        var iface = new Option<string>("--interface") { Description = "The interface that becomes the switch's mgmt0 (moved into the device's own namespace, given back on exit)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where the switch's logs, bootflash and device.json go", DefaultValueFactory = _ => new DirectoryInfo("out-device") };
        var interval = new Option<string>("--cdp-interval") { Description = "How often it announces itself (CDP, LLDP) once up; default 60s as NX-OS", DefaultValueFactory = _ => "60s" };
        var stay = new Option<string?>("--stay") { Description = "How long it stays up announcing after POAP (default: until Ctrl-C)" };
        var command = new Command("device", "Run one simulated switch of a scenario as a standalone device on a real interface (its mgmt0)") { scenario, name, iface, output, interval, stay };
        command.SetAction(async (parse, ct) =>
        {
            var stdout = TextWriter.Synchronized(parse.InvocationConfiguration.Output);
            var stderr = TextWriter.Synchronized(parse.InvocationConfiguration.Error);
            if (HardwareSpecs.ParseDuration(parse.GetValue(interval)!) is not { } every || every <= TimeSpan.Zero)
            {
                await stderr.WriteLineAsync($"--cdp-interval {parse.GetValue(interval)}: not a duration (5s, 60s)").ConfigureAwait(false);
                return 2;
            }
            TimeSpan? stayUp = null;
            if (parse.GetValue(stay) is { } text)
            {
                if (HardwareSpecs.ParseDuration(text) is not { } s)
                {
                    await stderr.WriteLineAsync($"--stay {text}: not a duration (30s, 10m)").ConfigureAwait(false);
                    return 2;
                }
                stayUp = s;
            }
            if (!Environment.IsPrivilegedProcess)
            {
                await stderr.WriteLineAsync("device needs root: it moves the interface into a network namespace of its own").ConfigureAwait(false);
                return 2;
            }
            InterfaceHost host;
            try
            {
                host = new InterfaceHost(parse.GetValue(iface)!);
            }
            catch (ArgumentException e)
            {
                await stderr.WriteLineAsync($"--interface: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            using var cancel = new SignalCancellation(ct, signal => stderr.WriteLine($"{signal}: stopping the switch and giving {host.Interface} back (again to exit at once)"));
            var (exit, _) = await DeviceAsync(parse.GetValue(scenario)!.FullName, parse.GetValue(name)!, host, parse.GetValue(output)!.FullName,
                new Settings { AnnounceInterval = every, StayUp = stayUp }, stdout.WriteLine, stderr.WriteLine, cancel.Token).ConfigureAwait(false);
            return exit;
        });
        return command;
    }

    /// <summary>Runs the switch on <paramref name="host"/>; the exit code and its own record.</summary>
    internal static async Task<(int Exit, Record? Record)> DeviceAsync(
        string scenarioPath, string switchName, InterfaceHost host, string outPath, Settings settings, Action<string> log, Action<string> error, CancellationToken cancellationToken)
    {
        Scenario scenario;
        try
        {
            scenario = ScenarioLoader.Load(scenarioPath);
        }
        catch (Exception e) when (e is ScenarioException or FileNotFoundException or IOException)
        {
            error(e.Message);
            return (2, null);
        }
        var model = scenario.Switches.FirstOrDefault(s => string.Equals(s.Name, switchName, StringComparison.Ordinal));
        if (model is null)
        {
            error($"{scenario.Name} has no switch '{switchName}' (it has {string.Join(", ", scenario.Switches.Select(s => s.Name))})");
            return (2, null);
        }
        try
        {
            var outRoot = OutputDirectory.Prepare(outPath);
            OutputDirectory.ClearEarlierRuns(outRoot);
            var outDir = OutputDirectory.FreshScenarioFolder(outRoot, scenario.Name)
                ?? throw new InvalidOperationException($"the scenario name '{scenario.Name}' cannot name its output folder ({ScenarioLoader.NameRule})");
            var options = new DeviceOptions
            {
                Host = host,
                Switch = HardwareSpecs.Switch(scenario, model, outDir),
                Lab = HardwareSpecs.Lab(scenario, outDir),
                AnnounceInterval = settings.AnnounceInterval,
                StayUp = settings.StayUp,
                Log = log,
            };
            var result = await DeviceSession.RunAsync(options, cancellationToken).ConfigureAwait(false);
            var run = result.Run;
            var record = new Record(model.Name, model.Serial, model.Mac, run?.Outcome.ToString().ToLowerInvariant() ?? "stopped", run?.Attempts.Count ?? 0, run?.Reloads ?? 0,
                run?.RunningVersion ?? model.Version, run?.RunningImage ?? "", run?.Reason, result.Announcements, result.GiveBackProblem, result.NxApiRequests);
            await File.WriteAllTextAsync(Path.Combine(outDir, "device.json"), JsonSerializer.Serialize(record, ServeCommand.Json), CancellationToken.None).ConfigureAwait(false);
            if (result.GiveBackProblem is { } problem)
            {
                error(problem);
                return (1, record);
            }
            return (run is null ? RunCommand.CancelledExitCode : 0, record);
        }
        catch (DeviceRefusedException e)
        {
            error($"device refused: {e.Message}");
            return (2, null);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ScenarioException or NotSupportedException)
        {
            error($"device failed: {e.Message}");
            return (2, null);
        }
    }
}
