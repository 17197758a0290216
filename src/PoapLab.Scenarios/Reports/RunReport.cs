using System.Globalization;
using System.Text.Json;
using System.Xml;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// The reports of a whole run: JUnit XML (what Jenkins and GitLab read) and JSON. Every text
/// comes from scenario files, scripts or the network, so characters XML 1.0 cannot hold (NUL,
/// other control characters, lone surrogates) are written as <c>\uXXXX</c>, and lone
/// surrogates as U+FFFD in JSON: no text makes a report unwritable. A scenario the run was
/// cancelled before it finished is <c>&lt;skipped message="cancelled"/&gt;</c> in JUnit and has
/// <c>"status": "cancelled"</c> in JSON.
/// </summary>
public static class RunReport
{
    /// <summary>
    /// Writes <c>report.junit.xml</c>, <c>report.json</c> and <c>report.html</c> (<see cref="HtmlReport"/>) into <paramref name="outDir"/>.
    /// </summary>
    /// <param name="headlines">Per scenario name, what heads its failure when it fails: its script's lint findings.</param>
    public static async Task WriteAsync(IReadOnlyList<ScenarioResult> results, string outDir, TimeSpan realDuration, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? headlines = null)
    {
        Directory.CreateDirectory(outDir);
        headlines ??= new Dictionary<string, IReadOnlyList<string>>();
        WriteJUnit(results, Path.Combine(outDir, "report.junit.xml"), realDuration, headlines);
        await using (var json = new FileStream(Path.Combine(outDir, "report.json"), FileMode.Create, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(json, ToJson(results, realDuration, headlines), ReportJson.Options, cancellationToken).ConfigureAwait(false);
        }
        HtmlReport.Write(results, outDir, realDuration, headlines);
    }

    /// <summary>The lint findings that head a failed scenario's failure, or none.</summary>
    private static IReadOnlyList<string> Headline(ScenarioResult r, IReadOnlyDictionary<string, IReadOnlyList<string>>? headlines) =>
        !r.Passed && !r.NotRun && headlines is not null && headlines.TryGetValue(r.Scenario.Name, out var h) ? h : [];

    public static void WriteJUnit(IReadOnlyList<ScenarioResult> results, string path, TimeSpan realDuration, IReadOnlyDictionary<string, IReadOnlyList<string>>? headlines = null)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) };
        using var w = XmlWriter.Create(path, settings);
        w.WriteStartDocument();
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", "poaplab");
        w.WriteAttributeString("tests", Num(results.Count));
        w.WriteAttributeString("failures", Num(results.Count(r => r.Status == "failed")));
        w.WriteAttributeString("errors", Num(results.Count(r => r.Status == "error")));
        w.WriteAttributeString("skipped", Num(results.Count(r => r.NotRun)));
        w.WriteAttributeString("time", Seconds(realDuration));
        w.WriteStartElement("testsuite");
        w.WriteAttributeString("name", "scenarios");
        w.WriteAttributeString("tests", Num(results.Count));
        w.WriteAttributeString("failures", Num(results.Count(r => r.Status == "failed")));
        w.WriteAttributeString("errors", Num(results.Count(r => r.Status == "error")));
        w.WriteAttributeString("skipped", Num(results.Count(r => r.NotRun)));
        w.WriteAttributeString("time", Seconds(realDuration));
        foreach (var r in results)
        {
            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", Xml("poaplab." + Path.GetFileName(Path.GetDirectoryName(r.Scenario.FilePath) ?? "scenarios")));
            w.WriteAttributeString("name", Xml(r.Scenario.Name));
            w.WriteAttributeString("file", Xml(r.Scenario.FilePath));
            w.WriteAttributeString("time", Seconds(r.RealDuration));
            if (r.NotRun)
            {
                w.WriteStartElement("skipped");
                w.WriteAttributeString("message", Xml(r.Skipped ?? "cancelled"));
                w.WriteEndElement();
            }
            else if (r.Error is not null)
            {
                w.WriteStartElement("error");
                w.WriteAttributeString("message", Xml(r.Error));
                w.WriteString(Xml(r.Error));
                w.WriteEndElement();
            }
            else if (!r.Passed)
            {
                var lint = Headline(r, headlines);
                var message = string.Join("; ", lint.Concat(r.Failures));
                w.WriteStartElement("failure");
                w.WriteAttributeString("message", Xml(message));
                w.WriteString(Xml(string.Concat(lint.Select(l => l + "\n")) + string.Join("\n", r.Switches.Select(s => s.Diagnosis)) + "\n\n" + string.Join("\n", r.Failures)));
                w.WriteEndElement();
            }
            w.WriteStartElement("system-out");
            w.WriteString(Xml(string.Join("\n", r.Switches.Select(s => s.Diagnosis)) +
                $"\nscenario span (longest switch clock) {r.VirtualDuration:hh\\:mm\\:ss}, real {r.RealDuration.TotalSeconds:0.00} s; artifacts in {r.OutputDirectory}"));
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private static object ToJson(IReadOnlyList<ScenarioResult> results, TimeSpan realDuration, IReadOnlyDictionary<string, IReadOnlyList<string>> headlines) => new
    {
        tool = "poaplab",
        passed = results.Count(r => r.Passed),
        failed = results.Count(r => !r.Passed && !r.NotRun),
        cancelled = results.Count(r => r.Cancelled),
        skipped = results.Count(r => r.Skipped is not null),
        real_seconds = Math.Round(realDuration.TotalSeconds, 3),
        scenarios = results.Select(r => new
        {
            name = Json(r.Scenario.Name),
            file = Json(r.Scenario.FilePath),
            description = Json(r.Scenario.Description),
            status = r.Status,
            passed = r.Passed,
            error = Json(r.Error),
            skipped = Json(r.Skipped),
            lint = Headline(r, headlines).Select(Json),
            failures = r.Failures.Select(Json),
            real_seconds = Math.Round(r.RealDuration.TotalSeconds, 3),
            switch_seconds = Math.Round(r.VirtualDuration.TotalSeconds, 3),
            artifacts = r.OutputDirectory,
            not_kept = r.NotRun ? [] : ArtifactManifest.Read(r.OutputDirectory).Select(e => new { path = Json(e.Path), size = e.Size, md5 = e.Md5, note = e.Note }),
            fleet = r.NotRun || FleetReport.Of(r) is not { } fleet ? null : FleetReport.Json(fleet),
            switches = r.Switches.Select(s => new
            {
                name = Json(s.Name),
                passed = s.Passed,
                switch_seconds = Math.Round(s.Record.SwitchTime.TotalSeconds, 3),
                outcome = Expectations.OutcomeName(s.Record.Result.Outcome),
                version = s.Record.Result.RunningVersion,
                image = s.Record.Result.RunningImage,
                reloads = s.Record.Result.Reloads,
                phases = s.Record.Result.PhasesReached.Select(Expectations.PhaseName),
                attempts = s.Record.Result.Attempts.Select(a => new
                {
                    number = a.Number,
                    boot = a.Boot,
                    reached = Expectations.PhaseName(a.Reached),
                    succeeded = a.Succeeded,
                    failure = Json(a.Failure),
                    script_exit_code = a.ScriptExitCode,
                }),
                diagnosis = Json(s.Diagnosis),
                failures = s.Failures.Select(Json),
            }),
        }),
    };

    /// <summary>Text XML 1.0 can hold: each character it cannot (NUL, control characters, lone surrogates, U+FFFE/U+FFFF) becomes <c>\uXXXX</c>.</summary>
    public static string Xml(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        System.Text.StringBuilder? sb = null;
        for (int i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (XmlConvert.IsXmlChar(c))
            {
                sb?.Append(c);
            }
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], c))
            {
                sb?.Append(c).Append(text[i + 1]);
                i++;
            }
            else
            {
                sb ??= new System.Text.StringBuilder(text, 0, i, text.Length + 16);
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
        }
        return sb?.ToString() ?? text;
    }

    /// <summary>Text JSON can carry as UTF-8: lone surrogates become U+FFFD (control characters are escaped by the serializer).</summary>
    public static string? Json(string? text)
    {
        if (text is null || !text.Any(char.IsSurrogate))
        {
            return text;
        }
        var sb = new System.Text.StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(text[i]).Append(text[i + 1]);
                i++;
            }
            else
            {
                sb.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
            }
        }
        return sb.ToString();
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
