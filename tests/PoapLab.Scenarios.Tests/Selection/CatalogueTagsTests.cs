using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Selection;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Selection;

/// <summary>Every scenario of the repository is tagged on three axes, so <c>--tags</c> can pick by any of them.</summary>
public sealed class CatalogueTagsTests
{
    private static readonly string[] Classes = ["happy-path", "failure", "fault", "recovery"];

    private static readonly string[] Protocols = ["dhcp", "dhcp6", "tftp", "http", "https", "ftp", "scp", "sftp"];

    public static TheoryData<string> ScenarioFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in ScenarioLoader.Find([RepoPaths.Scenarios]))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Scenarios, f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ScenarioFiles))]
    public void Scenario_TaggedWithProtocolPhaseAndClass(string file)
    {
        var tags = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, file)).Tags;

        tags.ShouldContain(t => Protocols.Contains(t), $"{file}: no protocol tag ({string.Join(", ", Protocols)})");
        tags.ShouldContain(t => Expectations.PhaseNames.Contains(t), $"{file}: no phase tag ({string.Join(", ", Expectations.PhaseNames)})");
        tags.ShouldContain(t => Classes.Contains(t), $"{file}: no class tag ({string.Join(", ", Classes)})");
    }

    [Fact]
    public void Filter_Catalogue_FindsTheCatalogueFolderOnly()
    {
        var selection = new ScenarioSelection { Filter = "catalogue" };
        var files = ScenarioLoader.Find([Path.GetRelativePath(Directory.GetCurrentDirectory(), RepoPaths.Scenarios)]);

        var picked = files.Where(f => selection.Matches(f, ScenarioLoader.Load(f))).ToList();

        picked.Count.ShouldBe(files.Count(f => f.Replace('\\', '/').Contains("/catalogue/", StringComparison.Ordinal)));
        picked.Count.ShouldBeGreaterThan(40);
    }

    [Fact]
    public void Tags_TftpFailures_PickedAcrossTheCatalogue()
    {
        var selection = new ScenarioSelection { Tags = ["script-validation"] };

        var picked = ScenarioLoader.Find([RepoPaths.Scenarios]).Select(ScenarioLoader.Load).Where(s => selection.Matches(s.FilePath, s)).Select(s => s.Name).ToList();

        picked.ShouldContain("06-md5sum-stale");
        picked.ShouldContain("stale-md5sum");
        picked.ShouldNotContain("happy-path-tftp");
    }
}
