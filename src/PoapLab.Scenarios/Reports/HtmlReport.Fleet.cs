using System.Text;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Reports;

public static partial class HtmlReport
{
    /// <summary>
    /// Per fleet scenario (<see cref="FleetReport.MinSwitches"/> switches or more): the phases'
    /// durations (min, median, p95, max), the servers' load, and its failed and slowest switches
    /// in full (bounded by <see cref="FleetReport.MaxFailed"/> and <see cref="FleetReport.MaxSlowest"/>;
    /// every other switch has its one row in the summary table).
    /// </summary>
    private static void AppendFleets(StringBuilder html, IReadOnlyList<ScenarioResult> results)
    {
        var fleets = results.Where(r => !r.NotRun).Select(r => (r, f: FleetReport.Of(r))).Where(x => x.f is not null).ToList();
        if (fleets.Count == 0)
        {
            return;
        }
        html.Append("<section id=\"fleets\"><h2>Fleets</h2>\n");
        foreach (var (r, f) in fleets.Take(20))
        {
            html.Append("<article class=\"fleet\"><h3>").Append(H(r.Scenario.Name)).Append(" <small>")
                .Append(Inv($"{f!.Switches} switches, {f.Passed} passed, {f.Provisioned} provisioned, the last done at {f.SpanSeconds:0.0} s switch time"))
                .Append("</small></h3>");
            html.Append("<table class=\"fleet\"><thead><tr><th>phase</th><th>switches</th><th>min</th><th>median</th><th>p95</th><th>max</th></tr></thead><tbody>");
            foreach (var p in f.Phases)
            {
                html.Append("<tr><td>").Append(H(p.Phase)).Append(Inv($"</td><td class=\"n\">{p.Switches}</td><td class=\"n\">{p.Min:0.000} s</td><td class=\"n\">{p.Median:0.000} s</td><td class=\"n\">{p.P95:0.000} s</td><td class=\"n\">{p.Max:0.000} s</td></tr>"));
            }
            html.Append("</tbody></table>");
            if (f.Servers.Count > 0)
            {
                html.Append("<table class=\"fleet\"><thead><tr><th>server</th><th>copies</th><th>failed</th><th>bytes</th><th>peak at once (switch time)</th><th>bytes/s (switch time)</th><th>peak at once (real)</th><th>bytes/s (real)</th></tr></thead><tbody>");
                foreach (var s in f.Servers.Take(50))
                {
                    html.Append("<tr><td>").Append(H(s.Server)).Append(Inv($"</td><td class=\"n\">{s.Transfers}</td><td class=\"n\">{s.Failed}</td><td class=\"n\">{Size(s.Bytes)}</td><td class=\"n\">{s.PeakConcurrent}</td><td class=\"n\">{Size((long)s.BytesPerSecond)}/s</td><td class=\"n\">{s.PeakConcurrentReal}</td><td class=\"n\">{Size((long)s.BytesPerSecondReal)}/s</td></tr>"));
                }
                html.Append("</tbody></table>");
            }
            html.Append("<table class=\"fleet\"><thead><tr><th>switch</th><th>outcome</th><th>attempts</th><th>switch time</th>");
            foreach (var p in FleetReport.PhaseNames)
            {
                html.Append("<th>").Append(H(p)).Append("</th>");
            }
            html.Append("<th>failure</th></tr></thead><tbody>");
            foreach (var s in f.Listed)
            {
                html.Append("<tr class=\"").Append(s.Passed ? "ok" : "bad").Append("\"><td>").Append(H(s.Name)).Append("</td><td>").Append(H(s.Outcome))
                    .Append(Inv($"</td><td class=\"n\">{s.Attempts}</td><td class=\"n\">{s.SwitchSeconds:0.000} s</td>"));
                foreach (var p in FleetReport.PhaseNames)
                {
                    html.Append("<td class=\"n\">").Append(s.Phases.TryGetValue(p, out var v) ? Inv($"{v:0.000}") : "").Append("</td>");
                }
                html.Append("<td class=\"why\">").Append(H(s.Failure)).Append("</td></tr>");
            }
            html.Append("</tbody></table>");
            var failedCount = f.Switches - f.Passed;
            html.Append("<p class=\"legend\">").Append(Inv($"Failed switches first ({Math.Min(failedCount, FleetReport.MaxFailed)} of {failedCount}), then the {Math.Min(f.Passed, FleetReport.MaxSlowest)} slowest; phases in seconds of switch time (a switch's total over its attempts). The table of every switch is below; report.json holds these figures under the scenario's fleet."))
                .Append("</p></article>\n");
        }
        if (fleets.Count > 20)
        {
            html.Append("<p class=\"limit\">").Append(Inv($"Summarised: 20 of {fleets.Count} fleets shown; report.json has them all.")).Append("</p>");
        }
        html.Append("</section>\n");
    }
}
