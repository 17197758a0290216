using System.Text.RegularExpressions;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Reports;

namespace PoapLab.Scenarios.Tests.Reports;

public sealed class HtmlReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-html-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Render_FailedScenario_DiagnosisAndEvidenceComeFirst()
    {
        var html = HtmlReport.Render(ReportSamples.Run(_dir), _dir, TimeSpan.FromSeconds(3));

        var failures = html.IndexOf("<section id=\"failures\">", StringComparison.Ordinal);
        var diagnosis = html.IndexOf("leaf-102: POAP failed after 1 attempt(s)", StringComparison.Ordinal);
        var evidence = html.IndexOf("Invalid option detected: mode serial", StringComparison.Ordinal);
        var table = html.IndexOf("<section id=\"summary\">", StringComparison.Ordinal);
        failures.ShouldBeGreaterThan(0);
        diagnosis.ShouldBeGreaterThan(failures);
        evidence.ShouldBeGreaterThan(diagnosis);
        table.ShouldBeGreaterThan(evidence);
        // The telling log line is marked, with the file it comes from linked.
        html.ShouldContain("<mark>FDO1 - Invalid option detected: mode serial");
        html.ShouldContain("my-script/leaf-102/script.log");
        html.ShouldContain("href=\"my-script/capture.pcapng\"");
        // The summary table lists the failure first.
        var rows = Regex.Matches(html[table..], "<tr class=\"(ok|bad)\">").Select(m => m.Groups[1].Value).ToList();
        rows.ShouldBe(["bad", "ok"]);
    }

    [Fact]
    public void Render_LintHeadline_HeadsTheFailure()
    {
        var lint = new Dictionary<string, IReadOnlyList<string>> { ["my-script"] = ["out/my-script/files/poap_nexus.py:64:13: error option-mode: mode is \"serial\""] };

        var html = HtmlReport.Render(ReportSamples.Run(_dir), _dir, TimeSpan.FromSeconds(3), lint);

        var headline = html.IndexOf("error option-mode", StringComparison.Ordinal);
        headline.ShouldBeGreaterThan(0);
        headline.ShouldBeLessThan(html.IndexOf("leaf-102: POAP failed", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_ScriptLogsMarkupAndSvgEnd_ShownAsTextOnly()
    {
        var html = HtmlReport.Render(ReportSamples.Run(_dir), _dir, TimeSpan.FromSeconds(3));

        // Attack test: what a script logs never becomes markup — no element, no attribute.
        html.ShouldNotContain("<script", Case.Insensitive);
        html.ShouldNotContain("<img", Case.Insensitive);
        Regex.IsMatch(html, "<[a-z]+[^>]* on[a-z]+=", RegexOptions.IgnoreCase).ShouldBeFalse();
        Regex.Matches(html, "</svg>").Count.ShouldBe(Regex.Matches(html, "<svg ").Count);
        html.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/svg&gt;");
        // Nothing is fetched when the page opens: no external reference, and a policy that forbids one.
        Regex.IsMatch(html, "<[a-z]+[^>]* (src|srcset|data)=", RegexOptions.IgnoreCase).ShouldBeFalse();
        Regex.IsMatch(html, "<(link|iframe|object|embed|base)", RegexOptions.IgnoreCase).ShouldBeFalse();
        html.ShouldNotContain("url(", Case.Insensitive);
        html.ShouldNotContain("@import", Case.Insensitive);
        html.ShouldContain("content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"");
    }

    [Fact]
    public void H_ControlCharactersAndLoneSurrogates_Visible()
    {
        HtmlReport.H("a\0b\u001bc\uD800\"'&").ShouldBe("a\\u0000b\\u001bc\uFFFD&quot;&#39;&amp;");
    }

    [Fact]
    public void Render_ThousandSwitchesWithManyCliCalls_BoundedAndSaysSo()
    {
        var switches = Enumerable.Range(0, 1000)
            .Select(i => ReportSamples.Switch($"leaf-{i}", failed: i % 2 == 0, i % 2 == 0 ? ReportSamples.FailedEvents($"leaf-{i}") : ReportSamples.HappyEvents($"leaf-{i}", cliCalls: 2_000)))
            .ToArray();
        var result = ReportSamples.Scenario("fleet", _dir, switches);

        var html = HtmlReport.Render([result], _dir, TimeSpan.FromSeconds(60));

        html.Length.ShouldBeLessThan(8 << 20);
        html.ShouldContain("more failing switch(es) are not detailed here");
        html.ShouldContain(HtmlReport.MaxTimelines + " of 1000 switch timelines are drawn");
        html.ShouldContain("1000 switch(es)");
    }

    [Fact]
    public void Render_ManifestOfImagesNotKept_Listed()
    {
        var results = ReportSamples.Run(_dir);
        ArtifactManifest.Write(results[0].OutputDirectory, [new ManifestEntry("files/images/nxos64-cs.10.3.6.M.bin", 8 << 20, "0123456789abcdef0123456789abcdef", "a generated image, not kept")]);

        var html = HtmlReport.Render(results, _dir, TimeSpan.FromSeconds(3));

        html.ShouldContain("Files not kept");
        html.ShouldContain("files/images/nxos64-cs.10.3.6.M.bin");
        html.ShouldContain("0123456789abcdef0123456789abcdef");
        html.ShouldContain("8.0 MiB");
    }

    [Fact]
    public async Task WriteAsync_Run_WritesReportHtmlBesideJsonAndJUnit()
    {
        await RunReport.WriteAsync(ReportSamples.Run(_dir), _dir, TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        File.Exists(Path.Combine(_dir, HtmlReport.FileName)).ShouldBeTrue();
        File.Exists(Path.Combine(_dir, "report.json")).ShouldBeTrue();
        File.Exists(Path.Combine(_dir, "report.junit.xml")).ShouldBeTrue();
    }

    [Fact]
    public void Render_EveryLane_DrawnFromTheSwitchsOwnEvents()
    {
        var svg = TimelineSvg.Render(ReportSamples.HappyEvents("leaf"), TimeSpan.FromMinutes(4));

        foreach (var lane in new[] { "dhcp", "scriptdownload", "scriptrun", "transfer", "reload", "replay" })
        {
            svg.ShouldContain($"class=\"span {lane}\"");
        }
        Regex.Matches(svg, "class=\"cli\"").Count.ShouldBe(6);
        svg.ShouldContain("<line class=\"attempt\"");
        // The axis is switch time: the three-minute reload is on it.
        svg.ShouldContain(">3m00s<");
    }

    [Fact]
    public void Render_MoreCliCallsThanShapes_MergedAndSaysSo()
    {
        var events = ReportSamples.HappyEvents("leaf", cliCalls: 5_000);

        var svg = TimelineSvg.Render(events, TimeSpan.FromMinutes(4));

        Regex.Matches(svg, "<(rect|line|path) ").Count.ShouldBeLessThan(TimelineSvg.MaxShapes + 100);
        svg.ShouldContain("merged to fit the picture");
    }

    [Fact]
    public void Render_NoEvents_StillAPicture()
    {
        var svg = TimelineSvg.Render(Array.Empty<LabEvent>(), TimeSpan.Zero);

        svg.ShouldStartWith("<svg ");
        svg.ShouldEndWith("</svg>");
    }

    [Fact]
    public void Render_FolderOfThisRun_ListedInFooter()
    {
        var results = ReportSamples.Run(_dir);
        Directory.CreateDirectory(Path.Combine(_dir, "users-own-folder"));

        var html = HtmlReport.Render(results, _dir, TimeSpan.FromSeconds(3));

        var footer = html[html.IndexOf("<footer>", StringComparison.Ordinal)..];
        footer.ShouldContain(">happy-path-tftp<");
        footer.ShouldContain(">my-script<");
        footer.ShouldNotContain("users-own-folder");
    }
}
