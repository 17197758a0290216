using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>The runner on hostile or unlucky scenarios: names shared in a run, disks too small, cancellation, served secrets.</summary>
public sealed class ScenarioRunnerBoundsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-runbounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Scenario Empty(string name, string file, IReadOnlyList<FileModel>? files = null) =>
        new() { Name = name, FilePath = Path.Combine(_dir, file), Switches = [], Servers = new ServersModel(), Files = files ?? [] };

    [Fact]
    public async Task RunAllAsync_TwoScenariosShareAName_SecondIsAnErrorNamingBothFiles()
    {
        var results = await new ScenarioRunner().RunAllAsync([Empty("same", "a.yaml"), Empty("SAME", "b.yaml")], new RunOptions(Path.Combine(_dir, "out")), null, TestContext.Current.CancellationToken);

        results[0].Error.ShouldBeNull();
        results[1].Error.ShouldNotBeNull();
        results[1].Error!.ShouldContain(Path.Combine(_dir, "a.yaml"));
        results[1].Error!.ShouldContain(Path.Combine(_dir, "b.yaml"));
        results[1].Error!.ShouldContain("names must be unique in a run");
    }

    [Fact]
    public async Task RunAllAsync_CancelledBeforeStart_EveryScenarioCancelledNothingWritten()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var outDir = Path.Combine(_dir, "out");

        var results = await new ScenarioRunner().RunAllAsync([Empty("a", "a.yaml"), Empty("b", "b.yaml")], new RunOptions(outDir), null, cts.Token);

        results.ShouldAllBe(r => r.Cancelled && r.Status == "cancelled" && !r.Passed);
        Directory.Exists(Path.Combine(outDir, "a")).ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_ImagesLargerThanFreeSpace_ScenarioFailsAndNoFileWritten()
    {
        var image = new FileModel { Path = "images/big.bin", ImageVersion = "10.3(6)M", ImageBytes = 512L << 20 };

        var result = await new ScenarioRunner().RunAsync(Empty("big", "big.yaml", [image]), new RunOptions(Path.Combine(_dir, "out")) { FreeSpace = _ => 100L << 20 }, TestContext.Current.CancellationToken);

        result.Error.ShouldNotBeNull().ShouldContain("only 104857600 bytes (100 MiB) are free");
        Directory.Exists(Path.Combine(result.OutputDirectory, "files")).ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_ImageWithinFreeSpace_Written()
    {
        var image = new FileModel { Path = "images/small.bin", ImageVersion = "10.3(6)M", ImageBytes = 64 << 10 };

        var result = await new ScenarioRunner().RunAsync(Empty("small", "small.yaml", [image]), new RunOptions(Path.Combine(_dir, "out")), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        new FileInfo(Path.Combine(result.OutputDirectory, "files", "images", "small.bin")).Length.ShouldBe(64 << 10);
    }

    [Fact]
    public async Task RunAsync_ServedSecretFile_CopiedPrivately()
    {
        // Stands for `source: /etc/shadow`: a file of the user's that the scenario serves.
        var secret = Path.Combine(_dir, "shadow");
        File.WriteAllText(secret, "root:$6$secret");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var files = new[]
        {
            new FileModel { Path = "shadow", Source = secret, Md5Companion = Md5CompanionKind.Md5sum },
            new FileModel { Path = "conf/x.cfg", Content = "hostname x" },
        };

        var result = await new ScenarioRunner().RunAsync(Empty("secret", "secret.yaml", files), new RunOptions(Path.Combine(_dir, "out")), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        var served = Path.Combine(result.OutputDirectory, "files");
        File.GetUnixFileMode(served).ShouldBe(ScenarioFiles.PrivateDirectory);
        File.GetUnixFileMode(Path.Combine(served, "shadow")).ShouldBe(ScenarioFiles.PrivateFile);
        File.GetUnixFileMode(Path.Combine(served, "shadow.md5")).ShouldBe(ScenarioFiles.PrivateFile);
        File.GetUnixFileMode(Path.Combine(served, "conf", "x.cfg")).ShouldBe(ScenarioFiles.PrivateFile);
        File.ReadAllText(Path.Combine(served, "shadow")).ShouldBe("root:$6$secret");
    }

    [Fact]
    public async Task RunAsync_SourceSwappedForFifoAfterValidation_ErrorNoHang()
    {
        var source = Path.Combine(_dir, "swapped");
        using (var p = System.Diagnostics.Process.Start("mkfifo", [source]))
        {
            p.WaitForExit(10_000).ShouldBeTrue();
        }
        var files = new[] { new FileModel { Path = "x", Source = source } };

        var result = await new ScenarioRunner().RunAsync(Empty("fifo", "fifo.yaml", files), new RunOptions(Path.Combine(_dir, "out")), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        result.Error.ShouldNotBeNull().ShouldContain("FIFO");
    }
}
