using System.Globalization;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Reports;

/// <summary>How long one phase took across a fleet's switches (seconds of switch time; each switch's total in the phase, over all its attempts).</summary>
/// <param name="Phase">dhcp, script-download, script-run, image-transfer, config-transfer, reload or replay.</param>
/// <param name="Switches">How many switches went through it.</param>
public sealed record FleetPhase(string Phase, int Switches, double Min, double Median, double P95, double Max);

/// <summary>What one server carried for a fleet, as its switches saw their copies (<c>transfer.*</c> events), in switch time and in real time.</summary>
/// <param name="Server">protocol://host, as the switches named it.</param>
/// <param name="PeakConcurrent">The most copies in flight at one instant of switch time.</param>
/// <param name="BytesPerSecond">Bytes carried over its busy span (first copy's start to last copy's end) in switch time.</param>
/// <param name="PeakConcurrentReal">The most copies in flight at one instant of real (host) time: what the server itself held.</param>
/// <param name="BytesPerSecondReal">Bytes carried over its busy span in real time.</param>
public sealed record FleetServer(string Server, int Transfers, int Failed, long Bytes, int PeakConcurrent, double BytesPerSecond, int PeakConcurrentReal, double BytesPerSecondReal);

/// <summary>One switch of a fleet as the report lists it: failed ones first, then the slowest.</summary>
public sealed record FleetSwitch(string Name, bool Passed, string Outcome, double SwitchSeconds, int Attempts, IReadOnlyDictionary<string, double> Phases, string? Failure);

/// <summary>A fleet's figures: per phase the distribution of durations, per server its load, and its failed and slowest switches.</summary>
/// <param name="Listed">Failed switches (at most <see cref="FleetReport.MaxFailed"/>) then the slowest passing ones (<see cref="FleetReport.MaxSlowest"/>).</param>
public sealed record FleetSummary(int Switches, int Passed, int Provisioned, double SpanSeconds, IReadOnlyList<FleetPhase> Phases, IReadOnlyList<FleetServer> Servers, IReadOnlyList<FleetSwitch> Listed);

/// <summary>
/// The fleet part of a scenario's report, for a scenario of <see cref="MinSwitches"/> switches
/// or more: computed from the switches' own events (their phase spans, <see cref="PhaseLanes"/>,
/// and their copies), so it holds for the embedded servers and for the user's real ones alike.
/// </summary>
public static class FleetReport
{
    /// <summary>From how many switches a scenario is a fleet and gets this report.</summary>
    public const int MinSwitches = 10;

    /// <summary>The slowest passing switches listed in full.</summary>
    public const int MaxSlowest = 20;

    /// <summary>The failed switches listed in full (report.json's switches list has the rest).</summary>
    public const int MaxFailed = 100;

    /// <summary>The phases, in order, as report.json names them.</summary>
    public static readonly string[] PhaseNames = ["dhcp", "script-download", "script-run", "image-transfer", "config-transfer", "reload", "replay"];

