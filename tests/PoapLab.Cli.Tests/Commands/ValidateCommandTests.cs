using PoapLab.Cli;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-validate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<int> Run(params string[] args) => Program.BuildRoot().Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Validate_BrokenScenario_Exit1()
    {
        var path = Path.Combine(_dir, "broken.yaml");
        await File.WriteAllTextAsync(path, "name: x\nswitches: 3\n", TestContext.Current.CancellationToken);
        (await Run("validate", path)).ShouldBe(1);
    }

    [Fact]
    public async Task Validate_Catalogue_Exit0()
    {
        (await Run("validate", RepoPaths.Scenarios)).ShouldBe(0);
    }

    [Fact]
    public async Task Run_NoSuchPath_Exit2() => (await Run("run", Path.Combine(_dir, "nope"), "--out", Path.Combine(_dir, "out"))).ShouldBe(2);
}
