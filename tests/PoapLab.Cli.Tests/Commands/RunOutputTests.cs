using PoapLab.Cli.Commands;

namespace PoapLab.Cli.Tests.Commands;

public sealed class RunOutputTests
{
    [Fact]
    public void Line_NotATerminal_PlainUnwrappedNoEscapeCodes()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var run = new RunOutput(output, error, terminal: false, Verbosity.Normal);
        var path = "/very/long/" + new string('p', 200) + "/poap_nexus.py:64:13: error option-mode: [not markup]";

        run.Line($"[red]{Spectre.Console.Markup.Escape(path)}[/]");
        run.Error("warning: on stderr");

        output.ToString().ShouldBe(path + Environment.NewLine);
        error.ToString().ShouldBe("warning: on stderr" + Environment.NewLine);
        run.Console.ShouldBeNull();
    }
}
