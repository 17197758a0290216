using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>A file's every error is reported, each with file:line:col, and the messages say what was meant.</summary>
public sealed class ScenarioLoaderErrorsTests
{
    private const string Minimal = """
        name: minimal
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp:
            address: 10.0.0.1
            subnet: 10.0.0.0/24
            bootfile: poap.py
            tftp_server_address: 10.0.0.1
        """;

    [Fact]
    public void Parse_ThreeErrors_ReportsAllThreeWithFileLineAndColumn()
    {
        var text = """
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
            """;

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "three.yaml"));

        e.Errors.Select(x => x.Message).ShouldBe(
        [
            "three.yaml:4:5: unknown key 'serail' (did you mean 'serial'?)",
            "three.yaml:6:27: 'max_attempts' must be a whole number from 1 to 100, not 'lots'",
            "three.yaml:10:12: 'lease' must be a duration from 1s to 3650d (such as 30s, 5m, 2h, 1d or a number of seconds), not 'forever'",
        ]);
        e.Location.Line.ShouldBe(4);
    }

    [Fact]
    public void Parse_MisspeltRequiredKey_SaysUnknownKeyAndSuggestsNotMissing()
    {
        var text = Minimal.Replace("serial: FDO1", "serail: FDO1", StringComparison.Ordinal);

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "typo.yaml"));

        e.Errors.ShouldHaveSingleItem().Problem.ShouldBe("unknown key 'serail' (did you mean 'serial'?)");
    }

    [Fact]
    public void Parse_UnknownKeysInSeveralPlaces_ReportsEach()
    {
        var text = Minimal + "\nexpect:\n  outcom: provisioned\n  atempts: 1\nfoo: 1\n";

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "keys.yaml"));

        e.Errors.Select(x => x.Problem).ShouldBe(
        [
            "unknown key 'outcom' (did you mean 'outcome'?)",
            "unknown key 'atempts' (did you mean 'attempts'?)",
            "unknown key 'foo' (known here: clock, description, device, expect, files, name, seed, servers, switches, tags, virtual_only)",
        ]);
    }

    [Fact]
    public void Parse_TwoBrokenSwitches_ReportsBoth()
    {
        var text = """
            switches:
              - { name: a, mac: 00:11:22:33:44:55 }
              - { name: b, serial: X, mac: nope }
            servers:
              dhcp: { address: 10.0.0.1 }
            """;

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "two.yaml"));

        e.Errors.Count.ShouldBe(2);
        e.Errors[0].Problem.ShouldStartWith("'serial' is missing");
        e.Errors[1].Problem.ShouldStartWith("'mac' must be a MAC address");
        e.Errors[1].Location.Line.ShouldBe(3);
    }

    [Theory]
    [InlineData("name: x\nservers: { dhcp: { address: 10.0.0.1 }\nfiles: []\n", 2, 10, '{')]
    [InlineData("a: {b: 1\n", 1, 4, '{')]
    [InlineData("tags: [a, b\nseed: 3\n", 1, 7, '[')]
    public void Parse_UnclosedBracket_ReportsWhereItOpened(string text, int line, int column, char bracket)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "open.yaml"));

        e.Location.Line.ShouldBe(line);
        e.Location.Column.ShouldBe(column);
        e.Problem.ShouldContain($"the '{bracket}' opened here is never closed");
        e.Message.ShouldNotContain("current state of the object");
    }

    [Fact]
    public void Parse_ManyErrors_Bounded()
    {
        var text = Minimal + "\n" + string.Concat(Enumerable.Range(0, 500).Select(i => $"unknown{i}: 1\n"));

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "many.yaml"));

        e.Errors.Count.ShouldBe(LoadContext.MaxErrors + 1);
        e.Errors[^1].Problem.ShouldContain("the rest are not shown");
    }

    [Fact]
    public void Parse_AliasGraph_WalkedOncePerNode()
    {
        // A billion-laughs shape: each level refers to the one before ten times.
        var levels = string.Concat(Enumerable.Range(1, 9).Select(i => $"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n"));
        var text = "l0: &l0 { serial: x }\n" + levels + Minimal;

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "laughs.yaml"));

        e.Errors.Count.ShouldBe(10);
        e.Errors.ShouldAllBe(x => x.Problem.StartsWith("unknown key 'l", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_AliasUsedAsTwoKindsOfMapping_ErrorsNotACrash()
    {
        // The same mapping as a switch and as a served file: each place reads it as its own kind.
        var text = """
            switches:
              - &sw { name: leaf, serial: FDO1, mac: 00:11:22:33:44:55 }
            servers:
              dhcp: { address: 10.0.0.1 }
            files:
              - *sw
            """;

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "alias.yaml"));

        e.Errors.ShouldContain(x => x.Problem.StartsWith("'path' is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void ScenarioKeys_EveryShapeReferencedExists()
    {
        foreach (var key in ScenarioKeys.Shapes.Values.SelectMany(s => s.Keys).Where(k => k.Shape is not null))
        {
            ScenarioKeys.Shapes.ContainsKey(key.Shape!).ShouldBeTrue(key.Shape);
        }
    }
}
