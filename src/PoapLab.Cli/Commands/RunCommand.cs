using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
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
/// <c>poaplab run FILE|DIR... [--script FILE] [--out DIR] [--parallel N] [--filter TEXT] [--tags T,...] [--skip-tags T,...] [--shard K/N] [--network virtual|namespace]</c>. The first SIGINT
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
        var command = new Command("run", "Run scenarios and write out/report.junit.xml, out/report.json and per-scenario artifacts") { paths, script, outDir, parallel, filter, network, tags, skipTags, shard };
        command.SetAction((parse, ct) =>
        {
            Shard? part = null;
            if (parse.GetValue(shard) is { } shardText && (part = Shard.Parse(shardText, out var problem)) is null)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(problem!)}[/]");
                return Task.FromResult(2);
            }
            var selection = new ScenarioSelection
            {
                Filter = parse.GetValue(filter),
                Tags = ScenarioSelection.ParseTags(parse.GetValue(tags)),
                SkipTags = ScenarioSelection.ParseTags(parse.GetValue(skipTags)),
                Shard = part,
            };
            return RunAsync(parse.GetValue(paths)!, parse.GetValue(script), parse.GetValue(outDir)!, parse.GetValue(parallel), selection, parse.GetValue(network)!, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(string[] paths, FileInfo? script, DirectoryInfo outDir, int parallel, ScenarioSelection selection, string network, CancellationToken cancellationToken)
    {
        if (parallel < 1)
        {
            AnsiConsole.MarkupLine("[red]--parallel must be at least 1[/]");
            return 2;
        }
        ILabTransportFactory transport = VirtualTransportFactory.Instance;
        if (network == NamespaceTransport.TransportName)
        {
            if (NamespaceTransportFactory.Unavailable() is { } why)
            {
                AnsiConsole.MarkupLine($"[red]--network namespace: {Markup.Escape(why)}[/]");
                return 2;
            }
            transport = NamespaceTransportFactory.Instance;
        }
        if (script is not null && RegularFile.Problem(script.FullName, RegularFile.MaxScriptBytes) is { } scriptProblem)
        {
            AnsiConsole.MarkupLine($"[red]--script: {Markup.Escape(scriptProblem)}[/]");
            return 2;
        }
        string outRoot;
        try
        {
            outRoot = OutputDirectory.Prepare(outDir.FullName);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return 2;
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) > 1)
            {
                Environment.Exit(CancelledExitCode);
            }
            Console.Error.WriteLine($"{context.Signal}: stopping the scenarios and writing the reports (again to exit at once)");
            // Cancellation callbacks end processes: not on the signal thread.
            _ = Task.Run(cancel.Cancel, CancellationToken.None);
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        IReadOnlyList<string> files;
        try
        {
            files = ScenarioLoader.Find(paths);
        }
        catch (FileNotFoundException e)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
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
                AnsiConsole.MarkupLine($"[red]ERROR[/] {Markup.Escape(e!.Message)}");
                broken.Add(Broken(f, e.Message, outRoot));
            }
        }
        // A shard left empty (more parts than scenarios) still writes its (empty) reports, for 'report merge'.
        if (scenarios.Count == 0 && broken.Count == 0 && (selection.Shard is null || selected.Count == 0))
        {
            AnsiConsole.MarkupLine("[yellow]no scenarios to run[/]");
            return 2;
        }
        AnsiConsole.MarkupLine($"Running {scenarios.Count} scenario(s), {parallel} switch(es) at once, {transport.Name} network{(script is null ? "" : $", script {Markup.Escape(script.FullName)}")}");
        var clock = Stopwatch.StartNew();
        var runner = new ScenarioRunner();
        var results = await runner.RunAllAsync(scenarios, new RunOptions(outRoot, script?.FullName, parallel) { Transport = transport }, Print, cancel.Token).ConfigureAwait(false);
        var all = broken.Concat(results).ToList();
        // The reports are written even (above all) when the run was cancelled.
        await RunReport.WriteAsync(all, outRoot, clock.Elapsed, CancellationToken.None).ConfigureAwait(false);
        var passed = all.Count(r => r.Passed);
        var cancelled = all.Count(r => r.Cancelled);
        var skipped = all.Count(r => r.Skipped is not null);
        var failed = all.Count - passed - cancelled - skipped;
        AnsiConsole.MarkupLine($"{(failed + cancelled == 0 ? "[green]" : "[red]")}{passed} passed, {failed} failed{(skipped > 0 ? $", {skipped} skipped" : "")}{(cancelled > 0 ? $", {cancelled} cancelled" : "")}[/] in {clock.Elapsed.TotalSeconds:0.0} s — reports: {Markup.Escape(Path.Combine(outRoot, "report.junit.xml"))}, report.json");
        return cancel.IsCancellationRequested ? CancelledExitCode : failed == 0 ? 0 : 1;
    }

    private static readonly Lock PrintGate = new();

    private static void Print(ScenarioResult r)
    {
        lock (PrintGate)
        {
            var mark = r.Cancelled ? "[yellow]CANCELLED[/]" : r.Skipped is not null ? "[yellow]SKIP[/]" : r.Passed ? "[green]PASS[/]" : "[red]FAIL[/]";
            var what = string.Join(", ", r.Switches.Select(s =>
                $"{s.Name} {Scenarios.Assertions.Expectations.OutcomeName(s.Record.Result.Outcome)} {s.Record.Result.RunningVersion} ({s.Record.Result.Attempts.Count} attempt(s))"));
            AnsiConsole.MarkupLine($"{mark} {Markup.Escape(r.Scenario.Name)}  [grey]{r.RealDuration.TotalSeconds:0.00}s real, {r.VirtualDuration:hh\\:mm\\:ss} switch time[/]  {Markup.Escape(what)}");
            if (r.Skipped is not null)
            {
                AnsiConsole.MarkupLine($"     [grey]{Markup.Escape(r.Skipped)}[/]");
            }
            if (!r.Passed && !r.NotRun)
            {
                foreach (var s in r.Switches)
                {
                    AnsiConsole.MarkupLine($"     [grey]{Markup.Escape(s.Diagnosis.Replace("\n", "\n     ", StringComparison.Ordinal))}[/]");
                }
                foreach (var f in r.Failures)
                {
                    AnsiConsole.MarkupLine($"     [red]{Markup.Escape(f)}[/]");
                }
                AnsiConsole.MarkupLine($"     [grey]artifacts: {Markup.Escape(r.OutputDirectory)}[/]");
            }
        }
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
