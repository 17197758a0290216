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
}
