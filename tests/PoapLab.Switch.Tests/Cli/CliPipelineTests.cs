using PoapLab.Switch.Cli;

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
}
