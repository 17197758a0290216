using System.CommandLine;
using System.Xml.Linq;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>What <c>poaplab run</c> prints and where: lint first, -q/-v, stderr, no wrapping or escape codes off a terminal, the clean output folder.</summary>
public sealed class RunCommandOutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-runout-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        _out.Dispose();
        _err.Dispose();
    }

    private Task<int> Run(params string[] args) =>
        Program.BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = _out, Error = _err }, TestContext.Current.CancellationToken);

    private static string Tftp => Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml");

    [Fact]
    public async Task Run_UsersScriptWithABadOption_LintFindingHeadsTheFailure()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var bad = Path.Combine(_dir, "bad.py");
        var text = await File.ReadAllTextAsync(RepoPaths.FixtureScript, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(bad, text.Replace("\"mode\": \"serial_number\"", "\"mode\": \"serial\"", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var outDir = Path.Combine(_dir, "out");

        (await Run("run", Tftp, "--script", bad, "--out", outDir)).ShouldBe(1);

        var lines = _out.ToString().Split('\n');
        var fail = Array.FindIndex(lines, l => l.StartsWith("FAIL happy-path-tftp", StringComparison.Ordinal));
        fail.ShouldBeGreaterThanOrEqualTo(0);
        // The finding, one unwrapped line with its file:line:col, right under the FAIL line.
        lines[fail + 1].ShouldMatch(@"^\s+\S+/happy-path-tftp/files/poap_nexus\.py:\d+:\d+: error option-mode: mode is ""serial"".*did you mean ""serial_number""");
        _out.ToString().ShouldNotContain("\u001b[");
        _err.ToString().ShouldContain("lint: ");
        _err.ToString().ShouldContain("error option-mode");
        var failure = XDocument.Load(Path.Combine(outDir, "report.junit.xml")).Descendants("failure").Single();
        failure.Attribute("message")!.Value.ShouldStartWith(Path.Combine(outDir, "happy-path-tftp", "files", "poap_nexus.py"));
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"), TestContext.Current.CancellationToken);
        html.IndexOf("error option-mode", StringComparison.Ordinal).ShouldBeLessThan(html.IndexOf("POAP failed after", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_Quiet_OnlyTheSummary()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");

        (await Run("run", Tftp, "--out", Path.Combine(_dir, "out"), "-q")).ShouldBe(0);

        var lines = _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1);
        lines[0].ShouldStartWith("1 passed, 0 failed");
        lines[0].ShouldContain("report.html");
    }

    [Fact]
    public async Task Run_Verbose_EveryEventOnTheSwitchClock()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");

        (await Run("run", Tftp, "--out", Path.Combine(_dir, "out"), "-v")).ShouldBe(0);

        var text = _out.ToString();
        text.ShouldMatch(@"happy-path-tftp/leaf-101  00:00:00\.\d{3}  switch:leaf-101  poap\.dhcp\.discover: ");
        text.ShouldContain("switch.reload: ");
        text.ShouldContain("PASS happy-path-tftp");
    }

    [Fact]
    public async Task Run_BrokenScenarioAndBadOption_ErrorsOnStderrNotStdout()
    {
        var bad = Path.Combine(_dir, "bad.yaml");
        await File.WriteAllTextAsync(bad, "name: bad\nswitches:\n  - serial: X\n    mac: nope\n", TestContext.Current.CancellationToken);

        (await Run("run", bad, "--out", Path.Combine(_dir, "out"))).ShouldBe(1);
        (await Run("run", bad, "--out", Path.Combine(_dir, "out2"), "--parallel", "0")).ShouldBe(2);

        _err.ToString().ShouldContain("bad.yaml:4:");
        _err.ToString().ShouldContain("--parallel must be at least 1");
        _out.ToString().ShouldNotContain("bad.yaml:4:");
    }

    [Fact]
    public async Task Run_IntoTheOutputOfAnEarlierRun_ItsFoldersGoUsersFilesStay()
    {
        var outDir = Path.Combine(_dir, "out");
        var scenarios = Directory.CreateDirectory(Path.Combine(_dir, "s")).FullName;
        await File.WriteAllTextAsync(Path.Combine(scenarios, "a.yaml"), "name: a\nswitches:\n  - serial: X\n    mac: nope\n", TestContext.Current.CancellationToken);
        Directory.CreateDirectory(outDir);
        await File.WriteAllTextAsync(Path.Combine(outDir, ".poaplab-out"), "", TestContext.Current.CancellationToken);
        var earlier = Directory.CreateDirectory(Path.Combine(outDir, "earlier-scenario")).FullName;
        await File.WriteAllTextAsync(Path.Combine(earlier, ".poaplab-scenario"), "", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(outDir, "mine.txt"), "keep", TestContext.Current.CancellationToken);

        await Run("run", scenarios, "--out", outDir);

        Directory.Exists(earlier).ShouldBeFalse();
        File.Exists(Path.Combine(outDir, "mine.txt")).ShouldBeTrue();
        _out.ToString().ShouldContain("removed 1 folder(s) an earlier run wrote (earlier-scenario)");
    }
}
