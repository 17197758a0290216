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

    private const string Minimal = """
        name: NAME
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp:
            address: 10.0.0.1
            subnet: 10.0.0.0/24
            bootfile: poap.py
            tftp_server_address: 10.0.0.1
            lease: LEASE
        """;

    private static string Scenario(string name, string lease = "1d") =>
        Minimal.Replace("NAME", name, StringComparison.Ordinal).Replace("LEASE", lease, StringComparison.Ordinal);

    [Fact]
    public async Task Run_DirectoryWithOverflowingLeaseAndNulName_EveryFileReportedNoCrash()
    {
        var dir = Path.Combine(_dir, "scenarios");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "a-lease.yaml"), Scenario("a-lease", "20000000d"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "b-nul.yaml"), Scenario("\"b\\0nul\""), TestContext.Current.CancellationToken);
        var outDir = Path.Combine(_dir, "out");

        (await Run("run", dir, "--out", outDir)).ShouldBe(1);

        var errors = XDocument.Load(Path.Combine(outDir, "report.junit.xml")).Descendants("error").Select(e => e.Attribute("message")!.Value).ToList();
        errors.Count.ShouldBe(2);
        errors[0].ShouldContain("a-lease.yaml:12:");
        errors[0].ShouldContain("'lease' must be a duration from 1s to 3650d");
        errors[1].ShouldContain("b-nul.yaml:1:");
        errors[1].ShouldContain("\\u0000");
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(outDir, "report.json"), TestContext.Current.CancellationToken));
        json.RootElement.GetProperty("failed").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task Run_ScenarioNamedDotDot_RefusedParentOfOutUntouched()
    {
        var parent = Path.Combine(_dir, "parent");
        Directory.CreateDirectory(parent);
        var canary = Path.Combine(parent, "canary.txt");
        await File.WriteAllTextAsync(canary, "keep", TestContext.Current.CancellationToken);
        var file = Path.Combine(_dir, "dotdot.yaml");
        await File.WriteAllTextAsync(file, Scenario(".."), TestContext.Current.CancellationToken);

        (await Run("run", file, "--out", Path.Combine(parent, "out"))).ShouldBe(1);

        File.ReadAllText(canary).ShouldBe("keep");
        XDocument.Load(Path.Combine(parent, "out", "report.junit.xml")).Descendants("error").Single().Attribute("message")!.Value.ShouldContain("dotdot.yaml:1:7");
    }

    [Fact]
    public async Task Run_OutIsANonEmptyForeignDirectory_Exit2NothingWrittenOrDeleted()
    {
        var foreign = Path.Combine(_dir, "home");
        Directory.CreateDirectory(Path.Combine(foreign, "bad"));
        await File.WriteAllTextAsync(Path.Combine(foreign, "bad", "keep.txt"), "keep", TestContext.Current.CancellationToken);
        var file = Path.Combine(_dir, "bad.yaml");
        await File.WriteAllTextAsync(file, Scenario("bad", "0s"), TestContext.Current.CancellationToken);

        (await Run("run", file, "--out", foreign)).ShouldBe(2);

        Directory.EnumerateFileSystemEntries(foreign, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .ShouldBe([Path.Combine(foreign, "bad"), Path.Combine(foreign, "bad", "keep.txt")]);
    }

    [Fact]
    public async Task Run_OutIsTheRoot_Exit2() =>
        (await Run("run", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--out", "/")).ShouldBe(2);

    [Fact]
    public async Task Run_TwoScenariosOneName_SecondIsAnErrorNamingBothFiles()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var dir = Path.Combine(_dir, "twins");
        Directory.CreateDirectory(dir);
        var happy = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), TestContext.Current.CancellationToken))
            .Replace("../fixtures/", RepoPaths.Fixtures + "/", StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(dir, "one.yaml"), happy, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "two.yaml"), happy, TestContext.Current.CancellationToken);
        var outDir = Path.Combine(_dir, "out");

        (await Run("run", dir, "--out", outDir)).ShouldBe(1);

        var junit = XDocument.Load(Path.Combine(outDir, "report.junit.xml"));
        junit.Descendants("testcase").Count().ShouldBe(2);
        var error = junit.Descendants("error").Single().Attribute("message")!.Value;
        error.ShouldContain(Path.Combine(dir, "one.yaml"));
        error.ShouldContain(Path.Combine(dir, "two.yaml"));
    }
}
