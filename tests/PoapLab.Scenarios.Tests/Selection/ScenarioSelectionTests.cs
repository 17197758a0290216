using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Selection;

namespace PoapLab.Scenarios.Tests.Selection;

public sealed class ScenarioSelectionTests
{
    private static Scenario S(string name, params string[] tags) => new() { Name = name, FilePath = $"/repo/{name}.yaml", Switches = [], Servers = new ServersModel(), Tags = tags };

    [Fact]
    public void Matches_FilterOnPath_FindsTheCatalogueFolder()
    {
        var selection = new ScenarioSelection { Filter = "catalogue" };

        selection.Matches("scenarios/catalogue/fault-tftp-gone.yaml", S("fault-tftp-gone")).ShouldBeTrue();
        selection.Matches("scenarios/happy-path-tftp.yaml", S("happy-path-tftp")).ShouldBeFalse();
    }

    [Fact]
    public void Matches_FilterOnName_CaseInsensitive()
    {
        new ScenarioSelection { Filter = "TFTP" }.Matches("scenarios/a.yaml", S("fault-tftp-gone")).ShouldBeTrue();
    }

    [Fact]
    public void Matches_Tags_AnyOfThemAndNoneSkipped()
    {
        var selection = new ScenarioSelection { Tags = ScenarioSelection.ParseTags(["dhcp,tftp"]), SkipTags = ["slow"] };

        selection.Matches("a.yaml", S("a", "tftp", "failure")).ShouldBeTrue();
        selection.Matches("b.yaml", S("b", "http")).ShouldBeFalse();
        selection.Matches("c.yaml", S("c", "dhcp", "slow")).ShouldBeFalse();
    }

    [Fact]
    public void Matches_BrokenFile_TakenUnlessTagsAsked()
    {
        new ScenarioSelection().Matches("broken.yaml", null).ShouldBeTrue();
        new ScenarioSelection { Tags = ["dhcp"] }.Matches("broken.yaml", null).ShouldBeFalse();
    }

    [Theory]
    [InlineData("1/3", 1, 3)]
    [InlineData("3/3", 3, 3)]
    [InlineData("1/1", 1, 1)]
    public void Parse_Valid(string text, int k, int n)
    {
        Shard.Parse(text, out var problem).ShouldBe(new Shard(k, n));
        problem.ShouldBeNull();
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("3")]
    [InlineData("-1/3")]
    [InlineData("1/3/4")]
    [InlineData("1/1001")]
    [InlineData("1 /3")]
    [InlineData("99999999999999999999/3")]
    public void Parse_Invalid_SaysWhatIsExpected(string text)
    {
        Shard.Parse(text, out var problem).ShouldBeNull();
        problem.ShouldNotBeNull().ShouldContain("K/N");
    }

    [Fact]
    public void Pick_EveryFileInExactlyOneShard_Balanced()
    {
        var files = Enumerable.Range(0, 73).Select(i => $"scenarios/s{i:D3}.yaml").ToList();

        var shards = Enumerable.Range(1, 3).Select(k => new Shard(k, 3).Pick(files, f => f)).ToList();

        shards.SelectMany(s => s).Order(StringComparer.Ordinal).ShouldBe(files);
        shards.Select(s => s.Count).ShouldBe([25, 24, 24]);
    }

    [Fact]
    public void Pick_DoesNotDependOnTheOrderGiven()
    {
        var files = Enumerable.Range(0, 10).Select(i => $"scenarios/s{i}.yaml").ToList();
        var shuffled = files.OrderBy(f => f.GetHashCode(StringComparison.Ordinal)).ToList();

        new Shard(2, 4).Pick(shuffled, f => f).Order(StringComparer.Ordinal).ShouldBe(new Shard(2, 4).Pick(files, f => f).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Pick_MorePartsThanFiles_SomeEmpty()
    {
        string[] files = ["a.yaml", "b.yaml"];

        new Shard(3, 5).Pick(files, f => f).ShouldBeEmpty();
        new Shard(2, 5).Pick(files, f => f).ShouldBe(["b.yaml"]);
    }
}
