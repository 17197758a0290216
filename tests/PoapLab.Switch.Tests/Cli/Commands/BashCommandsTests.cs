using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli.Commands;

public sealed class BashCommandsTests
{
    [Fact]
    public async Task RunBash_FeatureOff_InvalidCommand()
    {
        using var sw = new CliTestSwitch();
        (await sw.Run("run bash ls /bootflash")).Status.ShouldBe(CliStatus.SyntaxError);
        await sw.Ok("configure terminal ; feature bash-shell");
        (await sw.Run("run bash ls")).Status.ShouldBe(CliStatus.Shell);
        await sw.Ok("configure terminal ; no feature bash-shell");
        (await sw.Run("run bash ls")).Status.ShouldBe(CliStatus.SyntaxError);
    }

    [Fact]
    public async Task RunBash_FeatureOn_ShellGetsTheRestOfTheLineAsTyped()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("config ; feature bash-shell");
        var result = await sw.Run("run bash sudo sed -i 's|\\(^Defaults *requiretty\\)|#\\1|g' /etc/sudoers 2>&1 > /dev/null | head");
        result.Status.ShouldBe(CliStatus.Shell);
        result.Output.ShouldBe("sudo sed -i 's|\\(^Defaults *requiretty\\)|#\\1|g' /etc/sudoers 2>&1 > /dev/null | head");
        (await sw.Run("run bash ls", json: true)).Status.ShouldBe(CliStatus.ExecError);
    }

    [Fact]
    public async Task RunBash_On6x_NoSuchCommand()
    {
        using var sw = new CliTestSwitch("6.0(2)U6(10)", "N3K-C3172PQ-10GE");
        await sw.Ok("config ; feature bash-shell");
        (await sw.Run("run bash ls")).Status.ShouldBe(CliStatus.SyntaxError);
    }
}