    /// <summary>The fleet figures of <paramref name="r"/>, or null when it has fewer than <see cref="MinSwitches"/> switches.</summary>
    public static FleetSummary? Of(ScenarioResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Switches.Count < MinSwitches)
        {
            return null;
        }
        var perSwitch = new List<(SwitchResult S, Dictionary<string, double> Phases)>(r.Switches.Count);
        foreach (var s in r.Switches)
        {
            var (spans, _) = PhaseLanes.Build(s.Record.Events, s.Record.SwitchTime);
            var phases = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var span in spans)
            {
                var name = PhaseOf(span);
                phases[name] = phases.GetValueOrDefault(name) + Math.Max(0, (span.End - span.Start).TotalSeconds);
            }
            perSwitch.Add((s, phases));
        }
        var phaseStats = PhaseNames.Select(p =>
        {
            var values = perSwitch.Where(x => x.Phases.ContainsKey(p)).Select(x => x.Phases[p]).Order().ToList();
            return values.Count == 0 ? null : new FleetPhase(p, values.Count, R(values[0]), R(Rank(values, 0.5)), R(Rank(values, 0.95)), R(values[^1]));
        }).OfType<FleetPhase>().ToList();

        // Under expect: fleet:, a switch that did not end provisioned passes (the bounds judge it), but
        // it is what the user looks for first after the failed ones: a pool too small, a server that gave up.
        bool Missed(SwitchResult s) => r.Scenario.Expect.Fleet is not null && s.Record.Result.Outcome != Switch.Poap.PoapOutcome.Provisioned;
        var failed = perSwitch.Where(x => !x.S.Passed).OrderBy(x => x.S.Name, StringComparer.Ordinal)
            .Concat(perSwitch.Where(x => x.S.Passed && Missed(x.S)).OrderBy(x => x.S.Name, StringComparer.Ordinal)).Take(MaxFailed);
        var slowest = perSwitch.Where(x => x.S.Passed && !Missed(x.S)).OrderByDescending(x => x.S.Record.SwitchTime).ThenBy(x => x.S.Name, StringComparer.Ordinal).Take(MaxSlowest);
        var listed = failed.Concat(slowest).Select(x => new FleetSwitch(
            x.S.Name, x.S.Passed, Expectations.OutcomeName(x.S.Record.Result.Outcome), R(x.S.Record.SwitchTime.TotalSeconds), x.S.Record.Result.Attempts.Count,
            x.Phases.ToDictionary(kv => kv.Key, kv => R(kv.Value), StringComparer.Ordinal),
            x.S.Passed ? (Missed(x.S) ? FleetExpectations.Why(x.S.Record.Result) : null) : x.S.Failures.FirstOrDefault() ?? x.S.Record.Result.Reason)).ToList();

        return new FleetSummary(
            r.Switches.Count,
            r.Switches.Count(s => s.Passed),
            r.Switches.Count(s => s.Record.Result.Outcome == Switch.Poap.PoapOutcome.Provisioned),
            R(r.Switches.Max(s => s.Record.SwitchTime).TotalSeconds),
            phaseStats,
            Servers(r.Switches.Select(s => s.Record.Events)),
            listed);
    }

    /// <summary>The lane a span counts for: copies of <c>.bin</c> files are image transfers, other copies (configurations, .md5 files) config transfers.</summary>
    private static string PhaseOf(PhaseSpan span) => span.Lane switch
    {
        PhaseLane.Dhcp => "dhcp",
        PhaseLane.ScriptDownload => "script-download",
        PhaseLane.ScriptRun => "script-run",
        PhaseLane.Transfer => IsImage(span.Label) ? "image-transfer" : "config-transfer",
        PhaseLane.Reload => "reload",
        _ => "replay",
    };

    /// <summary>Whether a copy's label ("copy http://h/images/x.bin (vrf management)", "copied ...: 123 bytes") names a .bin file.</summary>
    private static bool IsImage(string label)
    {
        var i = label.IndexOf(".bin", StringComparison.OrdinalIgnoreCase);
        while (i >= 0)
        {
            var after = i + 4 < label.Length ? label[i + 4] : ' ';
            if (after is ' ' or ':' or ')')
            {
                return true;
            }
            i = label.IndexOf(".bin", i + 4, StringComparison.OrdinalIgnoreCase);
        }
        return false;
    }

    /// <summary>Per server (protocol://host), its copies as the switches recorded them.</summary>
    internal static IReadOnlyList<FleetServer> Servers(IEnumerable<IReadOnlyList<LabEvent>> switchEvents)
    {
        var copies = new Dictionary<string, List<(TimeSpan Start, TimeSpan End, TimeSpan RealStart, TimeSpan RealEnd, long Bytes, bool Failed)>>(StringComparer.Ordinal);
        foreach (var events in switchEvents)
        {
            // A switch copies one file at a time: each start is closed by the next end of the same server.
            var open = new Dictionary<string, (TimeSpan At, TimeSpan Real)>(StringComparer.Ordinal);
            foreach (var e in events)
            {
                if (e.Kind is not (EventKinds.TransferStarted or EventKinds.TransferCompleted or EventKinds.TransferFailed))
                {
                    continue;
                }
                var server = $"{(e.Get("protocol") ?? "?").ToLowerInvariant()}://{e.Get("host") ?? "?"}";
                if (e.Kind == EventKinds.TransferStarted)
                {
                    open[server] = (e.VirtualTime, e.RealTime);
                    continue;
                }
                if (!open.Remove(server, out var started))
                {
                    continue;
                }
                _ = long.TryParse(e.Get("bytes"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes);
                if (!copies.TryGetValue(server, out var list))
                {
                    copies[server] = list = [];
                }
                list.Add((started.At, e.VirtualTime, started.Real, e.RealTime, Math.Max(0, bytes), e.Kind == EventKinds.TransferFailed));
            }
        }
        return copies.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
        {
            var l = kv.Value;
            var bytes = l.Sum(c => c.Bytes);
            var span = (l.Max(c => c.End) - l.Min(c => c.Start)).TotalSeconds;
            var realSpan = (l.Max(c => c.RealEnd) - l.Min(c => c.RealStart)).TotalSeconds;
            return new FleetServer(kv.Key, l.Count, l.Count(c => c.Failed), bytes,
                Peak(l.Select(c => (c.Start, c.End))), span > 0 ? Math.Round(bytes / span) : 0,
                Peak(l.Select(c => (c.RealStart, c.RealEnd))), realSpan > 0 ? Math.Round(bytes / realSpan) : 0);
        }).ToList();
    }

    /// <summary>The most intervals open at one instant (an interval ending when another starts does not overlap it; an empty one is open at its instant).</summary>
    internal static int Peak(IEnumerable<(TimeSpan Start, TimeSpan End)> intervals)
    {
        var edges = new List<(TimeSpan At, int Delta)>();
        foreach (var (start, end) in intervals)
        {
            edges.Add((start, +1));
            // A copy that took no time (a small file on the virtual clock) was still in flight at its instant.
            edges.Add((end <= start ? start + TimeSpan.FromTicks(1) : end, -1));
        }
        // Ends before starts at the same instant.
        edges.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Delta.CompareTo(b.Delta));
        int now = 0, peak = 0;
        foreach (var (_, delta) in edges)
        {
            now += delta;
            peak = Math.Max(peak, now);
        }
        return peak;
    }

    /// <summary>The nearest-rank quantile <paramref name="q"/> of sorted values.</summary>
    internal static double Rank(IReadOnlyList<double> sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double R(double seconds) => Math.Round(seconds, 3);

    /// <summary>The figures as report.json holds them under the scenario's <c>fleet</c>.</summary>
    public static object Json(FleetSummary f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new
        {
            switches = f.Switches,
            passed = f.Passed,
            failed = f.Switches - f.Passed,
            provisioned = f.Provisioned,
            span_switch_seconds = f.SpanSeconds,
            phases = f.Phases.Select(p => new { phase = p.Phase, switches = p.Switches, min = p.Min, median = p.Median, p95 = p.P95, max = p.Max }),
            servers = f.Servers.Select(s => new
            {
                server = RunReport.Json(s.Server),
                transfers = s.Transfers,
                failed = s.Failed,
                bytes = s.Bytes,
                peak_concurrent = s.PeakConcurrent,
                bytes_per_second = s.BytesPerSecond,
                peak_concurrent_real = s.PeakConcurrentReal,
                bytes_per_second_real = s.BytesPerSecondReal,
            }),
            listed = f.Listed.Select(s => new
            {
                name = RunReport.Json(s.Name),
                passed = s.Passed,
                outcome = s.Outcome,
                switch_seconds = s.SwitchSeconds,
                attempts = s.Attempts,
                phases = s.Phases,
                failure = RunReport.Json(s.Failure),
            }),
        };
    }

    /// <summary>A few lines for the console: counts, the phases' medians and p95s, the servers' peaks, the worst switches.</summary>
    public static IReadOnlyList<string> ConsoleLines(FleetSummary f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var lines = new List<string>
        {
            Inv($"fleet: {f.Switches} switches, {f.Passed} passed, {f.Provisioned} provisioned, {f.SpanSeconds:0.0} s switch time to the last"),
            "  phase (switch s) median/p95/max: " + string.Join(", ", f.Phases.Select(p => Inv($"{p.Phase} {p.Median:0.##}/{p.P95:0.##}/{p.Max:0.##}"))),
        };
        foreach (var s in f.Servers)
        {
            lines.Add(Inv($"  {s.Server}: {s.Transfers} copies ({s.Failed} failed), {Mib(s.Bytes)}, peak {s.PeakConcurrent} at once ({s.PeakConcurrentReal} in real time), {Mib((long)s.BytesPerSecondReal)}/s real"));
        }
        var worst = f.Listed.Take(5).Select(s => Inv($"{s.Name} {(s.Passed ? s.Outcome == "provisioned" ? "" : s.Outcome + " " : "FAILED ")}{s.SwitchSeconds:0.#} s")).ToList();
        if (worst.Count > 0)
        {
            lines.Add("  failed and slowest first: " + string.Join(", ", worst));
        }
        return lines;
    }

    private static string Mib(long bytes) => Inv($"{bytes / 1048576.0:0.0} MiB");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
