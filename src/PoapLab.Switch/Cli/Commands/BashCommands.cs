namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>run bash CMD</c> after <c>feature bash-shell</c> (Cisco Nexus 9000 Series NX-OS
/// Programmability Guide, "Bash": "Accessing Bash" — the feature must be enabled; <c>run bash</c>
/// runs one command in the switch's Linux shell and prints its output). The switch's shell
/// here is the script's own sandbox: the CLI answers <see cref="CliStatus.Shell"/> with the
/// command line, and the script's side of the bridge runs it there, bounded in what it returns.
/// 6.x images have no Bash shell: the command does not exist there.
/// </summary>
internal sealed class BashCommands(CliDevice device) : ICommandFamily
{
    public const string FeatureLine = "feature bash-shell";

    public void Register(CommandTable table) => table.Exec("run bash", RunBash);

    /// <summary>
    /// True for a line that starts <c>run bash</c>: everything after <c>bash</c> is the shell's,
    /// pipes and redirections included, so the CLI's own filters must not take them.
    /// </summary>
    public static bool IsRunBash(IReadOnlyList<CliToken> tokens) =>
        tokens.Count >= 2 && tokens[0].Kind == CliTokenKind.Word && tokens[1].Kind == CliTokenKind.Word &&
        !tokens[0].Quoted && !tokens[1].Quoted &&
        tokens[0].Text.Length >= 2 && "run".StartsWith(tokens[0].Text, StringComparison.OrdinalIgnoreCase) &&
        "bash".StartsWith(tokens[1].Text, StringComparison.OrdinalIgnoreCase) && tokens[1].Text.Length >= 1;

    /// <summary>Whether the running configuration has the feature on (the last of <c>feature</c>/<c>no feature</c> wins).</summary>
    private bool Enabled()
    {
        var enabled = false;
        foreach (var line in device.State.RunningConfig)
        {
            var trimmed = line.Trim();
            if (trimmed.Equals(FeatureLine, StringComparison.OrdinalIgnoreCase))
            {
                enabled = true;
            }
            else if (trimmed.Equals("no " + FeatureLine, StringComparison.OrdinalIgnoreCase))
            {
                enabled = false;
            }
        }
        return enabled;
    }

    private Task<CommandOutput> RunBash(CommandContext context, CancellationToken cancellationToken)
    {
        if (!device.State.Features.BashShell)
        {
            return context.Unknown().AsTask();
        }
        if (!Enabled())
        {
            // A disabled feature's commands are not in the parser.
            return CommandOutput.From(CliResult.InvalidCommand(context.Command, context.Words[1].Column)).AsTask();
        }
        if (context.Args.Count == 0)
        {
            // An interactive shell: nobody types into it in a script; it ends at once.
            return CommandOutput.Empty.AsTask();
        }
        var line = context.Command[context.Args[0].Column..];
        if (line.Contains('\0', StringComparison.Ordinal))
        {
            return context.InvalidArg(0).AsTask();
        }
        return new CommandOutput(CliStatus.Shell, line).AsTask();
    }
}
