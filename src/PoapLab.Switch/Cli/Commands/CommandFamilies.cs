namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// The one table of command families. The older families are still partial files of
/// <see cref="NxosCli"/> (<c>NxosCli.Copy.cs</c>, <c>NxosCli.Show.cs</c>, ...) and are listed
/// here through <see cref="NxosCli"/>'s registration methods; new families are classes of their own.
/// </summary>
internal static class CommandFamilies
{
    public static IReadOnlyList<ICommandFamily> Create(NxosCli cli, CliDevice device) =>
    [
        .. cli.BuiltInFamilies(),
        new ShowLoggingCommands(device),
        new HardwareCommands(device),
        new DirectoryCommands(device),
        new BashCommands(device),
        new InterfaceCommands(device),
        new PersonalityCommands(device),
    ];
}

/// <summary>A family still written as a partial file of <see cref="NxosCli"/>.</summary>
internal sealed class PartialFamily(Action<CommandTable> register) : ICommandFamily
{
    public void Register(CommandTable table) => register(table);
}
