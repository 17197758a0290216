using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary><c>virtual_only:</c> says in one line why a scenario runs only in the virtual transport.</summary>
public sealed class ScenarioLoaderVirtualOnlyTests
{
    private const string Minimal = """
        name: minimal
        virtual_only: REASON
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

    private static string With(string reason) => Minimal.Replace("REASON", reason, StringComparison.Ordinal);

    [Fact]
    public void Parse_VirtualOnlyOneLine_AcceptedTrimmed()
    {
        var scenario = ScenarioLoader.Parse(With("'  the switch sleeps 2 h of switch time  '"), "v.yaml");

        scenario.VirtualOnly.ShouldBe("the switch sleeps 2 h of switch time");
    }

    [Fact]
    public void Parse_NoVirtualOnly_RunsInEveryTransport()
    {
        var text = string.Join('\n', Minimal.Split('\n').Where(l => !l.StartsWith("virtual_only", StringComparison.Ordinal)));

        ScenarioLoader.Parse(text, "v.yaml").VirtualOnly.ShouldBeNull();
    }

    [Theory]
    [InlineData("''")]
    [InlineData("'   '")]
    [InlineData("\"first line\\nsecond line\"")]
    [InlineData("\"bell\\a\"")]
    [InlineData("\"escape \\e[31mred\"")]
    public void Parse_VirtualOnlyEmptyOrWithControlCharacters_RefusedWithFileAndLine(string reason)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(With(reason), "v.yaml"));

        e.Location.File.ShouldBe("v.yaml");
        e.Location.Line.ShouldBe(2);
        e.Problem.ShouldContain("'virtual_only' must say in one line (at most 400 characters)");
    }

    [Fact]
    public void Parse_VirtualOnlyLongerThan400Characters_RefusedWithFileAndLine()
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(With(new string('x', 401)), "v.yaml"));

        e.Location.Line.ShouldBe(2);
        e.Problem.ShouldContain("at most 400 characters");
        ScenarioLoader.Parse(With(new string('x', 400)), "v.yaml").VirtualOnly!.Length.ShouldBe(400);
    }
}
