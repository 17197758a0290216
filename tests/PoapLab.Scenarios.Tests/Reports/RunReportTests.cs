using System.Collections.Immutable;
using System.Text.Json;
using System.Xml.Linq;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Poap;

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

    private static ScenarioResult Failing(string name)
    {
        var run = new PoapRunResult(PoapOutcome.Failed, [new PoapAttempt(1, 1, PoapPhase.ScriptValidation, false, "stale #md5sum", null)], 0, "9.3(8)", "nxos.9.3.8.bin",
            ImmutableSortedSet.Create(PoapPhase.Boot, PoapPhase.Dhcp, PoapPhase.ScriptDownload, PoapPhase.ScriptValidation), "attempt 1: stale #md5sum");
        var record = new SwitchRunRecord("leaf-101", run, [], [], [], "") { SwitchTime = TimeSpan.FromSeconds(42) };
        var sw = new SwitchResult("leaf-101", record, ["expected 2 POAP attempt(s), saw 1"], Expectations.Diagnose(record));
        return Result(name) with { Switches = [sw], VirtualDuration = TimeSpan.FromSeconds(42) };
    }

    [Fact]
    public async Task WriteAsync_PassedFailedAndError_JUnitCountsAndTexts()
    {
        await RunReport.WriteAsync([Result("good"), Failing("md5"), Result("broken", error: "/s/broken.yaml: the scenario could not run: no such file")],
            _dir, TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        var junit = XDocument.Load(Path.Combine(_dir, "report.junit.xml"));
        var suite = junit.Descendants("testsuite").Single();
        suite.Attribute("tests")!.Value.ShouldBe("3");
        suite.Attribute("failures")!.Value.ShouldBe("1");
        suite.Attribute("errors")!.Value.ShouldBe("1");
        suite.Attribute("skipped")!.Value.ShouldBe("0");
        suite.Attribute("time")!.Value.ShouldBe("3.000");
        var cases = junit.Descendants("testcase").ToDictionary(c => c.Attribute("name")!.Value);
        cases["good"].Element("failure").ShouldBeNull();
        cases["good"].Element("error").ShouldBeNull();
        cases["good"].Attribute("classname")!.Value.ShouldBe("poaplab.s");
        var failure = cases["md5"].Element("failure").ShouldNotBeNull();
        failure.Attribute("message")!.Value.ShouldBe("leaf-101: expected 2 POAP attempt(s), saw 1");
        failure.Value.ShouldContain("leaf-101: POAP failed after 1 attempt(s); it still runs 9.3(8)");
        failure.Value.ShouldContain("attempt 1 (boot 1, stopped at script-validation): stale #md5sum");
        cases["md5"].Element("system-out")!.Value.ShouldContain("scenario span (longest switch clock) 00:00:42");
        cases["broken"].Element("error").ShouldNotBeNull().Attribute("message")!.Value.ShouldBe("/s/broken.yaml: the scenario could not run: no such file");
    }

    [Fact]
    public async Task WriteAsync_FailedScenario_JsonCarriesEachSwitchsAttemptsAndPhases()
    {
        await RunReport.WriteAsync([Result("good"), Failing("md5")], _dir, TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(_dir, "report.json"), TestContext.Current.CancellationToken));
        var root = json.RootElement;
        root.GetProperty("tool").GetString().ShouldBe("poaplab");
        root.GetProperty("passed").GetInt32().ShouldBe(1);
        root.GetProperty("failed").GetInt32().ShouldBe(1);
        var md5 = root.GetProperty("scenarios")[1];
        md5.GetProperty("status").GetString().ShouldBe("failed");
        md5.GetProperty("switch_seconds").GetDouble().ShouldBe(42);
        md5.GetProperty("failures")[0].GetString().ShouldBe("leaf-101: expected 2 POAP attempt(s), saw 1");
        var sw = md5.GetProperty("switches")[0];
        sw.GetProperty("outcome").GetString().ShouldBe("failed");
        sw.GetProperty("phases").EnumerateArray().Select(p => p.GetString()).ShouldBe(["boot", "dhcp", "script-download", "script-validation"]);
        var attempt = sw.GetProperty("attempts")[0];
        attempt.GetProperty("reached").GetString().ShouldBe("script-validation");
        attempt.GetProperty("failure").GetString().ShouldBe("stale #md5sum");
        attempt.GetProperty("script_exit_code").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Theory]
    [InlineData("../../escape")]
    [InlineData("/etc/poaplab-escape")]
    public async Task WriteAsync_HostileScenarioName_OnlyTextInTheReportsNoFileOfThatName(string name)
    {
        await RunReport.WriteAsync([Failing(name)], _dir, TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);

        Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order().ShouldBe(["report.html", "report.json", "report.junit.xml"]);
        XDocument.Load(Path.Combine(_dir, "report.junit.xml")).Descendants("testcase").Single().Attribute("name")!.Value.ShouldBe(name);
        File.Exists("/etc/poaplab-escape").ShouldBeFalse();
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
