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

    [Fact]
    public async Task Validate_TwoFilesOneName_Exit1()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Scenarios, "config-missing.yaml"), TestContext.Current.CancellationToken);
        var dir = Path.Combine(_dir, "twins");
        Directory.CreateDirectory(dir);
        var fixtures = Path.GetRelativePath(dir, RepoPaths.Fixtures);
        await File.WriteAllTextAsync(Path.Combine(dir, "a.yaml"), text.Replace("../fixtures", fixtures, StringComparison.Ordinal), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir, "b.yaml"), text.Replace("../fixtures", fixtures, StringComparison.Ordinal), TestContext.Current.CancellationToken);

        (await Run("validate", Path.Combine(dir, "a.yaml"))).ShouldBe(0);
        (await Run("validate", dir)).ShouldBe(1);
    }

    [Fact]
    public async Task Validate_FifoNamedLikeAScenario_Exit1NoHang()
    {
        var fifo = Path.Combine(_dir, "pipe.yaml");
        using (var p = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            p.WaitForExit(10_000).ShouldBeTrue();
        }

        (await Run("validate", _dir).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken)).ShouldBe(1);
    }
}
