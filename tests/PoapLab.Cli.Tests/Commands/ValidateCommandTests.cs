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
    public async Task Validate_ThreeErrors_ListsAllThreeWithFileLineAndColumn()
    {
        var path = Path.Combine(_dir, "three.yaml");
        await File.WriteAllTextAsync(path, """
            name: three
            switches:
              - name: leaf
                serail: FDO1
                mac: 00:11:22:33:44:55
                poap: { max_attempts: lots }
            servers:
              dhcp:
                address: 10.0.0.1
                lease: forever
            """, TestContext.Current.CancellationToken);

        var r = await CliTestRun.RunAsync("validate", path);

        r.Exit.ShouldBe(1);
        r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(
        [
            $"{path}:4:5: error: unknown key 'serail' (did you mean 'serial'?)",
            $"{path}:6:27: error: 'max_attempts' must be a whole number from 1 to 100, not 'lots'",
            $"{path}:10:12: error: 'lease' must be a duration from 1s to 3650d (such as 30s, 5m, 2h, 1d or a number of seconds), not 'forever'",
            "3 problem(s) in 1 of 1 file(s)",
        ]);
        r.Output.ShouldBeEmpty();
    }

    [Fact]
    public async Task Validate_UnclosedBrace_RealPositionNoDotNetMessage()
    {
        var path = Path.Combine(_dir, "brace.yaml");
        await File.WriteAllTextAsync(path, "name: x\nservers: { dhcp: { address: 10.0.0.1 }\nfiles: []\n", TestContext.Current.CancellationToken);

        var r = await CliTestRun.RunAsync("validate", path);

        r.Exit.ShouldBe(1);
        r.Error.ShouldStartWith($"{path}:2:10: error: not valid YAML: the '{{' opened here is never closed");
        r.Error.ShouldNotContain("current state of the object");
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
