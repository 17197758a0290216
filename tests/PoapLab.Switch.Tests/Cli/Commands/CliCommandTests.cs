using PoapLab.Switch.Cli;
using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary>The command table the families fill.</summary>
public sealed class CliCommandTests
{
    [Fact]
    public void OtherConfigLines_SecondFamilyClaimsThem_Throws()
    {
        var table = new CommandTable(new CliCommandTree<CommandHandler>(), new CliCommandTree<CommandHandler>());
        table.OtherConfigLines((_, _) => CommandOutput.Empty.AsTask());
        Should.Throw<InvalidOperationException>(() => table.OtherConfigLines((_, _) => CommandOutput.Empty.AsTask()));
    }

    [Fact]
    public async Task Families_EveryRegisteredCommand_OneTableNoDuplicates()
    {
        // Building the CLI registers every family: a keyword claimed twice would throw here.
        using var sw = new CliTestSwitch();
        (await sw.Ok("show hostname")).ShouldBe(sw.State.Hostname + "\n");
        (await sw.Ok("configure terminal ; no-such-feature enable ; end")).ShouldBe("");
        sw.State.RunningConfig.ShouldContain("no-such-feature enable");
    }
}
