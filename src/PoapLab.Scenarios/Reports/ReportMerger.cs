using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// Joins the reports of the parts of one run (<c>poaplab run --shard K/N</c> on N CI jobs) into
/// the reports of the whole: one <c>report.json</c> and one <c>report.junit.xml</c> holding every
/// scenario once, ordered by file path, the counts summed, the time the longest part's. Each
/// scenario's entry is copied as its part wrote it (so fields added to the reports later are
/// kept); its <c>artifacts</c> folder becomes a path relative to the merged reports when that
/// part's folder is there. A scenario found in two parts is an error (the parts overlap).
/// </summary>
public static class ReportMerger
{
    /// <summary>The largest report read (a catalogue of thousands of scenarios writes a few MiB).</summary>
    public const long MaxReportBytes = 256L << 20;

    /// <summary>What a merge found: the scenarios and how they ended.</summary>
    public sealed record Summary(int Scenarios, int Passed, int Failed, int Skipped, int Cancelled);

    /// <summary>Reads the parts' reports and writes the merged ones into <paramref name="outDir"/>.</summary>
    /// <exception cref="InvalidOperationException">A part has no reports, an unreadable one, or a scenario another part has too: the message says which.</exception>
    public static Summary Merge(IReadOnlyList<string> partDirs, string outDir)
    {
        var entries = new List<(string Key, JsonObject Json, XElement? TestCase)>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var longest = 0.0;
        var shards = new JsonArray();
        foreach (var dir in partDirs)
        {
            var jsonPath = Path.Combine(dir, "report.json");
            var junitPath = Path.Combine(dir, "report.junit.xml");
            if (!File.Exists(jsonPath) || !File.Exists(junitPath))
            {
                throw new InvalidOperationException($"{dir}: no report.json and report.junit.xml here (the --out of a 'poaplab run')");
            }
            if (new FileInfo(jsonPath).Length > MaxReportBytes || new FileInfo(junitPath).Length > MaxReportBytes)
            {
                throw new InvalidOperationException($"{dir}: a report is larger than {MaxReportBytes >> 20} MiB: not a PoapLab report");
            }
            JsonObject report;
            XDocument junit;
            try
            {
                report = JsonNode.Parse(File.ReadAllText(jsonPath)) as JsonObject ?? throw new JsonException("not a JSON object");
                // No DTD: a report is data, and an entity must not read a file or grow without bound.
                using var reader = XmlReader.Create(junitPath, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
                junit = XDocument.Load(reader);
            }
            catch (Exception e) when (e is JsonException or XmlException)
            {
                throw new InvalidOperationException($"{dir}: a report cannot be read: {e.Message}", e);
            }
            var seconds = report["real_seconds"]?.GetValue<double>() ?? 0;
            longest = Math.Max(longest, seconds);
            shards.Add(new JsonObject { ["reports"] = Path.GetFullPath(dir), ["real_seconds"] = seconds });
            var cases = junit.Descendants("testcase").ToList();
            foreach (var scenario in (report["scenarios"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var name = scenario["name"]?.GetValue<string>() ?? "";
                var file = scenario["file"]?.GetValue<string>() ?? "";
                if (!seen.TryAdd(name, dir))
                {
                    throw new InvalidOperationException($"the scenario '{name}' is in the reports of both {seen[name]} and {dir}: the parts overlap (were they run with the same --shard?)");
                }
                if (scenario["artifacts"]?.GetValue<string>() is { } artifacts && Directory.Exists(Path.Combine(dir, name)))
                {
                    scenario["artifacts"] = Path.GetRelativePath(outDir, Path.GetFullPath(Path.Combine(dir, name)));
                }
                var testCase = cases.FirstOrDefault(c => (string?)c.Attribute("name") == name);
                testCase?.Remove();
                entries.Add((file + "\n" + name, (JsonObject)scenario.DeepClone(), testCase));
            }
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var statuses = entries.Select(e => e.Json["status"]?.GetValue<string>() ?? "").ToList();
        var summary = new Summary(
            entries.Count,
            statuses.Count(s => s == "passed"),
            statuses.Count(s => s is not ("passed" or "skipped" or "cancelled")),
            statuses.Count(s => s == "skipped"),
            statuses.Count(s => s == "cancelled"));
        Directory.CreateDirectory(outDir);
        var merged = new JsonObject
        {
            ["tool"] = "poaplab",
            ["passed"] = summary.Passed,
            ["failed"] = summary.Failed,
            ["cancelled"] = summary.Cancelled,
            ["skipped"] = summary.Skipped,
            ["real_seconds"] = longest,
            ["merged_from"] = shards,
            ["scenarios"] = new JsonArray([.. entries.Select(e => (JsonNode?)e.Json)]),
        };
        File.WriteAllText(Path.Combine(outDir, "report.json"), merged.ToJsonString(ReportJson.Options));
        HtmlReport.WriteMerged(merged, outDir);
        WriteJUnit(entries.Select(e => e.TestCase).OfType<XElement>().ToList(), longest, Path.Combine(outDir, "report.junit.xml"));
        return summary;
    }

    private static void WriteJUnit(IReadOnlyList<XElement> cases, double seconds, string path)
    {
        var errors = cases.Count(c => c.Element("error") is not null);
        var failures = cases.Count(c => c.Element("failure") is not null);
        var skipped = cases.Count(c => c.Element("skipped") is not null);
        var time = seconds.ToString("0.000", CultureInfo.InvariantCulture);
        XAttribute[] Counts() =>
        [
            new("tests", cases.Count), new("failures", failures), new("errors", errors), new("skipped", skipped), new("time", time),
        ];
        var doc = new XDocument(new XElement("testsuites", new XAttribute("name", "poaplab"), Counts(),
            new XElement("testsuite", new XAttribute("name", "scenarios"), Counts(), cases)));
        using var w = XmlWriter.Create(path, new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) });
        doc.Save(w);
    }
}
