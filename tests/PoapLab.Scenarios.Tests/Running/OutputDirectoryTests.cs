using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>The <c>--out</c> rule: PoapLab writes and deletes only inside a directory that is new, empty or its own.</summary>
public sealed class OutputDirectoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-outdir-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Prepare_NewDirectory_CreatedAndMarked()
    {
        var full = OutputDirectory.Prepare(Path.Combine(_dir, "out"));

        File.Exists(Path.Combine(full, OutputDirectory.MarkerName)).ShouldBeTrue();
        OutputDirectory.Prepare(full).ShouldBe(full);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/.")]
    public void Prepare_FilesystemRoot_Refused(string path)
    {
        Should.Throw<InvalidOperationException>(() => OutputDirectory.Prepare(path)).Message.ShouldContain("root");
        File.Exists("/" + OutputDirectory.MarkerName).ShouldBeFalse();
    }

    [Fact]
    public void Prepare_NonEmptyDirectoryNotOurs_RefusedAndUntouched()
    {
        var canary = Path.Combine(_dir, "canary.txt");
        File.WriteAllText(canary, "keep");

        Should.Throw<InvalidOperationException>(() => OutputDirectory.Prepare(_dir)).Message.ShouldContain("not a PoapLab output");

        Directory.EnumerateFileSystemEntries(_dir).ShouldBe([canary]);
    }

    [Fact]
    public void Prepare_RepositoryRoot_Refused()
    {
        Directory.CreateDirectory(Path.Combine(_dir, ".git"));
        File.WriteAllText(Path.Combine(_dir, OutputDirectory.MarkerName), "");

        Should.Throw<InvalidOperationException>(() => OutputDirectory.Prepare(_dir)).Message.ShouldContain("source repository");
    }

    [Fact]
    public void Prepare_OutputOfAnOlderPoapLab_Adopted()
    {
        File.WriteAllText(Path.Combine(_dir, "report.json"), "{}");

        OutputDirectory.Prepare(_dir);

        File.Exists(Path.Combine(_dir, OutputDirectory.MarkerName)).ShouldBeTrue();
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a/../..")]
    [InlineData("")]
    public async Task RunAsync_ScenarioNamedToLeaveOut_NothingOutsideOutDeleted(string name)
    {
        // Built in code, past the loader, as a library caller could: the runner must hold on its own.
        var parent = Path.Combine(_dir, "parent");
        var canary = Path.Combine(parent, "canary.txt");
        Directory.CreateDirectory(parent);
        File.WriteAllText(canary, "keep");
        var scenario = new Scenario { Name = name, FilePath = Path.Combine(_dir, "x.yaml"), Switches = [], Servers = new ServersModel() };

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(parent, "out")), TestContext.Current.CancellationToken);

        result.Error.ShouldNotBeNull().ShouldContain("cannot name its output folder");
        File.ReadAllText(canary).ShouldBe("keep");
        Directory.EnumerateFileSystemEntries(parent).Order(StringComparer.Ordinal).ShouldBe([canary, Path.Combine(parent, "out")]);
    }

    [Fact]
    public async Task RunAsync_ScenarioFolderIsALink_LinkRemovedTargetUntouched()
    {
        var outDir = OutputDirectory.Prepare(Path.Combine(_dir, "out"));
        var victim = Path.Combine(_dir, "victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "keep.txt"), "keep");
        Directory.CreateSymbolicLink(Path.Combine(outDir, "s"), victim);
        var scenario = new Scenario { Name = "s", FilePath = Path.Combine(_dir, "s.yaml"), Switches = [], Servers = new ServersModel() };

        await new ScenarioRunner().RunAsync(scenario, new RunOptions(outDir), TestContext.Current.CancellationToken);

        File.ReadAllText(Path.Combine(victim, "keep.txt")).ShouldBe("keep");
        new DirectoryInfo(Path.Combine(outDir, "s")).LinkTarget.ShouldBeNull();
    }

    [Fact]
    public void ClearEarlierRuns_MarkedFoldersAndReports_GoUsersFilesStay()
    {
        var outRoot = OutputDirectory.Prepare(Path.Combine(_dir, "out"));
        var earlier = OutputDirectory.FreshScenarioFolder(outRoot, "earlier")!;
        File.WriteAllText(Path.Combine(earlier, "timeline.txt"), "x");
        File.WriteAllText(Path.Combine(outRoot, "report.html"), "old");
        var mine = Directory.CreateDirectory(Path.Combine(outRoot, "my-notes")).FullName;
        File.WriteAllText(Path.Combine(mine, "keep.txt"), "keep");
        File.WriteAllText(Path.Combine(outRoot, "notes.txt"), "keep");
        // A folder of mine holding a link named like the marker is not PoapLab's: the link is not followed.
        var victim = Directory.CreateDirectory(Path.Combine(_dir, "victim")).FullName;
        File.WriteAllText(Path.Combine(victim, OutputDirectory.ScenarioMarkerName), "");
        var linked = Directory.CreateDirectory(Path.Combine(outRoot, "linked")).FullName;
        File.CreateSymbolicLink(Path.Combine(linked, OutputDirectory.ScenarioMarkerName), Path.Combine(victim, OutputDirectory.ScenarioMarkerName));
        Directory.CreateSymbolicLink(Path.Combine(outRoot, "victim-link"), victim);

        var cleared = OutputDirectory.ClearEarlierRuns(outRoot);

        cleared.ShouldBe(["earlier"]);
        Directory.Exists(earlier).ShouldBeFalse();
        File.Exists(Path.Combine(outRoot, "report.html")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(mine, "keep.txt")).ShouldBe("keep");
        File.ReadAllText(Path.Combine(outRoot, "notes.txt")).ShouldBe("keep");
        Directory.Exists(linked).ShouldBeTrue();
        File.Exists(Path.Combine(victim, OutputDirectory.ScenarioMarkerName)).ShouldBeTrue();
        File.Exists(Path.Combine(outRoot, OutputDirectory.MarkerName)).ShouldBeTrue();
    }
}
