using System.Diagnostics;
using PoapLab.Scenarios.Reports;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Reports;

/// <summary>
/// report.html as a browser shows it: headless Chromium (Debian's <c>chromium</c>) renders it,
/// the DOM it built is checked, and any console line (a script that ran or was blocked by the
/// page's policy, a resource it tried to fetch) fails the test. The rendered page is kept as a
/// PNG beside the report, under the test's output folder (<c>bin/.../report-render/</c>).
/// </summary>
public sealed class HtmlReportBrowserTests
{
    private static readonly string Out = Path.Combine(AppContext.BaseDirectory, "report-render");

    [Fact]
    public async Task Chromium_FailedRun_ShowsTheDiagnosisFirstWithNoConsoleMessage()
    {
        var chromium = Requires.Tool("chromium", "apt-get install chromium");
        if (Directory.Exists(Out))
        {
            Directory.Delete(Out, recursive: true);
        }
        Directory.CreateDirectory(Out);
        var lint = new Dictionary<string, IReadOnlyList<string>> { ["my-script"] = ["out/my-script/files/poap_nexus.py:64:13: error option-mode: mode is \"serial\", not one of serial_number, mac, hostname, location, raw, personality"] };
        await RunReport.WriteAsync(ReportSamples.Run(Out), Out, TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken, lint);
        var report = Path.Combine(Out, HtmlReport.FileName);
        var png = Path.Combine(Out, "report.png");

        var (dom, log) = await ChromiumAsync(chromium, ["--dump-dom", new Uri(report).AbsoluteUri], TestContext.Current.CancellationToken);
        await ChromiumAsync(chromium, [$"--screenshot={png}", "--window-size=1280,1500", new Uri(report).AbsoluteUri], TestContext.Current.CancellationToken);

        // What the browser built: the failure first (its lint headline, then the diagnosis), the hostile text as text.
        var main = dom.IndexOf("<main>", StringComparison.Ordinal);
        main.ShouldBeGreaterThan(0);
        var first = dom.IndexOf("<section", main, StringComparison.Ordinal);
        dom[first..].ShouldStartWith("<section id=\"failures\">");
        var headline = dom.IndexOf("error option-mode", StringComparison.Ordinal);
        headline.ShouldBeGreaterThan(first);
        headline.ShouldBeLessThan(dom.IndexOf("leaf-102: POAP failed", StringComparison.Ordinal));
        dom.ShouldNotContain("<script", Case.Insensitive);
        dom.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/svg&gt;");
        dom.ShouldContain("<svg class=\"tl\"");
        log.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ShouldBeEmpty();
        new FileInfo(png).Length.ShouldBeGreaterThan(10_000);
    }

    [Fact]
    public async Task Chromium_MergedRun_ShowsTheFailureFirstWithNoConsoleMessage()
    {
        var chromium = Requires.Tool("chromium", "apt-get install chromium");
        var root = Directory.CreateTempSubdirectory("poaplab-merged-render-").FullName;
        try
        {
            var part = Path.Combine(root, "out-1");
            await RunReport.WriteAsync(ReportSamples.Run(part), part, TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
            var merged = Path.Combine(root, "report");
            ReportMerger.Merge([part], merged);
            var report = Path.Combine(merged, HtmlReport.FileName);

            var (dom, log) = await ChromiumAsync(chromium, ["--dump-dom", new Uri(report).AbsoluteUri], TestContext.Current.CancellationToken);

            var main = dom.IndexOf("<main>", StringComparison.Ordinal);
            main.ShouldBeGreaterThan(0);
            dom[dom.IndexOf("<section", main, StringComparison.Ordinal)..].ShouldStartWith("<section id=\"failures\">");
            dom.ShouldContain("leaf-102: POAP failed");
            dom.ShouldContain("href=\"../out-1/report.html#fail-");
            dom.ShouldNotContain("<script", Case.Insensitive);
            log.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ShouldBeEmpty();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs headless Chromium with its own throw-away profile; at most 60 s, then it is killed (by its pid).</summary>
    internal static async Task<(string Stdout, string Stderr)> ChromiumAsync(string chromium, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var profile = Directory.CreateTempSubdirectory("poaplab-chromium-");
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                "--enable-logging=stderr", "--v=0", $"--user-data-dir={profile.FullName}" }.Concat(args))
            {
                start.ArgumentList.Add(a);
            }
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            return (await stdout, await stderr);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
