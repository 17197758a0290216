using System.Text.Json;
using System.Xml.Linq;
using PoapLab.Cli;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary><c>poaplab run</c> end to end from the command line, on the real catalogue files.</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-runcmd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<int> Run(params string[] args) => Program.BuildRoot().Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Run_UsersOwnScript_ServedInPlaceOfTheScenarios()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        // The user's script: ours with a marker, and its #md5sum now stale; the run edits the
        // options and recomputes it, as the engineer would before deploying.
        var mine = Path.Combine(_dir, "my_poap.py");
        var text = await File.ReadAllTextAsync(RepoPaths.FixtureScript, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(mine, text.Replace("#!/bin/env python\n", "#!/bin/env python\n# my edits\n", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var outDir = Path.Combine(_dir, "out");

        var exit = await Run("run", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--script", mine, "--out", outDir);

        exit.ShouldBe(0);
        var served = await File.ReadAllTextAsync(Path.Combine(outDir, "happy-path-tftp", "files", "poap_nexus.py"), TestContext.Current.CancellationToken);
        served.ShouldContain("# my edits");
        served.ShouldContain("\"hostname\": \"10.0.0.1\"");
        var junit = XDocument.Load(Path.Combine(outDir, "report.junit.xml"));
        junit.Descendants("testcase").Count().ShouldBe(1);
        junit.Descendants("failure").ShouldBeEmpty();
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"), TestContext.Current.CancellationToken));
        json.RootElement.GetProperty("passed").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task Run_ScriptThatFails_Exit1AndJUnitFailureWithDiagnosis()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var broken = Path.Combine(_dir, "broken.py");
        await File.WriteAllTextAsync(broken, "#!/bin/env python\noptions = {\"hostname\": \"x\"}\nimport sys\nsys.exit(1)\n", TestContext.Current.CancellationToken);
        var outDir = Path.Combine(_dir, "out");

        var exit = await Run("run", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--script", broken, "--out", outDir);

        exit.ShouldBe(1);
        var failure = XDocument.Load(Path.Combine(outDir, "report.junit.xml")).Descendants("failure").Single();
        failure.Attribute("message")!.Value.ShouldContain("expected outcome provisioned, but the switch ended failed");
        failure.Value.ShouldContain("the script exited with 1");
    }

    [Fact]
    public async Task Run_BrokenScenarioFile_ReportedAsErrorWithLine()
    {
        var bad = Path.Combine(_dir, "bad.yaml");
        await File.WriteAllTextAsync(bad, "name: bad\nswitches:\n  - serial: X\n    mac: nope\n", TestContext.Current.CancellationToken);
        var outDir = Path.Combine(_dir, "out");

        (await Run("run", bad, "--out", outDir)).ShouldBe(1);

        var error = XDocument.Load(Path.Combine(outDir, "report.junit.xml")).Descendants("error").Single();
        error.Attribute("message")!.Value.ShouldContain("bad.yaml:4:");
        error.Attribute("message")!.Value.ShouldContain("'mac' must be a MAC address");
    }
}
