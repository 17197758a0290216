using PoapLab.Scenarios.Loading;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

public sealed class SchemaCommandTests
{
    [Fact]
    public async Task Schema_NoOptions_PrintsTheRepositorysSchema()
    {
        var r = await CliTestRun.RunAsync("schema");

        r.Exit.ShouldBe(0);
        r.Output.ShouldBe(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "schema", "scenario.schema.json"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Schema_Markdown_PrintsTheKeyReference()
    {
        var r = await CliTestRun.RunAsync("schema", "--markdown");

        r.Output.ShouldBe(ScenarioSchema.KeyReference());
        r.Output.ShouldContain("`discover_tries`");
    }

    [Fact]
    public async Task Schema_OutIsADirectory_Exit2SaysWhy()
    {
        var dir = Directory.CreateTempSubdirectory("poaplab-schema-").FullName;
        try
        {
            var r = await CliTestRun.RunAsync("schema", "--out", dir);

            r.Exit.ShouldBe(2);
            r.Error.ShouldStartWith($"error: --out {dir}:");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
