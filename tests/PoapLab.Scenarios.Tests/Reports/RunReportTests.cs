using System.Text.Json;
using System.Xml.Linq;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Reports;

public sealed class RunReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ScenarioResult Result(string name, string? error = null, bool cancelled = false) =>
        new(new Scenario { Name = name, FilePath = "/s/" + name + ".yaml", Switches = [], Servers = new ServersModel() }, [], [], TimeSpan.Zero, TimeSpan.Zero, "/out/" + name, error) { Cancelled = cancelled };

    [Fact]
    public async Task WriteAsync_ControlCharactersAndLoneSurrogates_ReportsStillParse()
    {
        var nasty = "a\0b\u0001c\uD800d\uFFFEe";

        await RunReport.WriteAsync([Result(nasty, error: "bad " + nasty)], _dir, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var junit = XDocument.Load(Path.Combine(_dir, "report.junit.xml"));
        junit.Descendants("testcase").Single().Attribute("name")!.Value.ShouldBe("a\\u0000b\\u0001c\\ud800d\\ufffee");
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "report.json"), TestContext.Current.CancellationToken));
        json.RootElement.GetProperty("scenarios")[0].GetProperty("name").GetString().ShouldBe("a\0b\u0001c\uFFFDd\uFFFEe");
    }

    [Fact]
    public async Task WriteAsync_CancelledScenario_SkippedInJUnitAndStatusInJson()
    {
        await RunReport.WriteAsync([Result("done"), Result("stopped", cancelled: true)], _dir, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var junit = XDocument.Load(Path.Combine(_dir, "report.junit.xml"));
        var skipped = junit.Descendants("skipped").Single();
        skipped.Attribute("message")!.Value.ShouldBe("cancelled");
        skipped.Parent!.Attribute("name")!.Value.ShouldBe("stopped");
        junit.Descendants("testsuite").Single().Attribute("skipped")!.Value.ShouldBe("1");
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "report.json"), TestContext.Current.CancellationToken));
        json.RootElement.GetProperty("cancelled").GetInt32().ShouldBe(1);
        json.RootElement.GetProperty("scenarios")[1].GetProperty("status").GetString().ShouldBe("cancelled");
        json.RootElement.GetProperty("scenarios")[0].GetProperty("status").GetString().ShouldBe("passed");
    }

    [Fact]
    public async Task WriteAsync_SkippedScenario_SkippedWithItsReasonNeitherPassedNorFailed()
    {
        var reason = "virtual transport only: it counts datagrams in switch time";
        var skippedResult = ScenarioResult.SkippedBecause(Result("lossy").Scenario, "/out/lossy", reason);

        await RunReport.WriteAsync([Result("done"), skippedResult], _dir, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var junit = XDocument.Load(Path.Combine(_dir, "report.junit.xml"));
        var skipped = junit.Descendants("skipped").Single();
        skipped.Attribute("message")!.Value.ShouldBe(reason);
        skipped.Parent!.Attribute("name")!.Value.ShouldBe("lossy");
        junit.Descendants("testsuite").Single().Attribute("failures")!.Value.ShouldBe("0");
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "report.json"), TestContext.Current.CancellationToken));
        json.RootElement.GetProperty("skipped").GetInt32().ShouldBe(1);
        json.RootElement.GetProperty("failed").GetInt32().ShouldBe(0);
        json.RootElement.GetProperty("passed").GetInt32().ShouldBe(1);
        var entry = json.RootElement.GetProperty("scenarios")[1];
        entry.GetProperty("status").GetString().ShouldBe("skipped");
        entry.GetProperty("skipped").GetString().ShouldBe(reason);
        entry.GetProperty("failures").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task WriteAsync_SkippedReasonWithMarkupAndControlCharacters_ReportsStillParse()
    {
        // A reason reaches the reports from a scenario file (untrusted): escaped, never markup.
        var reason = "a\"<b>&\u0001c";

        await RunReport.WriteAsync([ScenarioResult.SkippedBecause(Result("x").Scenario, "/out/x", reason)], _dir, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        var junit = XDocument.Load(Path.Combine(_dir, "report.junit.xml"));
        junit.Descendants("skipped").Single().Attribute("message")!.Value.ShouldBe("a\"<b>&\\u0001c");
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "report.json"), TestContext.Current.CancellationToken));
        json.RootElement.GetProperty("scenarios")[0].GetProperty("skipped").GetString().ShouldBe(reason);
    }
}
