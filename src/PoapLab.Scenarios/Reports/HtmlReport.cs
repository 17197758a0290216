using System.Globalization;
using System.Text;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// <c>report.html</c>: the run as a person reads it, one self-contained file (inline CSS and
/// SVG; no script, no font, nothing fetched when it is opened). Failures come first, each with
/// its diagnosis and the log lines that prove it; then a table of every switch; then per switch
/// a picture of its timeline (phases as lanes, in the switch's own time), with its logs and the
/// capture linked by relative paths. Every text from a scenario, a script or a log is escaped.
/// The page is bounded whatever the run's size: beyond the limits below it summarises and says so.
/// </summary>
public static partial class HtmlReport
{
    /// <summary>The report's name in the output folder.</summary>
    public const string FileName = "report.html";

    /// <summary>The most failing switches shown with their evidence.</summary>
    public const int MaxFailureCards = 40;

    /// <summary>The most rows of the summary table.</summary>
    public const int MaxTableRows = 2_000;

    /// <summary>The most switch timelines drawn.</summary>
    public const int MaxTimelines = 60;

    /// <summary>The most files of one scenario's manifest listed.</summary>
    public const int MaxManifestRows = 50;

    /// <summary>The most characters of any one text (a diagnosis, a failure, a headline) shown.</summary>
    public const int MaxTextChars = 4_000;

    /// <summary>Writes <see cref="FileName"/> into <paramref name="outRoot"/>; returns its path.</summary>
    /// <param name="headlines">Per scenario name, what heads its failure when it fails (the script's lint findings).</param>
    public static string Write(IReadOnlyList<ScenarioResult> results, string outRoot, TimeSpan realDuration, IReadOnlyDictionary<string, IReadOnlyList<string>>? headlines = null)
    {
        var path = Path.Combine(outRoot, FileName);
        File.WriteAllText(path, Render(results, outRoot, realDuration, headlines), new UTF8Encoding(false));
        return path;
    }

    /// <summary>The page for <paramref name="results"/>, whose artifacts are under <paramref name="outRoot"/>.</summary>
    public static string Render(IReadOnlyList<ScenarioResult> results, string outRoot, TimeSpan realDuration, IReadOnlyDictionary<string, IReadOnlyList<string>>? headlines = null)
    {
        headlines ??= new Dictionary<string, IReadOnlyList<string>>();
        var passed = results.Count(r => r.Passed);
        var cancelled = results.Count(r => r.Cancelled);
        var skipped = results.Count(r => r.Skipped is not null);
        var failed = results.Count - passed - cancelled - skipped;
        var switchCount = results.Sum(r => r.Switches.Count);
        var html = new StringBuilder(64 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">")
            .Append("<title>PoapLab report: ").Append(failed == 0 && cancelled == 0 ? "all passed" : $"{failed} failed").Append("</title><style>").Append(Css).Append("</style></head><body>\n");

        html.Append("<header class=\"").Append(failed + cancelled == 0 ? "ok" : "bad").Append("\"><h1>PoapLab</h1><p class=\"totals\">")
            .Append(Inv($"<b>{passed}</b> passed · <b>{failed}</b> failed"))
            .Append(skipped > 0 ? Inv($" · {skipped} skipped") : "").Append(cancelled > 0 ? Inv($" · {cancelled} cancelled") : "")
            .Append(Inv($" — {results.Count} scenario(s), {switchCount} switch(es), {realDuration.TotalSeconds:0.0} s real time</p></header>\n<main>\n"));

        AppendFailures(html, results, outRoot, headlines);
        AppendFleets(html, results);
        AppendTable(html, results, outRoot);
        AppendTimelines(html, results, outRoot);
        AppendManifests(html, results, outRoot);

        html.Append("<footer><p>Folders of this run, under <code>").Append(H(outRoot)).Append("</code>: ");
        var folders = results.Where(r => !string.Equals(Path.TrimEndingDirectorySeparator(r.OutputDirectory), Path.TrimEndingDirectorySeparator(outRoot), StringComparison.Ordinal) && Directory.Exists(r.OutputDirectory))
            .Select(r => Path.GetFileName(r.OutputDirectory)).Distinct(StringComparer.Ordinal).ToList();
        html.Append(folders.Count == 0 ? "none" : string.Join(", ", folders.Take(200).Select(f => "<a href=\"" + Href(f) + "/\">" + H(f) + "</a>")));
        if (folders.Count > 200)
        {
            html.Append(Inv($" and {folders.Count - 200} more (report.json lists them all)"));
        }
        html.Append(". Anything else there is not from this run. Written by <code>poaplab run</code>; times are each switch's own clock (switch time) and the machine's (real time).</p></footer>\n</main></body></html>\n");
        return html.ToString();
    }

