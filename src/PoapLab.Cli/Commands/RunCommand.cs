using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PoapLab.Core.Events;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Lab.Transports.Virtual;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;
using PoapLab.Scenarios.Selection;
using Spectre.Console;

namespace PoapLab.Cli.Commands;

/// <summary>
/// <c>poaplab run FILE|DIR... [--script FILE] [--out DIR] [--parallel N] [--filter TEXT] [--tags T,...] [--skip-tags T,...] [--shard K/N] [--network virtual|namespace] [-q|-v]</c>.
/// It lints every script it will serve first (<see cref="RunPreflight"/>): a failed scenario's
/// lint errors head its failure. Progress is live on a terminal (<see cref="RunProgress"/>),
/// plain lines elsewhere (<see cref="RunOutput"/>). The first SIGINT
/// (Ctrl-C) or SIGTERM stops starting scenarios and cancels the running ones (their scripts,
/// servers and sshd are ended), then the reports are written for what finished, the rest
/// marked cancelled, and the exit code is 130; a second signal exits at once.
/// </summary>
internal static class RunCommand
{
    /// <summary>The exit code after a cancelled run (128 + SIGINT, as shells report it).</summary>
    public const int CancelledExitCode = 130;

    public static Command Build()
    {
        var paths = new Argument<string[]>("scenarios") { Description = "Scenario files or directories of them (*.yaml)", Arity = ArgumentArity.OneOrMore };
        var script = new Option<FileInfo?>("--script") { Description = "Your POAP script, served in place of each scenario's script (its options block is edited as the scenario says and #md5sum recomputed)" };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Where reports and per-scenario artifacts go", DefaultValueFactory = _ => new DirectoryInfo("out") };
        var parallel = new Option<int>("--parallel") { Description = "How many simulated switches run at once", DefaultValueFactory = _ => 6 };
        var filter = new Option<string?>("--filter") { Description = "Only scenarios whose name or file path contains this text (such as catalogue or fault-tftp)" };
        var tags = new Option<string[]>("--tags") { Description = "Only scenarios with any of these tags (comma-separated or repeated: --tags dhcp,tftp)" };
        var skipTags = new Option<string[]>("--skip-tags") { Description = "Leave out scenarios with any of these tags" };
        var shard = new Option<string?>("--shard") { Description = "Run only part K of N (K/N, such as 2/3) of the selected scenarios: deterministic by file path and balanced, for N parallel CI jobs; join their reports with 'poaplab report merge'" };
        var network = new Option<string>("--network")
        {
            Description = "How switches reach the servers: virtual (loopback, no root) or namespace (a real Ethernet segment of network namespaces and veths; root)",
            DefaultValueFactory = _ => VirtualTransport.TransportName,
        };
        network.AcceptOnlyFromAmong(VirtualTransport.TransportName, NamespaceTransport.TransportName);
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only failures and the summary" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print every event as it happens (on each switch's clock)" };
        var command = new Command("run", "Run scenarios and write out/report.html, out/report.junit.xml, out/report.json and per-scenario artifacts") { paths, script, outDir, parallel, filter, network, tags, skipTags, shard, quiet, verbose };
        command.SetAction((parse, ct) =>
        {
            var output = RunOutput.ForProcess(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, parse.GetValue(verbose) ? Verbosity.Verbose : parse.GetValue(quiet) ? Verbosity.Quiet : Verbosity.Normal);
            Shard? part = null;
            if (parse.GetValue(shard) is { } shardText && (part = Shard.Parse(shardText, out var problem)) is null)
            {
                output.Error(problem!);
                return Task.FromResult(2);
            }
            var selection = new ScenarioSelection
            {
                Filter = parse.GetValue(filter),
                Tags = ScenarioSelection.ParseTags(parse.GetValue(tags)),
                SkipTags = ScenarioSelection.ParseTags(parse.GetValue(skipTags)),
                Shard = part,
            };
            return RunAsync(parse.GetValue(paths)!, parse.GetValue(script), parse.GetValue(outDir)!, parse.GetValue(parallel), selection, parse.GetValue(network)!, output, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string[] paths, FileInfo? script, DirectoryInfo outDir, int parallel, ScenarioSelection selection, string network, RunOutput output, CancellationToken cancellationToken)
    {
        if (parallel < 1)
        {
            output.Error("--parallel must be at least 1");
            return 2;
        }
        ILabTransportFactory transport = VirtualTransportFactory.Instance;
        if (network == NamespaceTransport.TransportName)
        {
            if (NamespaceTransportFactory.Unavailable() is { } why)
            {
                output.Error($"--network namespace: {why}");
                return 2;
            }
            transport = NamespaceTransportFactory.Instance;
        }
        try
        {
            // Every switch's script host reads it; a misspelt value is said once, before anything runs.
            PoapLab.Switch.Script.Sandbox.ScriptSandboxes.FromEnvironment();
        }
        catch (InvalidOperationException e)
        {
            output.Error(e.Message);
            return 2;
        }
        if (script is not null && RegularFile.Problem(script.FullName, RegularFile.MaxScriptBytes) is { } scriptProblem)
        {
            output.Error($"--script: {scriptProblem}");
            return 2;
        }
        string outRoot;
        IReadOnlyList<string> cleared;
        try
        {
            outRoot = OutputDirectory.Prepare(outDir.FullName);
            // Each run starts clean: what earlier runs wrote goes (only folders they marked as theirs).
            cleared = OutputDirectory.ClearEarlierRuns(outRoot);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            output.Error(e.Message);
            return 2;
        }
        using var cancel = new SignalCancellation(cancellationToken, signal => output.Error($"{signal}: stopping the scenarios and writing the reports (again to exit at once)"));
        IReadOnlyList<string> files;
        try
        {
            files = ScenarioLoader.Find(paths);
        }
        catch (FileNotFoundException e)
        {
            output.Error(e.Message);
            return 2;
        }
        var scenarios = new List<Scenario>();
        var broken = new List<ScenarioResult>();
        var selected = new List<(string File, Scenario? Scenario, ScenarioException? Error)>();
        foreach (var f in files)
        {
            try
            {
                var s = ScenarioLoader.Load(f);
                if (selection.Matches(f, s))
                {
                    selected.Add((f, s, null));
                }
            }
            catch (ScenarioException e) when (selection.Matches(f, null))
            {
                selected.Add((f, null, e));
            }
            catch (ScenarioException)
            {
                // Not selected: its errors are for a run (or a shard) that takes it.
            }
        }
        foreach (var (f, s, e) in selection.PickShard(selected, x => x.File))
        {
            if (s is not null)
            {
                scenarios.Add(s);
            }
            else
            {
                output.Error($"error: {e!.Message}");
                broken.Add(Broken(f, e.Message, outRoot));
            }
        }
        // A shard left empty (more parts than scenarios) still writes its (empty) reports, for 'report merge'.
        if (scenarios.Count == 0 && broken.Count == 0 && (selection.Shard is null || selected.Count == 0))
        {
            output.Error("no scenarios to run");
            return 2;
        }
        if (cleared.Count > 0 && output.Verbosity != Verbosity.Quiet)
        {
            output.Line($"[grey]{Markup.Escape($"{outRoot}: removed {cleared.Count} folder(s) an earlier run wrote ({string.Join(", ", cleared.Take(5))}{(cleared.Count > 5 ? ", ..." : "")})")}[/]");
        }
        // Lint first: every script the run will serve, as served.
        var linting = Stopwatch.StartNew();
        IReadOnlyDictionary<string, ScenarioLint> lint;
        try
        {
            lint = await RunPreflight.LintAsync(scenarios, script?.FullName, outRoot, cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancel.Token.IsCancellationRequested)
        {
            // Stopped while linting: the run below marks every scenario cancelled and writes the reports.
            lint = new Dictionary<string, ScenarioLint>();
        }
        ShowLint(lint, script is not null, output);
        if (output.Verbosity == Verbosity.Verbose)
        {
            output.Line($"[grey]linted the scripts of {lint.Count} scenario(s) in {linting.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s[/]");
        }
        if (output.Verbosity != Verbosity.Quiet)
        {
            output.Line($"Running {scenarios.Count} scenario(s), {parallel} switch(es) at once, {transport.Name} network{(script is null ? "" : $", script {Markup.Escape(script.FullName)}")}");
        }
        var clock = Stopwatch.StartNew();
        var runner = new ScenarioRunner();
        var progress = new RunProgress(scenarios.Count);
        var live = output.IsTerminal && output.Verbosity == Verbosity.Normal && output.Console is not null;
        Action<Scenario, LabEvent>? observer = output.Verbosity == Verbosity.Verbose
            ? (scenario, e) => output.Line(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"  {scenario.Name}/{e.Switch ?? "-"}  {e.VirtualTime:hh\\:mm\\:ss\\.fff}  {e.Source}  {e.Kind}: {e.Message}")))
            : live ? progress.Observe : null;
        void Finished(ScenarioResult r)
        {
            progress.Finished(r.Scenario.Name, !r.Passed && !r.NotRun);
            Print(r, lint.GetValueOrDefault(r.Scenario.Name), output);
        }
        // Printing progress must never break a lab (a closed pipe, a full disk): what fails to print is dropped.
        Action<Scenario, LabEvent>? safeObserver = observer is null ? null : (scenario, e) =>
        {
            try
            {
                observer(scenario, e);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
            }
        };
        var options = new RunOptions(outRoot, script?.FullName, parallel) { Transport = transport, Observer = safeObserver };
        IReadOnlyList<ScenarioResult> results;
        if (live)
        {
            results = await LiveAsync(output.Console!, progress, () => runner.RunAllAsync(scenarios, options, Finished, cancel.Token)).ConfigureAwait(false);
        }
        else
        {
            results = await runner.RunAllAsync(scenarios, options, Finished, cancel.Token).ConfigureAwait(false);
        }
        var all = broken.Concat(results).ToList();
        var headlines = lint.Where(kv => kv.Value.Errors.Count > 0).ToDictionary(kv => kv.Key, kv => kv.Value.Errors, StringComparer.OrdinalIgnoreCase);
        // The reports are written even (above all) when the run was cancelled.
        await RunReport.WriteAsync(all, outRoot, clock.Elapsed, CancellationToken.None, headlines).ConfigureAwait(false);
        var passed = all.Count(r => r.Passed);
        var cancelled = all.Count(r => r.Cancelled);
        var skipped = all.Count(r => r.Skipped is not null);
        var failed = all.Count - passed - cancelled - skipped;
        output.Line($"{(failed + cancelled == 0 ? "[green]" : "[red]")}{passed} passed, {failed} failed{(skipped > 0 ? $", {skipped} skipped" : "")}{(cancelled > 0 ? $", {cancelled} cancelled" : "")}[/] in {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s — report: {Markup.Escape(Path.Combine(outRoot, HtmlReport.FileName))} (and report.junit.xml, report.json)");
        return cancel.Token.IsCancellationRequested ? CancelledExitCode : failed == 0 ? 0 : 1;
    }

    /// <summary>Runs <paramref name="run"/> under Spectre's live display of <paramref name="progress"/>, refreshed five times a second.</summary>
    private static async Task<IReadOnlyList<ScenarioResult>> LiveAsync(IAnsiConsole console, RunProgress progress, Func<Task<IReadOnlyList<ScenarioResult>>> run)
    {
        IReadOnlyList<ScenarioResult> results = [];
        await console.Live(progress.Render()).AutoClear(true).Overflow(VerticalOverflow.Ellipsis).StartAsync(async ctx =>
        {
            var task = run();
            while (await Task.WhenAny(task, Task.Delay(200, CancellationToken.None)).ConfigureAwait(false) != task)
            {
                ctx.UpdateTarget(progress.Render());
            }
            results = await task.ConfigureAwait(false);
        }).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// The lint findings before the run: for <c>--script</c> (or with <c>-v</c>) each distinct
    /// error and warning on stderr; otherwise one line saying how many scenarios serve a script
    /// with errors (those head the scenarios' failures).
    /// </summary>
    private static void ShowLint(IReadOnlyDictionary<string, ScenarioLint> lint, bool userScript, RunOutput output)
    {
        if (userScript || output.Verbosity == Verbosity.Verbose)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in lint.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value.Errors.Concat(output.Verbosity == Verbosity.Quiet ? [] : kv.Value.Warnings)))
            {
                // The same finding in every scenario's copy of one script is said once.
                var what = line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..];
                if (seen.Add(what))
                {
                    output.Error("lint: " + line);
                }
            }
            foreach (var why in lint.Values.Select(l => l.Skipped).OfType<string>().Distinct())
            {
                output.Error("lint: " + why);
            }
            return;
        }
        var withErrors = lint.Count(kv => kv.Value.Errors.Count > 0);
        if (withErrors > 0 && output.Verbosity == Verbosity.Normal)
        {
            output.Error($"lint: {withErrors} scenario(s) serve a script with lint errors (shown first if they fail; -v lists them)");
        }
    }

    private static void Print(ScenarioResult r, ScenarioLint? lint, RunOutput output)
    {
        var failed = !r.Passed && !r.NotRun;
        if (output.Verbosity == Verbosity.Quiet && !failed)
        {
            return;
        }
        var mark = r.Cancelled ? "[yellow]CANCELLED[/]" : r.Skipped is not null ? "[yellow]SKIP[/]" : r.Passed ? "[green]PASS[/]" : "[red]FAIL[/]";
        // A fleet (many switches) is summed up in a few lines, not a switch per line.
        var fleet = Scenarios.Reports.FleetReport.Of(r);
        var what = fleet is not null ? $"{fleet.Switches} switches" : string.Join(", ", r.Switches.Select(s =>
            $"{s.Name} {Scenarios.Assertions.Expectations.OutcomeName(s.Record.Result.Outcome)} {s.Record.Result.RunningVersion} ({s.Record.Result.Attempts.Count} attempt(s))"));
        var lines = new List<string>
        {
            $"{mark} {Markup.Escape(r.Scenario.Name)}  [grey]{r.RealDuration.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)}s real, {r.VirtualDuration:hh\\:mm\\:ss} switch time[/]  {Markup.Escape(what)}",
        };
        lines.AddRange((fleet is null ? [] : Scenarios.Reports.FleetReport.ConsoleLines(fleet)).Select(l => $"     [grey]{Markup.Escape(l)}[/]"));
        if (r.Skipped is not null)
        {
            lines.Add($"     [grey]{Markup.Escape(r.Skipped)}[/]");
        }
        if (failed)
        {
            // The script's lint findings head the failure: they are the cause the switch's retries hide.
            foreach (var l in lint?.Errors ?? [])
            {
                lines.Add($"     [red bold]{Markup.Escape(l)}[/]");
            }
            foreach (var s in fleet is null ? r.Switches : r.Switches.Where(s => !s.Passed).Take(10))
            {
                lines.Add($"     [grey]{Markup.Escape(s.Diagnosis.Replace("\n", "\n     ", StringComparison.Ordinal))}[/]");
            }
            // Under a lint error the unmet expectations follow from it: the first few are enough.
            var shown = lint?.Errors.Count > 0 ? 3 : fleet is not null ? 20 : int.MaxValue;
            foreach (var f in r.Failures.Take(shown))
            {
                lines.Add($"     [red]{Markup.Escape(f)}[/]");
            }
            if (r.Failures.Count > shown)
            {
                lines.Add($"     [red]... and {r.Failures.Count - shown} more unmet expectation(s) (report.html)[/]");
            }
            lines.Add($"     [grey]artifacts: {Markup.Escape(r.OutputDirectory)}[/]");
        }
        output.Line(string.Join("\n", lines));
    }

    private static ScenarioResult Broken(string file, string error, string outDir)
    {
        var scenario = new Scenario
        {
            Name = Path.GetFileNameWithoutExtension(file),
            FilePath = Path.GetFullPath(file),
            Switches = [],
            Servers = new ServersModel(),
        };
        return new ScenarioResult(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outDir, error);
    }
}
