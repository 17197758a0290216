using System.Text.Json;
using System.Xml.Linq;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary><c>poaplab run --shard K/N</c> on each part, then <c>poaplab report merge</c>: the same as one run.</summary>
public sealed class ReportCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-shard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Five scenarios: three that pass, one that fails, one that does not load.</summary>
    private async Task<string> CatalogueAsync()
    {
        var dir = Path.Combine(_dir, "scenarios");
        Directory.CreateDirectory(dir);
        var fixtures = Path.GetRelativePath(dir, RepoPaths.Fixtures);
        var text = (await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, "happy-path-http.yaml"), TestContext.Current.CancellationToken))
            .Replace("../fixtures", fixtures, StringComparison.Ordinal);
        foreach (var name in new[] { "a", "b", "c" })
        {
            await File.WriteAllTextAsync(Path.Combine(dir, $"{name}.yaml"), text.Replace("name: happy-path-http", $"name: happy-{name}", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "d.yaml"), text.Replace("name: happy-path-http", "name: wrong-version", StringComparison.Ordinal)
            .Replace("  version: 10.3(6)", "  version: 10.3(7)", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "e.yaml"), "name: broken\nswitches: { nope\n", TestContext.Current.CancellationToken);
        return dir;
    }

    private static async Task<Dictionary<string, string>> StatusesAsync(string outDir)
    {
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "report.json"), TestContext.Current.CancellationToken));
        return json.RootElement.GetProperty("scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("status").GetString()!);
    }

    [Fact]
    public async Task Merge_ThreeShards_SamePassedAndFailedAsOneRun()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        var catalogue = await CatalogueAsync();

        var whole = await CliTestRun.RunAsync("run", catalogue, "--out", Path.Combine(_dir, "whole"));
        var parts = new List<string>();
        var sizes = new List<int>();
        for (var k = 1; k <= 3; k++)
        {
            var part = Path.Combine(_dir, $"part{k}");
            parts.Add(part);
            (await CliTestRun.RunAsync("run", catalogue, "--shard", $"{k}/3", "--out", part)).Exit.ShouldBeOneOf(0, 1);
            sizes.Add((await StatusesAsync(part)).Count);
        }
        var merge = await CliTestRun.RunAsync(["report", "merge", .. parts, "--out", Path.Combine(_dir, "merged")]);

        whole.Exit.ShouldBe(1);
        merge.Exit.ShouldBe(1, merge.Error);
        sizes.ShouldBe([2, 2, 1]);
        var expected = await StatusesAsync(Path.Combine(_dir, "whole"));
        expected.ShouldBe(new Dictionary<string, string> { ["happy-a"] = "passed", ["happy-b"] = "passed", ["happy-c"] = "passed", ["wrong-version"] = "failed", ["e"] = "error" }, ignoreOrder: true);
        (await StatusesAsync(Path.Combine(_dir, "merged"))).ShouldBe(expected, ignoreOrder: true);
        var junit = XDocument.Load(Path.Combine(_dir, "merged", "report.junit.xml"));
        junit.Descendants("testcase").Count().ShouldBe(5);
        junit.Descendants("failure").Count().ShouldBe(1);
        junit.Descendants("error").Count().ShouldBe(1);
        merge.Output.ShouldContain("5 scenario(s) from 3 report(s): 3 passed, 2 failed");
    }

    [Fact]
    public async Task Merge_OutIsOneOfTheParts_Exit2()
    {
        var part = Path.Combine(_dir, "p");
        Directory.CreateDirectory(part);

        var r = await CliTestRun.RunAsync("report", "merge", part, "--out", part);

        r.Exit.ShouldBe(2);
    }

    [Fact]
    public async Task Merge_NotReports_Exit2SaysWhich()
    {
        var part = Path.Combine(_dir, "p");
        Directory.CreateDirectory(part);

        var r = await CliTestRun.RunAsync("report", "merge", part, "--out", Path.Combine(_dir, "m"));

        r.Exit.ShouldBe(2);
        r.Error.ShouldContain($"{part}: no report.json");
    }

    [Theory]
    [InlineData("gitlab-ci.yml", "--shard \"$CI_NODE_INDEX/$CI_NODE_TOTAL\"")]
    [InlineData("github-actions.yml", "--shard ${{ matrix.shard }}/3")]
    public void CiExample_ShardsTheCatalogueAndMergesTheReports(string file, string shard)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "ci", file));
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();

        yaml.Load(new StringReader(text));

        yaml.Documents.Count.ShouldBe(1);
        text.ShouldContain($"poaplab run scenarios/ {shard}");
        text.ShouldContain("poaplab report merge");
        text.ShouldContain("report.junit.xml");
        text.ShouldContain("dotnet tool install --global --add-source artifacts PoapLab");
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("x")]
    public async Task Run_BadShard_Exit2(string shard)
    {
        var r = await CliTestRun.RunAsync("run", RepoPaths.Scenarios, "--shard", shard, "--out", Path.Combine(_dir, "o"));

        r.Exit.ShouldBe(2);
        Directory.Exists(Path.Combine(_dir, "o")).ShouldBeFalse();
    }
}
