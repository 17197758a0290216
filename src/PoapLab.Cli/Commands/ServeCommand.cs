using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml.Linq;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Cli.Commands;

/// <summary>
/// <c>poaplab serve SCENARIO --interface IF [--out DIR] [--timeout DURATION] [--allow-other-dhcp]</c>:
/// serves the scenario's POAP on a real interface to the switches wired to it and judges each
/// from the wire (see <see cref="ServeSession"/>).
/// </summary>
internal static class ServeCommand
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new AddressConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>What a serve run is told besides its scenario and interface.</summary>
    internal sealed record Settings
    {
        public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);
        public bool AllowOtherDhcp { get; init; }
        public TimeSpan ProbeTime { get; init; } = TimeSpan.FromSeconds(2);
        public TimeSpan FailedQuiet { get; init; } = TimeSpan.FromSeconds(60);
        public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(3);
        public string? Script { get; init; }
        public IReadOnlyList<IServeObserver> Observers { get; init; } = [];
        /// <summary>The watchers the command line asks for (metrics, webhook, syslog, console, progress); the scenario's <c>device:</c> adds its reset and console.</summary>
        public ServeWatchOptions? Watch { get; init; }
        public Action? Ready { get; init; }
        /// <summary>Where the watchers' own problems are written; null: to the run's error lines.</summary>
        public TextWriter? WatchLog { get; init; }
    }

    public static Command Build()
    {
        var scenario = new Argument<FileInfo>("scenario") { Description = "The scenario whose servers to bring up and whose switches to wait for" };
        var iface = new Option<string>("--interface") { Description = "The NIC wired to the switches' mgmt0 (e.g. eth1); nothing is served on any other", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where the capture and reports go (a new, empty or PoapLab output directory)", DefaultValueFactory = _ => new DirectoryInfo("out-serve") };
        var timeout = new Option<string>("--timeout") { Description = "Stop at the latest after this long (30s, 15m, 2h); default 30m", DefaultValueFactory = _ => "30m" };
        var allow = new Option<bool>("--allow-other-dhcp") { Description = "Serve even when another DHCP server answers on the segment" };
        var probe = new Option<string>("--probe-time") { Description = "How long to listen for another DHCP server before serving; default 2s", DefaultValueFactory = _ => "2s" };
        var quiet = new Option<string>("--failed-quiet") { Description = "A switch judged failed and silent this long has its verdict; default 60s", DefaultValueFactory = _ => "60s" };
        var script = new Option<FileInfo?>("--script") { Description = "Serve this POAP script in place of the scenario's (options edited, #md5sum kept as the scenario says)" };
        var metricsPort = new Option<int?>("--metrics-port") { Description = "Serve Prometheus metrics (switches by phase, downloads and bytes, failures by reason) on this port" };
        var metricsBind = new Option<string?>("--metrics-bind") { Description = "The address the metrics listen on; default the lab's server address" };
        var metricsAny = new Option<bool>("--metrics-bind-any") { Description = "Allow --metrics-bind 0.0.0.0 or :: (metrics on every interface of this machine)" };
        var webhook = new Option<string?>("--webhook") { Description = "POST a JSON document to this http(s) URL for each switch's verdict" };
        var syslogPort = new Option<int>("--syslog-port") { Description = "Receive the switches' syslog on this UDP port of the lab address, filed per switch; 0 turns it off", DefaultValueFactory = _ => 514 };
        var console = new Option<string?>("--console") { Description = "The switch's console: a serial device (/dev/ttyUSB0) or 'telnet HOST PORT'; overrides the scenario's device.console" };
        var command = new Command("serve", "Serve a scenario's POAP on a real interface to the switches wired to it, capture the segment and judge each switch from the wire")
        {
            scenario, iface, output, timeout, allow, probe, quiet, script, metricsPort, metricsBind, metricsAny, webhook, syslogPort, console,
        };
        command.SetAction(async (parse, ct) =>
        {
            // Every line goes to the invocation's writers (the terminal, or a test's), several threads at once.
            var stdout = TextWriter.Synchronized(parse.InvocationConfiguration.Output);
            var stderr = TextWriter.Synchronized(parse.InvocationConfiguration.Error);
            var durations = new Dictionary<string, TimeSpan>();
            foreach (var (name, option) in new[] { ("--timeout", timeout), ("--probe-time", probe), ("--failed-quiet", quiet) })
            {
                if (HardwareSpecs.ParseDuration(parse.GetValue(option)!) is not { } d)
                {
                    await stderr.WriteLineAsync($"{name} {parse.GetValue(option)}: not a duration (30s, 15m, 2h)").ConfigureAwait(false);
                    return 2;
                }
                durations[name] = d;
            }
            System.Net.IPAddress? metricsAddress = null;
            if (parse.GetValue(metricsBind) is { } bind && !System.Net.IPAddress.TryParse(bind, out metricsAddress))
            {
                await stderr.WriteLineAsync($"--metrics-bind {bind}: not an IP address").ConfigureAwait(false);
                return 2;
            }
            Uri? webhookUrl = null;
            if (parse.GetValue(webhook) is { } w && !Uri.TryCreate(w, UriKind.Absolute, out webhookUrl))
            {
                await stderr.WriteLineAsync($"--webhook {w}: not an absolute http:// or https:// URL").ConfigureAwait(false);
                return 2;
            }
            var settings = new Settings
            {
                Timeout = durations["--timeout"],
                ProbeTime = durations["--probe-time"],
                FailedQuiet = durations["--failed-quiet"],
                AllowOtherDhcp = parse.GetValue(allow),
                Script = parse.GetValue(script)?.FullName,
                Watch = new ServeWatchOptions
                {
                    MetricsPort = parse.GetValue(metricsPort),
                    MetricsBind = metricsAddress,
                    MetricsAllowAnyAddress = parse.GetValue(metricsAny),
                    WebhookUrl = webhookUrl,
                    SyslogPort = parse.GetValue(syslogPort) is 0 ? null : parse.GetValue(syslogPort),
                    Console = parse.GetValue(console),
                    Progress = stdout,
                },
                WatchLog = stderr,
            };
            return await RunAsync(parse.GetValue(scenario)!, parse.GetValue(iface)!, parse.GetValue(output)!, settings, stdout, stderr, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(FileInfo scenarioFile, string interfaceName, DirectoryInfo output, Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            await stderr.WriteLineAsync("serve needs root: it adds the scenario's server addresses to the interface and captures it (CAP_NET_ADMIN, CAP_NET_RAW)").ConfigureAwait(false);
            return 2;
        }
        InterfaceHost host;
        try
        {
            host = new InterfaceHost(interfaceName);
        }
        catch (ArgumentException e)
        {
            await stderr.WriteLineAsync($"--interface: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        // A second signal exits at once: the guardian undoes the addresses once this process is gone.
        using var cancel = new SignalCancellation(cancellationToken, signal => stderr.WriteLine($"{signal}: stopping, undoing what was added to {interfaceName} and writing the reports (again to exit at once)"));
        var (exit, _, _) = await ServeAsync(scenarioFile.FullName, host, output.FullName, settings, line => stdout.WriteLine(line), line => stderr.WriteLine(line), cancel.Token).ConfigureAwait(false);
        return exit;
    }

    /// <summary>Loads the scenario, serves it on <paramref name="host"/>, writes the reports; the exit code and what the run saw.</summary>
    internal static async Task<(int Exit, ServeResult? Result, IReadOnlyList<WireCheck> Checks)> ServeAsync(
        string scenarioPath, InterfaceHost host, string outPath, Settings settings, Action<string> log, Action<string> error, CancellationToken cancellationToken)
    {
        Scenario scenario;
        try
        {
            scenario = ScenarioLoader.Load(scenarioPath);
        }
        catch (Exception e) when (e is ScenarioException or FileNotFoundException or IOException)
        {
            error(e.Message);
            return (2, null, []);
        }
        if (HardwareSpecs.NotServable(scenario) is { } why)
        {
            error($"{scenario.Name}: {why}");
            return (2, null, []);
        }
        string outDir;
        try
        {
            var outRoot = OutputDirectory.Prepare(outPath);
            OutputDirectory.ClearEarlierRuns(outRoot);
            foreach (var report in new[] { "report.json", "report.junit.xml" })
            {
                File.Delete(Path.Combine(outRoot, report));
            }
            outDir = OutputDirectory.FreshScenarioFolder(outRoot, scenario.Name)
                ?? throw new InvalidOperationException($"the scenario name '{scenario.Name}' cannot name its output folder ({ScenarioLoader.NameRule})");
            var filesRoot = Path.Combine(outDir, "files");
            HardwareSpecs.Materialise(scenario, filesRoot, settings.Script);
            var targets = HardwareSpecs.Targets(scenario);
            if (scenario.Device?.Probe is { } probe)
            {
                var probed = new List<ServeTarget>();
                foreach (var t in targets)
                {
                    if (ProbeOptions(probe, t.Switch, filesRoot) is not { } probeOptions)
                    {
                        error($"serve refused: device.probe: no login for {t.Switch.Name}: " +
                            (probe.User is null ? "no served configuration has a 'username NAME password 0 SECRET' line" : $"no served configuration gives the password of {probe.User}") +
                            "; name device.probe.user and device.probe.password");
                        return (2, null, []);
                    }
                    probed.Add(t with { Probe = probeOptions });
                }
                targets = probed;
            }
            IReadOnlyList<IServeObserver> observers = settings.Observers;
            if (settings.Watch is { } watch)
            {
                try
                {
                    observers = [.. observers, .. ServeWatch.Build(
                        watch with
                        {
                            Console = watch.Console ?? scenario.Device?.Console,
                            ConsoleAnswer = scenario.Device?.ConsoleAnswer ?? watch.ConsoleAnswer,
                            ResetCommand = watch.ResetCommand ?? scenario.Device?.Reset,
                            ResetTimeout = watch.ResetTimeout ?? scenario.Device?.ResetTimeout,
                            LabAddresses = [.. HardwareSpecs.Services(scenario, filesRoot).Select(s => s.Address)],
                        },
                        outDir, [.. targets.Select(t => t.Switch)], settings.WatchLog ?? new LineWriter(error))];
                }
                catch (ServeWatchException e)
                {
                    error($"serve refused: {WatchSetting(e.Setting, watch, scenario)}: {e.Message}");
                    return (2, null, []);
                }
            }
            var options = new ServeOptions
            {
                Host = host,
                OutputDirectory = outDir,
                Switches = targets,
                Services = HardwareSpecs.Services(scenario, filesRoot),
                Lab = HardwareSpecs.Lab(scenario, outDir),
                Router = HardwareSpecs.Router(scenario),
                Timeout = settings.Timeout,
                AllowOtherDhcp = settings.AllowOtherDhcp,
                ProbeTime = settings.ProbeTime,
                FailedQuiet = settings.FailedQuiet,
                Linger = settings.Linger,
                Observers = observers,
                Log = log,
                Ready = settings.Ready,
            };
            log($"serving {scenario.Name} on {host}: waiting for {string.Join(", ", options.Switches.Select(s => $"{s.Switch.Name} ({s.Switch.Serial}, {s.Switch.Mac})"))}");
            var result = await ServeSession.RunAsync(options, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<WireCheck> checks = [.. WireExpectations.Check(scenario, result.Report), .. ProbeChecks(scenario, result)];
            Write(scenario, host, outRoot, outDir, result, checks);
            foreach (var line in Summary(result, checks))
            {
                log(line);
            }
            var exit = result.Ending == "cancelled" ? RunCommand.CancelledExitCode
                : result.Switches.All(s => s.Settled) && !checks.Any(c => c.Result == WireCheckResult.Disagrees) && result.UndoFailures.Count == 0 ? 0 : 1;
            return (exit, result, checks);
        }
        catch (ServeRefusedException e)
        {
            error($"serve refused: {e.Message}");
            return (2, null, []);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ScenarioException or NotSupportedException or System.Net.Sockets.SocketException)
        {
            error($"serve failed: {e.Message}");
            return (2, null, []);
        }
    }

    /// <summary>A switch's probes from <c>device.probe</c>: the login named there, else the one its served configuration gives.</summary>
    private static SwitchProbeOptions? ProbeOptions(DeviceProbeModel probe, ServeSwitch sw, string filesRoot)
    {
        var credentials = probe.User is { } user && probe.Password is { } password
            ? new ProbeCredentials(user, password)
            : ProbeCredentials.FromServedFiles(filesRoot, sw.Serial, probe.User);
        return credentials is null ? null : new SwitchProbeOptions
        {
            NxApiScheme = probe.NxApi,
            NxApiPort = probe.NxApiPort,
            TlsInsecure = probe.TlsInsecure,
            Ssh = probe.Ssh,
            SshPort = probe.SshPort ?? 22,
            Credentials = credentials,
            Timeout = probe.Timeout ?? TimeSpan.FromMinutes(2),
        };
    }

    /// <summary>The probes' facts checked against <c>expect:</c>: each probe answered, and its version and host name agree.</summary>
    private static IEnumerable<WireCheck> ProbeChecks(Scenario scenario, ServeResult result)
    {
        foreach (var s in result.Switches)
        {
            var model = scenario.Switches.FirstOrDefault(m => m.Name == s.Switch.Name);
            var expect = model?.Expect ?? scenario.Expect;
            foreach (var p in s.Probes)
            {
                if (p.Outcome != ProbeOutcome.Answered)
                {
                    yield return new WireCheck(s.Switch.Name, $"probe {p.Via}: show version answered", WireCheckResult.Disagrees, $"{ServeSession.ProbeText(p.Outcome)}: {p.Detail}");
                    continue;
                }
                yield return new WireCheck(s.Switch.Name, $"probe {p.Via}: show version answered", WireCheckResult.Agrees, p.Detail);
                if (expect.Version is { } version)
                {
                    yield return p.Version is { } v
                        ? new WireCheck(s.Switch.Name, $"version: {version} (probe {p.Via})", SameVersion(version, v) ? WireCheckResult.Agrees : WireCheckResult.Disagrees, $"show version says {v}")
                        : new WireCheck(s.Switch.Name, $"version: {version} (probe {p.Via})", WireCheckResult.CannotJudge, "show version gave no version");
                }
                if (expect.RunningConfig.FirstOrDefault(l => l.Trim().StartsWith("hostname ", StringComparison.Ordinal)) is { } line)
                {
                    var want = line.Trim()["hostname ".Length..].Trim();
                    yield return p.Hostname is { } h
                        ? new WireCheck(s.Switch.Name, $"running_config: {line.Trim()} (probe {p.Via})", h == want ? WireCheckResult.Agrees : WireCheckResult.Disagrees, $"show version says host name {h}")
                        : new WireCheck(s.Switch.Name, $"running_config: {line.Trim()} (probe {p.Via})", WireCheckResult.CannotJudge, "show version gave no host name");
                }
            }
        }
    }

    private static bool SameVersion(string expected, string actual)
    {
        try
        {
            return PoapLab.Switch.Identity.NxosVersion.Parse(expected).Display == PoapLab.Switch.Identity.NxosVersion.Parse(actual).Display;
        }
        catch (FormatException)
        {
            return string.Equals(expected, actual, StringComparison.Ordinal);
        }
    }

    /// <summary>The command-line option (or scenario key) a refused watcher setting came from.</summary>
    private static string WatchSetting(string setting, ServeWatchOptions given, Scenario scenario) => setting switch
    {
        nameof(ServeWatchOptions.WebhookUrl) => "--webhook",
        nameof(ServeWatchOptions.MetricsBind) => given.MetricsBind is null ? "--metrics-port" : "--metrics-bind",
        nameof(ServeWatchOptions.MetricsPort) => "--metrics-port",
        nameof(ServeWatchOptions.SyslogPort) => "--syslog-port",
        nameof(ServeWatchOptions.Console) => given.Console is null && scenario.Device?.Console is not null ? "the scenario's device.console" : "--console",
        nameof(ServeWatchOptions.ResetCommand) => given.ResetCommand is null ? "the scenario's device.reset" : "the reset command",
        _ => setting,
    };

    private static IEnumerable<string> Summary(ServeResult result, IReadOnlyList<WireCheck> checks)
    {
        yield return $"ended: {result.Ending switch { "verdicts" => "every switch has its verdict", "timeout" => "timeout", _ => "cancelled" }}; {result.CaptureSummary}";
        foreach (var s in result.Switches)
        {
            var w = s.Wire;
            yield return w is null
                ? $"{s.Switch.Name} ({s.Switch.Serial}, {s.Switch.Mac}): not seen on the wire"
                : $"{s.Switch.Name} ({w.Serial ?? s.Switch.Serial}, {w.Mac}): {WireJudge.VerdictText(w.Verdict)}{(s.Settled ? "" : " (no verdict yet)")}, attempts {w.Attempts?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? $"at least {w.AttemptsAtLeast}"}, final version {w.FinalVersion ?? "unknown"}, host name {w.Hostname ?? "unknown"}";
            foreach (var d in w?.Diagnosis ?? [])
            {
                yield return $"  diagnosis: {d}";
            }
            foreach (var p in s.Probes)
            {
                yield return $"  probe {p.Via} {p.Target}: {ServeSession.ProbeText(p.Outcome)}: {p.Detail}";
            }
            foreach (var c in checks.Where(c => c.Switch == s.Switch.Name))
            {
                var mark = c.Result switch { WireCheckResult.Agrees => "agrees", WireCheckResult.Disagrees => "DISAGREES", _ => "cannot judge" };
                yield return $"  {mark} {c.Expectation}: {c.Detail}";
            }
        }
        foreach (var p in result.Problems)
        {
            yield return $"problem: {p}";
        }
        foreach (var f in result.UndoFailures)
        {
            yield return $"NOT UNDONE: {f}";
        }
    }

    /// <summary>report.json, report.junit.xml at the top; per scenario the wire report, and per switch its timeline.</summary>
    private static void Write(Scenario scenario, InterfaceHost host, string outRoot, string outDir, ServeResult result, IReadOnlyList<WireCheck> checks)
    {
        File.WriteAllLines(Path.Combine(outDir, "wire-timeline.txt"), WireJudge.Describe(result.Report));
        File.WriteAllText(Path.Combine(outDir, "wire-report.json"), JsonSerializer.Serialize(new { report = result.Report, checks }, Json));
        foreach (var s in result.Switches)
        {
            var dir = HardwareSpecs.SwitchFolder(outDir, s.Switch.Name);
            Directory.CreateDirectory(dir);
            File.WriteAllLines(Path.Combine(dir, "wire-timeline.txt"),
                s.Wire is null ? ["not seen on the wire"] : WireJudge.Describe(result.Report with { Switches = [s.Wire] }));
        }
        var switches = result.Switches.Select(s => new
        {
            name = s.Switch.Name,
            serial = s.Wire?.Serial ?? s.Switch.Serial,
            mac = s.Wire?.Mac ?? s.Switch.Mac,
            verdict = s.Wire?.Verdict ?? WireVerdict.Unknown,
            settled = s.Settled,
            status = Status(s, checks),
            attempts = s.Wire?.Attempts,
            attempts_at_least = s.Wire?.AttemptsAtLeast,
            final_version = s.Wire?.FinalVersion,
            hostname = s.Wire?.Hostname,
            probes = s.Probes.Select(p => new
            {
                via = p.Via,
                target = p.Target,
                outcome = ServeSession.ProbeText(p.Outcome),
                hostname = p.Hostname,
                version = p.Version,
                chassis = p.Chassis,
                serial = p.Serial,
                detail = p.Detail,
            }),
            diagnosis = s.Wire?.Diagnosis ?? [],
            unknowns = s.Wire?.Unknowns ?? [],
            checks = checks.Where(c => c.Switch == s.Switch.Name),
        }).ToList();
        var json = new
        {
            command = "serve",
            scenario = scenario.Name,
            scenario_file = scenario.FilePath,
            @interface = host.Interface,
            ending = result.Ending,
            capture = Path.GetRelativePath(outRoot, Path.Combine(outDir, "capture.pcapng")),
            capture_summary = result.CaptureSummary,
            switches,
            changes_undone = result.Changes,
            undo_failures = result.UndoFailures,
            problems = result.Problems,
        };
        File.WriteAllText(Path.Combine(outRoot, "report.json"), JsonSerializer.Serialize(json, Json));
        var suite = new XElement("testsuite",
            new XAttribute("name", $"serve {scenario.Name} on {host.Interface}"),
            new XAttribute("tests", result.Switches.Count),
            new XAttribute("failures", switches.Count(s => s.status == "failed")));
        foreach (var s in switches)
        {
            var testcase = new XElement("testcase", new XAttribute("classname", scenario.Name), new XAttribute("name", $"{s.name} ({s.serial}, {s.mac})"));
            if (s.status == "failed")
            {
                var disagree = s.checks.Where(c => c.Result == WireCheckResult.Disagrees).Select(c => $"{c.Expectation}: {c.Detail}").ToList();
                var message = disagree.Count > 0 ? string.Join("; ", disagree) : s.settled ? "failed" : "no verdict before the run ended";
                testcase.Add(new XElement("failure", new XAttribute("message", message), string.Join('\n', s.diagnosis)));
            }
            suite.Add(testcase);
        }
        new XDocument(new XElement("testsuites", suite)).Save(Path.Combine(outRoot, "report.junit.xml"));
    }

    private static string Status(ServeSwitchVerdict s, IReadOnlyList<WireCheck> checks) =>
        s.Settled && !checks.Any(c => c.Switch == s.Switch.Name && c.Result == WireCheckResult.Disagrees) ? "passed" : "failed";

    private sealed class AddressConverter : JsonConverter<System.Net.IPAddress>
    {
        public override System.Net.IPAddress? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            System.Net.IPAddress.Parse(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, System.Net.IPAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
