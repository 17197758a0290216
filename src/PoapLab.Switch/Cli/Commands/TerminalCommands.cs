using System.Globalization;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// The session's terminal settings: <c>terminal dont-ask</c> (confirmations take their default
/// yes), <c>terminal password</c> (the password <c>copy</c> uses), and the display settings
/// scripts set out of habit (<c>terminal length|width|session-timeout N</c>), which change nothing here.
/// </summary>
internal sealed class TerminalCommands : ICommandFamily
{
    public void Register(CommandTable table)
    {
        table.Exec("terminal dont-ask", (c, _) => Set(c, 0, () => c.Session.DontAsk = true));
        table.Exec("terminal password", (c, _) => Set(c, 1, () => c.Session.Password = c.Args[0].Text));
        table.Exec("terminal length", (c, _) => Number(c));
        table.Exec("terminal width", (c, _) => Number(c));
        table.Exec("terminal session-timeout", (c, _) => Number(c));
    }

    private static Task<CommandOutput> Set(CommandContext context, int argCount, Action apply)
    {
        if (context.Args.Count != argCount)
        {
            return context.InvalidArg(argCount).AsTask();
        }
        apply();
        return CommandOutput.Empty.AsTask();
    }

    private static Task<CommandOutput> Number(CommandContext context)
    {
        if (context.Args.Count != 1 || !uint.TryParse(context.Args[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return context.InvalidArg(context.Args.Count == 0 ? 0 : context.Args.Count == 1 ? 0 : 1).AsTask();
        }
        return CommandOutput.Empty.AsTask();
    }
}
