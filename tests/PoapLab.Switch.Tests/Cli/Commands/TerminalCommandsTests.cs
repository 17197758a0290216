using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary>The session's terminal settings.</summary>
public sealed class TerminalCommandsTests
{
    [Fact]
    public async Task Terminal_LengthAndWidth_Accepted()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("terminal length 0 ; terminal width 511");
        (await sw.Run("terminal length x")).Status.ShouldBe(CliStatus.SyntaxError);
    }
}
