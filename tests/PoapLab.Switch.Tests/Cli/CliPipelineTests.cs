using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using PoapLab.Switch.Cli;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Tests.Cli;

/// <summary>Filters after <c>|</c>, fed from a file through <c>show file</c>.</summary>
public sealed class CliPipelineTests
{
    private const string Text = "alpha one\nBeta two\ngamma three\nName servers: 10.0.0.53\ndelta 4\n";

    private static async Task<string> Filter(string pipes)
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("t.txt", Text);
        return await sw.Ok("show file bootflash:t.txt " + pipes);
    }

    [Theory]
    [InlineData("| include gamma", "gamma three\n")]
    [InlineData("| i 'Name servers'", "Name servers: 10.0.0.53\n")]
    [InlineData("| grep \"a t\"", "Beta two\ngamma three\n")]
    [InlineData("| grep -i beta", "Beta two\n")]
    [InlineData("| grep 'one\\|two'", "alpha one\nBeta two\n")]
    [InlineData("| egrep 'one|two'", "alpha one\nBeta two\n")]
    [InlineData("| grep -c a", "5\n")]
    [InlineData("| exclude a", "")]
    [InlineData("| grep -v e", "")]
    [InlineData("| grep -v gamma | grep -v alpha", "Beta two\nName servers: 10.0.0.53\ndelta 4\n")]
    [InlineData("| head lines 2", "alpha one\nBeta two\n")]
    [InlineData("| last 2", "Name servers: 10.0.0.53\ndelta 4\n")]
    [InlineData("| sed -n '3p'", "gamma three\n")]
    [InlineData("| sed -n '2,3p'", "Beta two\ngamma three\n")]
    [InlineData("| sed -n '$p'", "delta 4\n")]
    [InlineData("| sed '/a/d'", "")]
    [InlineData("| head lines 1 | sed 's/a/A/'", "Alpha one\n")]
    [InlineData("| head lines 1 | sed 's/a/A/g'", "AlphA one\n")]
    [InlineData("| head lines 1 | sed 's/\\(alpha\\) \\(one\\)/\\2 \\1/'", "one alpha\n")]
    [InlineData("| grep Name | sed 's/[^0-9.]*//'", "10.0.0.53\n")]
    [InlineData("| count", "5\n")]
    [InlineData("| head lines 2 | tr 'a-z' 'A-Z'", "ALPHA ONE\nBETA TWO\n")]
    [InlineData("| head lines 2 | tr -d 'a'", "lph one\nBet two\n")]
    [InlineData("| no-more | last 1", "delta 4\n")]
    public async Task Filters_ApplyLikeNxos(string pipes, string expected)
    {
        (await Filter(pipes)).ShouldBe(expected);
    }

    [Fact]
    public async Task Tr_LiteralNewlineInsideQuotes_JoinsLines()
    {
        (await Filter("| head lines 2 | tr '\n' ' '")).ShouldBe("alpha one Beta two ");
    }

    [Fact]
    public async Task Pipe_InsideQuotes_IsNotAFilter()
    {
        (await Filter("| grep -E 'one|three'")).ShouldBe("alpha one\ngamma three\n");
    }

    [Fact]
    public async Task Semicolon_InsideQuotes_DoesNotSplitCommands()
    {
        (await Filter("| head lines 1 | sed 's/alpha/a;b/'")).ShouldBe("a;b one\n");
    }

    [Theory]
    [InlineData("| bogus", "bogus")]
    [InlineData("| head lines x", "x")]
    public async Task UnknownFilter_InvalidCommandAtWord(string pipes, string word)
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("t.txt", Text);
        var command = "show file bootflash:t.txt " + pipes;
        var column = command.LastIndexOf(word, StringComparison.Ordinal);
        var result = await sw.Run(command);
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe($"{command}\n{new string(' ', column)}^\n% Invalid command at '^' marker.\n");
    }

    [Fact]
    public async Task Json_AfterATextFilter_IsRejected()
    {
        using var sw = new CliTestSwitch();
        (await sw.Run("show version | grep NXOS | json")).Status.ShouldBe(CliStatus.SyntaxError);
        (await sw.Ok("show version | json | grep bios_ver_str")).ShouldContain("\"bios_ver_str\":\"07.69\"");
    }
    /// <summary>Every command scripts run whose output they filter or parse.</summary>
    public static TheoryData<string> ScriptCommands => new()
    {
        "show version", "show module", "show inventory", "show inventory chassis", "show cdp neighbors",
        "show cdp neighbors interface mgmt0", "show interface mgmt0", "show ip interface brief vrf all", "show hosts",
        "dir", "dir bootflash:", "show boot", "show running-config", "show file bootflash:t.txt", "show clock",
    };

    /// <summary>The structured commands: those with a TABLE_/ROW_ or flat NX-OS JSON form.</summary>
    public static TheoryData<string> StructuredCommands => new()
    {
        "show version", "show module", "show inventory", "show cdp neighbors", "show cdp neighbors interface mgmt0",
        "show interface mgmt0", "show ip interface brief vrf all", "show hosts", "dir", "show boot",
    };

    private static CliTestSwitch Populated()
    {
        var sw = new CliTestSwitch();
        sw.WriteFile("t.txt", Text);
        sw.State.CdpNeighbors.Add(new CdpNeighbor("oob-sw1(FOC213230KP)", "mgmt0", "Eth1/48", "N3K-C3172PQ-XL"));
        sw.State.Lease = new DhcpLease(
            "mgmt0", "management", IPAddress.Parse("192.0.2.10"), IPAddress.Parse("255.255.255.0"), IPAddress.Parse("192.0.2.1"),
            [IPAddress.Parse("192.0.2.53")], "lab.example", "leaf-101", IPAddress.Parse("192.0.2.2"), TimeSpan.FromDays(1));
        return sw;
    }

    [Theory]
    [MemberData(nameof(ScriptCommands))]
    public async Task EveryFilter_WorksOnEveryCommand(string command)
    {
        using var sw = Populated();
        var full = await sw.Ok(command);
        var lines = CliPipeline.Lines(full);
        lines.Count.ShouldBeGreaterThan(0);

        (await sw.Ok(command + " | count")).ShouldBe(lines.Count + "\n");
        (await sw.Ok(command + " | head lines 1")).ShouldBe(lines[0] + "\n");
        (await sw.Ok(command + " | last 1")).ShouldBe(lines[^1] + "\n");
        (await sw.Ok(command + " | grep -v zzzz")).ShouldBe(full);
        (await sw.Ok(command + " | exclude zzzz | no-more")).ShouldBe(full);
        (await sw.Ok(command + " | i zzzz")).ShouldBe("");
        (await sw.Ok(command + " | sed -n '1p'")).ShouldBe(lines[0] + "\n");
        (await sw.Ok(command + " | sed 's/e/E/g'")).ShouldBe(full.Replace('e', 'E'));
        (await sw.Ok(command + " | tr 'e' 'E'")).ShouldBe(full.Replace('e', 'E'));
        (await sw.Ok(command + " | tr '\n' ' '")).ShouldBe(full.Replace('\n', ' '));
        (await sw.Ok(command + " | wc -l")).ShouldBe(lines.Count + "\n");
    }

    [Theory]
    [MemberData(nameof(StructuredCommands))]
    public async Task JsonAndXml_EveryStructuredCommand_ParseAndAgree(string command)
    {
        using var sw = Populated();
        var clid = await sw.Ok(command, json: true);
        clid.ShouldEndWith("}\n");
        clid.TrimEnd('\n').ShouldNotContain('\n', "clid answers one line");
        (await sw.Ok(command + " | json")).ShouldBe(clid);
        using var doc = JsonDocument.Parse(clid);
        doc.RootElement.ValueKind.ShouldBe(JsonValueKind.Object);

        var xml = await sw.Ok(command + " | xml");
        xml.ShouldStartWith("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<nf:rpc-reply ");
        xml.ShouldEndWith("</nf:rpc-reply>\n]]>]]>\n");
        var root = XDocument.Parse(xml[..xml.IndexOf("]]>]]>", StringComparison.Ordinal)]).Root!;
        root.Descendants().ShouldContain(e => e.Name.LocalName == "__readonly__");
        var pretty = await sw.Ok(command + " | json-pretty");
        JsonDocument.Parse(pretty).RootElement.ToString().Length.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Tr_SetWithLiteralNewline_ShortSecondSetRepeatsItsLastChar()
    {
        (await Filter("| head lines 2 | tr 'a\n' 'x'")).ShouldBe("xlphx onexBetx twox");
    }
}
