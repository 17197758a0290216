using System.Text;
using System.Text.Json.Nodes;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// The <c>report.html</c> of a merged run (<c>poaplab report merge</c>): drawn from the merged
/// <c>report.json</c> alone, since the parts ran on other machines. Failures first with their
/// diagnosis and unmet expectations, then every switch in one table, then the parts, each part's
/// own <c>report.html</c> linked for its timelines and log evidence. Same page rules as a run's
/// report: one self-contained file, every text escaped, bounded whatever the size.
/// </summary>
public static partial class HtmlReport
{
    /// <summary>Writes the merged run's <see cref="FileName"/> into <paramref name="outRoot"/>; returns its path.</summary>
    public static string WriteMerged(JsonObject merged, string outRoot)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var path = Path.Combine(outRoot, FileName);
        File.WriteAllText(path, RenderMerged(merged, outRoot), new UTF8Encoding(false));
        return path;
    }

    /// <summary>The page of a merged <c>report.json</c> written into <paramref name="outRoot"/> (links are relative to it).</summary>
    public static string RenderMerged(JsonObject merged, string outRoot)
    {
        ArgumentNullException.ThrowIfNull(merged);
        var scenarios = (merged["scenarios"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var parts = (merged["merged_from"] as JsonArray ?? []).OfType<JsonObject>().Select(p => Text(p, "reports")).OfType<string>().ToList();
        var passed = Int(merged, "passed");
        var failed = Int(merged, "failed");
        var skipped = Int(merged, "skipped");
        var cancelled = Int(merged, "cancelled");
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">")
            .Append("<title>PoapLab report (merged): ").Append(failed + cancelled == 0 ? "all passed" : Inv($"{failed} failed")).Append("</title><style>").Append(Css).Append("</style></head><body>\n");
        html.Append("<header class=\"").Append(failed + cancelled == 0 ? "ok" : "bad").Append("\"><h1>PoapLab</h1><p class=\"totals\">")
            .Append(Inv($"<b>{passed}</b> passed · <b>{failed}</b> failed"))
            .Append(skipped > 0 ? Inv($" · {skipped} skipped") : "").Append(cancelled > 0 ? Inv($" · {cancelled} cancelled") : "")
            .Append(Inv($" — {scenarios.Count} scenario(s) from {parts.Count} part(s), the longest {Number(merged, "real_seconds"):0.0} s real time</p></header>\n<main>\n"));

        var failing = scenarios.Where(s => Text(s, "status") is not ("passed" or "skipped" or "cancelled")).ToList();
        if (failing.Count == 0)
        {
            html.Append("<section id=\"failures\" class=\"none\"><h2>No failures</h2><p>Every scenario of every part met its expectations.</p></section>\n");
        }
        else
        {
            html.Append("<section id=\"failures\"><h2>Failures</h2>\n");
            var cards = 0;
            foreach (var s in failing)
            {
                var name = Text(s, "name") ?? "";
                html.Append("<article class=\"failure\"><h3>").Append(H(name)).Append(" <span class=\"badge bad\">").Append(H(Text(s, "status"))).Append("</span></h3>");
                var lint = Strings(s, "lint");
                if (lint.Count > 0)
                {
                    html.Append("<div class=\"diagnosis headline\"><p class=\"what\">The script's lint findings (what the switch would fail on):</p><pre>")
                        .Append(H(string.Join("\n", lint.Take(20)))).Append("</pre></div>");
                }
                if (Text(s, "error") is { } error)
                {
                    html.Append("<div class=\"diagnosis\"><pre>").Append(H(error)).Append("</pre></div>");
                }
                foreach (var sw in Switches(s).Where(sw => sw["passed"]?.GetValueKind() == System.Text.Json.JsonValueKind.False))
                {
                    if (cards++ >= MaxFailureCards)
                    {
                        continue;
                    }
                    html.Append("<div class=\"switch\"><div class=\"diagnosis\"><pre>").Append(H(Text(sw, "diagnosis"))).Append("</pre>");
                    var unmet = Strings(sw, "failures");
                    if (unmet.Count > 0)
                    {
                        html.Append("<ul class=\"unmet\">");
                        foreach (var f in unmet.Take(20))
                        {
                            html.Append("<li>").Append(H(f)).Append("</li>");
                        }
                        html.Append("</ul>");
                    }
                    html.Append("</div></div>");
                }
                var part = PartReport(s, outRoot);
                html.Append("<p class=\"links\">").Append(part is null ? "" : "<a href=\"" + part + "#fail-" + Href(name) + "\">its part's report (timelines, log evidence)</a> · ")
                    .Append(Artifacts(s) is { } folder ? "<a href=\"" + folder + "/\">its files</a>" : "").Append("</p></article>\n");
            }
            if (cards > MaxFailureCards)
            {
                html.Append(Inv($"<p class=\"more\">{cards - MaxFailureCards} more failing switch(es): report.json has them all.</p>"));
            }
            html.Append("</section>\n");
        }

        html.Append("<section id=\"summary\"><h2>Scenarios</h2><table><thead><tr><th>scenario</th><th>switch</th><th>outcome</th><th class=\"n\">attempts</th><th>final version</th><th class=\"n\">switch time</th><th class=\"n\">real time</th></tr></thead><tbody>\n");
        var rows = 0;
        foreach (var s in failing.Concat(scenarios.Where(s => !failing.Contains(s))))
        {
            var name = Text(s, "name") ?? "";
            var status = Text(s, "status") ?? "";
            var switches = Switches(s).ToList();
            foreach (var sw in switches.Count == 0 ? [null] : switches.Cast<JsonObject?>())
            {
                if (rows++ >= MaxTableRows)
                {
                    continue;
                }
                var ok = status is "passed" or "skipped";
                html.Append("<tr><td>").Append(H(name)).Append("</td><td>").Append(H(sw is null ? "" : Text(sw, "name")))
                    .Append("</td><td class=\"").Append(ok ? "ok" : "bad").Append("\">").Append(H(sw is null ? status : Text(sw, "outcome") ?? status))
                    .Append(status == "skipped" ? " <small>" + H(Text(s, "skipped")) + "</small>" : "")
                    .Append("</td><td class=\"n\">").Append(sw?["attempts"] is JsonArray a ? Inv($"{a.Count}") : "")
                    .Append("</td><td>").Append(H(sw is null ? "" : Text(sw, "version")))
                    .Append("</td><td class=\"n\">").Append(sw is null ? "" : Clock(TimeSpan.FromSeconds(Math.Clamp(Number(sw, "switch_seconds"), 0, 1e9))))
                    .Append("</td><td class=\"n\">").Append(Inv($"{Number(s, "real_seconds"):0.00} s")).Append("</td></tr>\n");
            }
        }
        html.Append("</tbody></table>");
        if (rows > MaxTableRows)
        {
            html.Append(Inv($"<p class=\"more\">{rows - MaxTableRows} more row(s): report.json has them all.</p>"));
        }
        html.Append("</section>\n<section id=\"parts\"><h2>Parts</h2><ul>");
        foreach (var p in parts.Take(MaxTableRows))
        {
            var rel = RelativeLink(outRoot, Path.Combine(p, FileName));
            html.Append("<li><a href=\"").Append(rel).Append("\">").Append(H(p)).Append("</a></li>");
        }
        html.Append("</ul></section>\n<footer><p>Written by <code>poaplab report merge</code> from the parts' report.json; each part's own report.html has its switches' timelines and the log lines that prove each failure.</p></footer>\n</main></body></html>\n");
        return html.ToString();
    }

    private static IEnumerable<JsonObject> Switches(JsonObject scenario) => (scenario["switches"] as JsonArray ?? []).OfType<JsonObject>();

    private static string? Text(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : null;

    private static double Number(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            // A node built in memory holds an int or a double, one read from a file a JsonElement: its JSON text is a number either way.
            && double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : 0;

    private static int Int(JsonObject o, string key) => (int)Math.Clamp(Number(o, key), 0, int.MaxValue);

    private static List<string> Strings(JsonObject o, string key) =>
        (o[key] as JsonArray ?? []).OfType<JsonValue>().Where(v => v.GetValueKind() == System.Text.Json.JsonValueKind.String).Select(v => v.GetValue<string>()).ToList();

    // The scenario's folder as the merged report.json names it (relative to the merged folder, or absolute).
    private static string? Artifacts(JsonObject scenario) =>
        Text(scenario, "artifacts") is { Length: > 0 } folder && !Path.IsPathRooted(folder)
            ? string.Join('/', folder.Split(Path.DirectorySeparatorChar).Select(Href))
            : null;

    // The report.html of the part the scenario came from: its folder's parent.
    private static string? PartReport(JsonObject scenario, string outRoot) =>
        Text(scenario, "artifacts") is { Length: > 0 } folder && !Path.IsPathRooted(folder)
            ? RelativeLink(outRoot, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Path.Combine(outRoot, folder)))!, FileName))
            : null;

    private static string RelativeLink(string from, string to) =>
        string.Join('/', Path.GetRelativePath(from, to).Split(Path.DirectorySeparatorChar).Select(s => s == ".." ? s : Href(s)));
}
