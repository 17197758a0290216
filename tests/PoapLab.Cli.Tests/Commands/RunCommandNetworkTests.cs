using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary><c>poaplab run --network virtual|namespace</c>, run as the user runs it (the built poaplab in a child process).</summary>
[Collection(LoadSensitive.Name)]
public sealed class RunCommandNetworkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-runnet-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void RequireNamespaces()
    {
        Requires.That(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "root on Linux (network namespaces)");
        Requires.Tool("ip", "apt-get install iproute2");
        Requires.Tool("unshare", "apt-get install util-linux");
        Requires.Tool("nsenter", "apt-get install util-linux");
        Requires.Tool("bwrap", "apt-get install bubblewrap");
    }

    /// <summary>A scenario folder of copies of catalogue files, their relative paths made absolute.</summary>
    private async Task<string> ScenarioFolderAsync(params string[] files)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "scenarios")).FullName;
        foreach (var file in files)
        {
            var text = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, file), Ct))
                .Replace("script: ../../fixtures/", $"script: {RepoPaths.Fixtures}/", StringComparison.Ordinal)
                .Replace("script: ../fixtures/", $"script: {RepoPaths.Fixtures}/", StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(folder, Path.GetFileName(file)), text, Ct);
        }
        return folder;
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("Namespace")]
    [InlineData("virtual;rm -rf /")]
    public async Task Run_UnknownNetwork_RefusedNamingTheAllowedValuesAndNothingRun(string network)
    {
        var outDir = Path.Combine(_dir, "out");

        var (exit, output) = await ProgramTests.RunPoaplabAsync(["run", Path.Combine(RepoPaths.Scenarios, "happy-path-http.yaml"), "--network", network, "--out", outDir], TimeSpan.FromMinutes(2));

        exit.ShouldNotBe(0);
        output.ShouldContain("virtual");
        output.ShouldContain("namespace");
        output.ShouldContain(network);
        Directory.Exists(outDir).ShouldBeFalse();
    }

    [Fact]
    public async Task Run_NetworkNamespaceAsRoot_ScenarioPassesAndAVirtualOnlyScenarioIsSkippedWithItsReason()
    {
        RequireNamespaces();
        var folder = await ScenarioFolderAsync("happy-path-http.yaml", Path.Combine("catalogue", "fault-tftp-loss-30pct.yaml"));
        var outDir = Path.Combine(_dir, "out");

        var (exit, printed) = await ProgramTests.RunPoaplabAsync(["run", folder, "--network", "namespace", "--out", outDir], TimeSpan.FromMinutes(5));
        // The console's colours and its wrapping at the terminal's width are not the text.
        var output = Regex.Replace(Regex.Replace(printed, "\x1b\\[[0-9;]*m", ""), "\\s+", " ");

        exit.ShouldBe(0, output);
        output.ShouldContain("namespace network");
        output.ShouldContain("PASS happy-path-http", customMessage: printed);
        output.ShouldContain("SKIP fault-tftp-loss-30pct");
        output.ShouldContain("virtual transport only: it pins which datagrams a seeded 30%");
        output.ShouldContain("1 passed, 0 failed, 1 skipped");
        File.Exists(Path.Combine(outDir, "happy-path-http", "capture.pcapng")).ShouldBeTrue();
        XDocument.Load(Path.Combine(outDir, "report.junit.xml")).Descendants("skipped").Single().Attribute("message")!.Value.ShouldStartWith("virtual transport only:");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"), Ct));
        json.RootElement.GetProperty("skipped").GetInt32().ShouldBe(1);
    }
}