    private static void AppendFailures(StringBuilder html, IReadOnlyList<ScenarioResult> results, string outRoot, IReadOnlyDictionary<string, IReadOnlyList<string>> headlines)
    {
        var failing = results.Where(r => !r.Passed && !r.NotRun).ToList();
        var cancelledOnes = results.Where(r => r.Cancelled).ToList();
        if (failing.Count == 0)
        {
            html.Append("<section id=\"failures\" class=\"none\"><h2>No failures</h2><p>")
                .Append(cancelledOnes.Count > 0 ? Inv($"{cancelledOnes.Count} scenario(s) were cancelled before they finished.") : "Every scenario met its expectations.")
                .Append("</p></section>\n");
            return;
        }
        html.Append("<section id=\"failures\"><h2>Failures</h2>\n");
        var cards = 0;
        foreach (var r in failing)
        {
            html.Append("<article class=\"failure\" id=\"fail-").Append(Href(r.Scenario.Name)).Append("\"><h3>").Append(H(r.Scenario.Name))
                .Append(" <span class=\"badge bad\">").Append(r.Status).Append("</span></h3>");
            headlines.TryGetValue(r.Scenario.Name, out var lint);
            if (lint is { Count: > 0 })
            {
                html.Append("<div class=\"diagnosis headline\"><p class=\"what\">The script's lint findings (what the switch would fail on):</p><pre>")
                    .Append(H(string.Join("\n", lint.Take(20)))).Append(lint.Count > 20 ? Inv($"\n… and {lint.Count - 20} more") : "").Append("</pre></div>");
            }
            if (r.Error is not null)
            {
                html.Append("<div class=\"diagnosis\"><pre>").Append(H(r.Error)).Append("</pre></div>");
            }
            if (r.FleetFailures.Count > 0)
            {
                html.Append("<ul class=\"unmet\">");
                foreach (var f in r.FleetFailures)
                {
                    html.Append("<li>").Append(H(f)).Append("</li>");
                }
                html.Append("</ul>");
            }
            foreach (var s in r.Switches.Where(s => !s.Passed))
            {
                if (cards++ >= MaxFailureCards)
                {
                    continue;
                }
                var dir = Path.Combine(r.OutputDirectory, OutputDirectory.SafeName(s.Name));
                var rel = Href(r.Scenario.Name) + "/" + Href(OutputDirectory.SafeName(s.Name));
                html.Append("<div class=\"switch\"><div class=\"diagnosis\"><pre>").Append(H(s.Diagnosis)).Append("</pre>");
                if (s.Failures.Count > 0)
                {
                    html.Append("<ul class=\"unmet\">");
                    foreach (var f in s.Failures.Take(20))
                    {
                        html.Append("<li>").Append(H(f)).Append("</li>");
                    }
                    if (s.Failures.Count > 20)
                    {
                        html.Append(Inv($"<li>… and {s.Failures.Count - 20} more (report.json)</li>"));
                    }
                    html.Append("</ul>");
                }
                html.Append("</div>");
                foreach (var x in FailureEvidence.For(s.Record.Events, dir, rel))
                {
                    html.Append("<figure class=\"evidence\"><figcaption>").Append(H(x.Source))
                        .Append(x.FirstLine > 0 ? Inv($", from line {x.FirstLine}") : "").Append("</figcaption><pre>");
                    for (int i = 0; i < x.Lines.Count; i++)
                    {
                        var line = H(x.Lines[i]);
                        html.Append(x.Marked.Contains(i) ? "<mark>" + line + "</mark>" : line).Append('\n');
                    }
                    html.Append("</pre></figure>");
                }
                AppendLinks(html, r, s.Name, outRoot);
                html.Append("</div>");
            }
            html.Append("</article>\n");
        }
        if (cards > MaxFailureCards)
        {
            html.Append("<p class=\"limit\">").Append(Inv($"{cards - MaxFailureCards} more failing switch(es) are not detailed here (the page shows {MaxFailureCards}); each one's summary.txt and report.json say why.")).Append("</p>");
        }
        html.Append("</section>\n");
    }

