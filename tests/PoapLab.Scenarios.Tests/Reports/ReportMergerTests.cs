using System.Text.Json.Nodes;
using System.Xml.Linq;
using PoapLab.Scenarios.Reports;

namespace PoapLab.Scenarios.Tests.Reports;

public sealed class ReportMergerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-merge-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Part(string name, double seconds, params (string Name, string Status)[] scenarios)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        var json = new JsonObject
        {
            ["tool"] = "poaplab",
            ["real_seconds"] = seconds,
            ["scenarios"] = new JsonArray([.. scenarios.Select(s => (JsonNode?)new JsonObject
            {
                ["name"] = s.Name,
                ["file"] = $"/repo/scenarios/{s.Name}.yaml",
                ["status"] = s.Status,
                ["passed"] = s.Status == "passed",
                ["artifacts"] = $"/runner/out/{s.Name}",
                ["extra"] = "kept",
            })]),
        };
        File.WriteAllText(Path.Combine(dir, "report.json"), json.ToJsonString());
        var cases = scenarios.Select(s => new XElement("testcase", new XAttribute("name", s.Name),
            s.Status switch
            {
                "failed" => new XElement("failure", new XAttribute("message", "x")),
                "error" => new XElement("error", new XAttribute("message", "x")),
                "skipped" => new XElement("skipped", new XAttribute("message", "x")),
                _ => null,
            }));
        new XDocument(new XElement("testsuites", new XElement("testsuite", cases))).Save(Path.Combine(dir, "report.junit.xml"));
        Directory.CreateDirectory(Path.Combine(dir, scenarios.FirstOrDefault().Name ?? "none"));
        return dir;
    }

    [Fact]
    public void Merge_ThreeParts_OneReportOrderedByFileWithSummedCounts()
    {
        var a = Part("a", 10, ("s3", "passed"), ("s6", "failed"));
        var b = Part("b", 12, ("s1", "passed"), ("s4", "error"));
        var c = Part("c", 7, ("s2", "skipped"), ("s5", "passed"));
        var outDir = Path.Combine(_dir, "merged");

        var summary = ReportMerger.Merge([a, b, c], outDir);

        summary.ShouldBe(new ReportMerger.Summary(6, 3, 2, 1, 0));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "report.json")))!;
        json["scenarios"]!.AsArray().Select(s => (string)s!["name"]!).ShouldBe(["s1", "s2", "s3", "s4", "s5", "s6"]);
        ((int)json["passed"]!).ShouldBe(3);
        ((int)json["failed"]!).ShouldBe(2);
        ((double)json["real_seconds"]!).ShouldBe(12);
        ((string)json["scenarios"]![0]!["extra"]!).ShouldBe("kept");
        ((string)json["scenarios"]![0]!["artifacts"]!).ShouldBe(Path.Combine("..", "b", "s1"));
        var junit = XDocument.Load(Path.Combine(outDir, "report.junit.xml"));
        junit.Descendants("testcase").Select(t => (string)t.Attribute("name")!).ShouldBe(["s1", "s2", "s3", "s4", "s5", "s6"]);
        var suite = junit.Root!.Element("testsuite")!;
        ((int)suite.Attribute("tests")!).ShouldBe(6);
        ((int)suite.Attribute("failures")!).ShouldBe(1);
        ((int)suite.Attribute("errors")!).ShouldBe(1);
        ((int)suite.Attribute("skipped")!).ShouldBe(1);
    }

    [Fact]
    public void Merge_OverlappingParts_Refused()
    {
        var a = Part("a", 1, ("s1", "passed"));
        var b = Part("b", 1, ("s1", "passed"));

        Should.Throw<InvalidOperationException>(() => ReportMerger.Merge([a, b], Path.Combine(_dir, "m"))).Message.ShouldContain("overlap");
    }

    [Fact]
    public void Merge_FolderWithoutReports_Refused()
    {
        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);

        Should.Throw<InvalidOperationException>(() => ReportMerger.Merge([empty], Path.Combine(_dir, "m"))).Message.ShouldContain("no report.json");
    }

    [Fact]
    public void Merge_HugeReport_RefusedUnread()
    {
        var dir = Path.Combine(_dir, "huge");
        Directory.CreateDirectory(dir);
        using (var f = File.Create(Path.Combine(dir, "report.json")))
        {
            f.SetLength(ReportMerger.MaxReportBytes + 1);
        }
        File.WriteAllText(Path.Combine(dir, "report.junit.xml"), "<testsuites/>");

        Should.Throw<InvalidOperationException>(() => ReportMerger.Merge([dir], Path.Combine(_dir, "m"))).Message.ShouldContain("larger than");
    }

    [Fact]
    public void Merge_HostileReport_RefusedWithClearError()
    {
        var dir = Path.Combine(_dir, "hostile");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "report.json"), "{\"scenarios\": []}");
        File.WriteAllText(Path.Combine(dir, "report.junit.xml"), "<!DOCTYPE x [<!ENTITY a SYSTEM \"file:///etc/shadow\">]><x>&a;</x>");

        Should.Throw<InvalidOperationException>(() => ReportMerger.Merge([dir], Path.Combine(_dir, "m"))).Message.ShouldContain("cannot be read");
    }

    private static void Failing(string part, string scenario, string switchName, string diagnosis, string unmet)
    {
        var path = Path.Combine(part, "report.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var entry = json["scenarios"]!.AsArray().OfType<JsonObject>().Single(s => (string)s["name"]! == scenario);
        entry["artifacts"] = Path.Combine(part, scenario);
        entry["lint"] = new JsonArray("poap.py:3:1: error option-mode: <b>bold</b>");
        entry["switches"] = new JsonArray(new JsonObject
        {
            ["name"] = switchName,
            ["passed"] = false,
            ["outcome"] = "failed",
            ["version"] = "9.3(8)",
            ["switch_seconds"] = 54.0,
            ["attempts"] = new JsonArray(new JsonObject { ["number"] = 1 }, new JsonObject { ["number"] = 2 }),
            ["diagnosis"] = diagnosis,
            ["failures"] = new JsonArray(unmet),
        });
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void Merge_FailingPart_ReportHtmlFailureFirstLinkedToItsPartAndEveryTextEscaped()
    {
        var a = Part("a", 10, ("s1", "passed"), ("s3", "passed"));
        var b = Part("b", 12, ("s2", "failed"));
        Failing(b, "s2", "leaf-<i>2</i>", "leaf-2: POAP failed</pre><script>alert(1)</script>", "expected outcome provisioned & more");
        var outDir = Path.Combine(_dir, "merged");

        ReportMerger.Merge([a, b], outDir);

        var html = File.ReadAllText(Path.Combine(outDir, HtmlReport.FileName));
        var main = html.IndexOf("<main>", StringComparison.Ordinal);
        html[html.IndexOf("<section", main, StringComparison.Ordinal)..].ShouldStartWith("<section id=\"failures\">");
        html.IndexOf("error option-mode", StringComparison.Ordinal).ShouldBeLessThan(html.IndexOf("leaf-2: POAP failed", StringComparison.Ordinal));
        html.IndexOf("leaf-2: POAP failed", StringComparison.Ordinal).ShouldBeLessThan(html.IndexOf("<section id=\"summary\">", StringComparison.Ordinal));
        html.ShouldNotContain("<script", Case.Insensitive);
        html.ShouldNotContain("<b>bold</b>");
        html.ShouldContain("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
        html.ShouldContain("leaf-&lt;i&gt;2&lt;/i&gt;");
        html.ShouldContain("provisioned &amp; more");
        // Each failure links to its part's own page (timelines, evidence), relative to the merged folder.
        html.ShouldContain("href=\"../b/report.html#fail-s2\"");
        html.ShouldContain("href=\"../b/s2/\"");
        html.ShouldContain("href=\"../a/report.html\"");
        html.ShouldContain("<b>2</b> passed · <b>1</b> failed");
    }

    [Fact]
    public void Merge_AllPassed_ReportHtmlSaysNoFailures()
    {
        var a = Part("a", 10, ("s1", "passed"));
        var b = Part("b", 12, ("s2", "skipped"));
        var outDir = Path.Combine(_dir, "merged");

        ReportMerger.Merge([a, b], outDir);

        var html = File.ReadAllText(Path.Combine(outDir, HtmlReport.FileName));
        html.ShouldContain("<section id=\"failures\" class=\"none\">");
        html.ShouldContain("<td>s1</td>");
        html.ShouldContain("<td>s2</td>");
    }

    [Fact]
    public void Merge_HostileNumbers_PageStillWritten()
    {
        var a = Part("a", 1e300, ("s1", "failed"));
        Failing(a, "s1", "leaf-1", "d", "u");
        var path = Path.Combine(a, "report.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["scenarios"]![0]!["switches"]![0]!["switch_seconds"] = 1e300;
        json["scenarios"]![0]!["real_seconds"] = -5;
        File.WriteAllText(path, json.ToJsonString());

        ReportMerger.Merge([a], Path.Combine(_dir, "merged"));

        File.ReadAllText(Path.Combine(_dir, "merged", HtmlReport.FileName)).ShouldContain("leaf-1");
    }
}
