namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// The one table of command families: each is a file of <c>Cli/Commands/</c> and registers its
/// commands' keywords; adding a command is its family's file (or a new one listed here) and its test.
/// </summary>
internal static class CommandFamilies
{
    public static IReadOnlyList<ICommandFamily> Create(CliDevice device) =>
    [
        new CopyCommands(device),
        new ShowVersionCommands(device),
        new SystemShowCommands(device),
        new CdpCommands(device),
        new FileListingCommands(device),
        new ConfigurationCommands(device),
        new TerminalCommands(),
        new BootCommands(device),
        new InstallCommands(device),
        new ShowLoggingCommands(device),
        new HardwareCommands(device),
        new DirectoryCommands(device),
        new BashCommands(device),
        new InterfaceCommands(device),
        new PersonalityCommands(device),
    ];
}