    private static void AppendTable(StringBuilder html, IReadOnlyList<ScenarioResult> results, string outRoot)
    {
        html.Append("<section id=\"summary\"><h2>Scenarios</h2><table><thead><tr><th>scenario</th><th>switch</th><th>outcome</th><th>attempts</th><th>final version</th><th>switch time</th><th>real time</th></tr></thead><tbody>\n");
        var rows = 0;
        var total = 0;
        // Failures first, then the rest in run order.
        foreach (var r in results.OrderBy(r => r.Passed || r.NotRun ? 1 : 0))
        {
            var cls = r.Passed ? "ok" : r.NotRun ? "skip" : "bad";
            if (r.Switches.Count == 0)
            {
                total++;
                if (rows++ < MaxTableRows)
                {
                    html.Append("<tr class=\"").Append(cls).Append("\"><td>").Append(ScenarioLink(r)).Append("</td><td>—</td><td>").Append(H(r.Status))
                        .Append(r.Skipped is not null ? ": " + H(r.Skipped) : "").Append("</td><td></td><td></td><td></td><td>")
                        .Append(Inv($"{r.RealDuration.TotalSeconds:0.00} s")).Append("</td></tr>\n");
                }
                continue;
            }
            foreach (var s in r.Switches)
            {
                total++;
                if (rows++ >= MaxTableRows)
                {
                    continue;
                }
                var res = s.Record.Result;
                html.Append("<tr class=\"").Append(s.Passed ? "ok" : "bad").Append("\"><td>").Append(ScenarioLink(r)).Append("</td><td>").Append(H(s.Name))
                    .Append("</td><td>").Append(s.Passed ? "✔ " : "✘ ").Append(H(Expectations.OutcomeName(res.Outcome)))
                    .Append(s.Passed && res.Outcome != Switch.Poap.PoapOutcome.Provisioned ? "<span class=\"expected\">as expected</span>" : "").Append("</td><td class=\"n\">")
                    .Append(res.Attempts.Count.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(H(res.RunningVersion))
                    .Append("</td><td class=\"n\">").Append(Clock(s.Record.SwitchTime)).Append("</td><td class=\"n\">")
                    .Append(Inv($"{r.RealDuration.TotalSeconds:0.00} s")).Append("</td></tr>\n");
            }
        }
        html.Append("</tbody></table>");
        if (total > MaxTableRows)
        {
            html.Append("<p class=\"limit\">").Append(Inv($"Summarised: the table shows {MaxTableRows} of {total} rows, failures first; report.json has them all.")).Append("</p>");
        }
        html.Append("</section>\n");
    }

    private static void AppendTimelines(StringBuilder html, IReadOnlyList<ScenarioResult> results, string outRoot)
    {
        var all = results.Where(r => !r.NotRun).SelectMany(r => r.Switches.Select(s => (r, s))).OrderBy(x => x.s.Passed ? 1 : 0).ToList();
        if (all.Count == 0)
        {
            return;
        }
        html.Append("<section id=\"timelines\"><h2>Timelines</h2><p class=\"legend\">Each switch on its own clock (switch time: sleeps, timeouts and reloads take the time a switch would take). ")
            .Append("<span class=\"key dhcp\"></span> phase <span class=\"key failed\"></span> failed <span class=\"key open\"></span> never finished <span class=\"tick\">|</span> CLI call <span class=\"tick bad\">◆</span> failure. Hover for details.</p>\n");
        foreach (var (r, s) in all.Take(MaxTimelines))
        {
            var expected = s.Passed && s.Record.Result.Outcome != Switch.Poap.PoapOutcome.Provisioned;
            html.Append("<article class=\"timeline ").Append(s.Passed ? "ok" : "bad").Append("\" id=\"tl-").Append(Href(r.Scenario.Name)).Append('-').Append(Href(s.Name)).Append("\"><h3>")
                .Append(H(r.Scenario.Name)).Append(" / ").Append(H(s.Name)).Append(" <span class=\"badge ").Append(!s.Passed ? "bad" : expected ? "exp" : "ok").Append("\">")
                .Append(H(Expectations.OutcomeName(s.Record.Result.Outcome))).Append(expected ? ", as expected" : "").Append("</span> <small>")
                .Append(Clock(s.Record.SwitchTime)).Append(" switch time</small></h3>");
            html.Append(TimelineSvg.Render(s.Record.Events, s.Record.SwitchTime));
            AppendLinks(html, r, s.Name, outRoot);
            html.Append("</article>\n");
        }
        if (all.Count > MaxTimelines)
        {
            html.Append("<p class=\"limit\">").Append(Inv($"Summarised: {MaxTimelines} of {all.Count} switch timelines are drawn, failures first; each switch's timeline.txt and timeline.json have the rest.")).Append("</p>");
        }
        html.Append("</section>\n");
    }

    private static void AppendManifests(StringBuilder html, IReadOnlyList<ScenarioResult> results, string outRoot)
    {
        var any = false;
        var shown = 0;
        foreach (var r in results.Where(r => !r.NotRun))
        {
            var entries = ArtifactManifest.Read(r.OutputDirectory);
            if (entries.Count == 0)
            {
                continue;
            }
            if (!any)
            {
                html.Append("<section id=\"manifest\"><h2>Files not kept</h2><p>Large files a scenario made (images) are not kept in the output: they are made again by running it. Here is what they were.</p>\n");
                any = true;
            }
            if (shown++ >= MaxTableRows / MaxManifestRows)
            {
                continue;
            }
            html.Append("<details><summary><b>").Append(H(r.Scenario.Name)).Append("</b> ").Append(Inv($"{entries.Count} file(s), {Size(entries.Sum(e => e.Size))}")).Append(" <small><a href=\"").Append(Href(r.Scenario.Name)).Append('/').Append(ArtifactManifest.FileName).Append("\">")
                .Append(ArtifactManifest.FileName).Append("</a></small></summary><table class=\"manifest\"><thead><tr><th>file</th><th>size</th><th>md5</th><th></th></tr></thead><tbody>");
            foreach (var e in entries.Take(MaxManifestRows))
            {
                html.Append("<tr><td><code>").Append(H(e.Path)).Append("</code></td><td class=\"n\">").Append(Size(e.Size)).Append("</td><td><code>")
                    .Append(H(e.Md5)).Append("</code></td><td>").Append(H(e.Note)).Append("</td></tr>");
            }
            html.Append("</tbody></table>");
            if (entries.Count > MaxManifestRows)
            {
                html.Append("<p class=\"limit\">").Append(Inv($"{entries.Count - MaxManifestRows} more in its manifest.json.")).Append("</p>");
            }
            html.Append("</details>");
        }
        if (any)
        {
            html.Append("</section>\n");
        }
    }

    private static void AppendLinks(StringBuilder html, ScenarioResult r, string switchName, string outRoot)
    {
        var folder = OutputDirectory.SafeName(switchName);
        var dir = Path.Combine(r.OutputDirectory, folder);
        html.Append("<p class=\"links\">");
        foreach (var log in new[] { "script.log", "script.stderr.log", "script.stdout.log", "cli.log", "poap.log", "syslog.log", "console.log" })
        {
            if (File.Exists(Path.Combine(dir, log)))
            {
                html.Append("<a href=\"").Append(Href(r.Scenario.Name)).Append('/').Append(Href(folder)).Append('/').Append(log).Append("\">").Append(log).Append("</a> ");
            }
        }
        foreach (var file in new[] { "timeline.txt", "summary.txt", "capture.pcapng", "capture.txt" })
        {
            if (File.Exists(Path.Combine(r.OutputDirectory, file)))
            {
                html.Append("<a href=\"").Append(Href(r.Scenario.Name)).Append('/').Append(file).Append("\">").Append(file).Append("</a> ");
            }
        }
        html.Append("</p>");
    }

    private static string ScenarioLink(ScenarioResult r) =>
        r.Passed || r.NotRun ? H(r.Scenario.Name) : "<a href=\"#fail-" + Href(r.Scenario.Name) + "\">" + H(r.Scenario.Name) + "</a>";

    /// <summary>
    /// Text as HTML text or attribute value: <c>&amp; &lt; &gt; " '</c> escaped, control characters
    /// HTML cannot show as <c>\uXXXX</c>, lone surrogates as U+FFFD, at most <see cref="MaxTextChars"/>.
    /// </summary>
    public static string H(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var cut = text.Length > MaxTextChars;
        var sb = new StringBuilder(Math.Min(text.Length, MaxTextChars) + 16);
        var end = Math.Min(text.Length, MaxTextChars);
        for (int i = 0; i < end; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                case '\n' or '\t': sb.Append(c); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        sb.Append(c).Append(text[++i]);
                    }
                    else if (char.IsSurrogate(c))
                    {
                        sb.Append('\uFFFD');
                    }
                    else if (char.IsControl(c) || c is '\uFFFE' or '\uFFFF')
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        if (cut)
        {
            sb.Append(Inv($" … [{text.Length - MaxTextChars} more characters]"));
        }
        return sb.ToString();
    }

    /// <summary>A folder or file name as one segment of a relative link (percent-encoded, then HTML-escaped).</summary>
    internal static string Href(string name) => H(Uri.EscapeDataString(name));

    internal static string Clock(TimeSpan t) =>
        t.TotalHours >= 24 ? Inv($"{(int)t.TotalDays}d {t:hh\\:mm\\:ss}") : t.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    private static string Size(long bytes) =>
        bytes >= 1 << 20 ? Inv($"{bytes / 1048576.0:0.0} MiB") : bytes >= 1024 ? Inv($"{bytes / 1024.0:0.0} KiB") : Inv($"{bytes} B");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
