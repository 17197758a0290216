using System.Globalization;
using System.Text.Json;
using System.Xml;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Reports;

/// <summary>The reports of a whole run: JUnit XML (what Jenkins and GitLab read) and JSON.</summary>
public static class RunReport
{
    public static async Task WriteAsync(IReadOnlyList<ScenarioResult> results, string outDir, TimeSpan realDuration, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outDir);
        WriteJUnit(results, Path.Combine(outDir, "report.junit.xml"), realDuration);
        await using var json = File.Create(Path.Combine(outDir, "report.json"));
        await JsonSerializer.SerializeAsync(json, ToJson(results, realDuration), ReportJson.Options, cancellationToken).ConfigureAwait(false);
    }

    public static void WriteJUnit(IReadOnlyList<ScenarioResult> results, string path, TimeSpan realDuration)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) };
        using var w = XmlWriter.Create(path, settings);
        w.WriteStartDocument();
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", "poaplab");
        w.WriteAttributeString("tests", Num(results.Count));
        w.WriteAttributeString("failures", Num(results.Count(r => !r.Passed && r.Error is null)));
        w.WriteAttributeString("errors", Num(results.Count(r => r.Error is not null)));
        w.WriteAttributeString("time", Seconds(realDuration));
        w.WriteStartElement("testsuite");
        w.WriteAttributeString("name", "scenarios");
        w.WriteAttributeString("tests", Num(results.Count));
        w.WriteAttributeString("failures", Num(results.Count(r => !r.Passed && r.Error is null)));
        w.WriteAttributeString("errors", Num(results.Count(r => r.Error is not null)));
        w.WriteAttributeString("skipped", "0");
        w.WriteAttributeString("time", Seconds(realDuration));
        foreach (var r in results)
        {
            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", "poaplab." + Path.GetFileName(Path.GetDirectoryName(r.Scenario.FilePath) ?? "scenarios"));
            w.WriteAttributeString("name", r.Scenario.Name);
            w.WriteAttributeString("file", r.Scenario.FilePath);
            w.WriteAttributeString("time", Seconds(r.RealDuration));
            if (r.Error is not null)
            {
                w.WriteStartElement("error");
                w.WriteAttributeString("message", r.Error);
                w.WriteString(r.Error);
                w.WriteEndElement();
            }
            else if (!r.Passed)
            {
                var message = string.Join("; ", r.Failures);
                w.WriteStartElement("failure");
                w.WriteAttributeString("message", message);
                w.WriteString(string.Join("\n", r.Switches.Select(s => s.Diagnosis)) + "\n\n" + string.Join("\n", r.Failures));
                w.WriteEndElement();
            }
            w.WriteStartElement("system-out");
            w.WriteString(string.Join("\n", r.Switches.Select(s => s.Diagnosis)) +
                $"\nswitch clock {r.VirtualDuration:hh\\:mm\\:ss}, real {r.RealDuration.TotalSeconds:0.00} s; artifacts in {r.OutputDirectory}");
            w.WriteEndElement();
            w.WriteEndElement();
        }
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private static object ToJson(IReadOnlyList<ScenarioResult> results, TimeSpan realDuration) => new
    {
        tool = "poaplab",
        passed = results.Count(r => r.Passed),
        failed = results.Count(r => !r.Passed),
        real_seconds = Math.Round(realDuration.TotalSeconds, 3),
        scenarios = results.Select(r => new
        {
            name = r.Scenario.Name,
            file = r.Scenario.FilePath,
            description = r.Scenario.Description,
            passed = r.Passed,
            error = r.Error,
            failures = r.Failures,
            real_seconds = Math.Round(r.RealDuration.TotalSeconds, 3),
            switch_seconds = Math.Round(r.VirtualDuration.TotalSeconds, 3),
            artifacts = r.OutputDirectory,
            switches = r.Switches.Select(s => new
            {
                name = s.Name,
                passed = s.Passed,
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
                    failure = a.Failure,
                    script_exit_code = a.ScriptExitCode,
                }),
                diagnosis = s.Diagnosis,
                failures = s.Failures,
            }),
        }),
    };

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
