namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// Configuration mode and the commands around the configuration: <c>configure [terminal]</c>,
/// <c>end</c>, <c>exit</c>, <c>hostname</c>/<c>switchname</c>, <c>show running-config</c>,
/// <c>show startup-config</c>, <c>write memory</c>, <c>write erase</c> and <c>reload</c>. Config
/// lines no family models are kept in the running configuration as typed: NX-OS's whole
/// configuration language is not validated here.
/// </summary>
internal sealed class ConfigurationCommands(CliDevice device) : ICommandFamily
{
    /// <summary>Lines that open a sub-mode, where <c>exit</c> returns to config mode rather than leaving it.</summary>
    private static readonly string[] SubmodeOpeners =
    [
        "interface ", "vrf context ", "router ", "line ", "vlan ", "ip access-list ", "ipv6 access-list ",
        "role name ", "policy-map ", "class-map ", "route-map ", "object-group ",
    ];

    public void Register(CommandTable table)
    {
        table.Exec("configure", EnterConfig);
        table.Exec("configure terminal", EnterConfig);
        table.Exec("end", (c, _) => LeaveConfig(c, all: true));
        table.Exec("exit", (c, _) => LeaveConfig(c, all: false));
        table.Exec("show running-config", (c, _) => c.NoArgs(() => CommandOutput.Ok(ConfigText.Running(device))));
        table.Exec("show startup-config", (c, _) => c.NoArgs(() => CommandOutput.Ok(ConfigText.Startup(device))));
        table.Exec("write erase", WriteErase);
        table.Exec("write memory", (c, _) => c.NoArgs(SaveRunningConfig));
        table.Exec("reload", Reload);

        table.Config("hostname", SetHostname);
        table.Config("switchname", SetHostname);
        table.Config("end", (c, _) => LeaveConfig(c, all: true));
        table.Config("exit", (c, _) => LeaveConfig(c, all: false));
        table.OtherConfigLines(AcceptConfigLine);
    }

    /// <summary><c>copy running-config startup-config</c> and <c>write memory</c>.</summary>
    public static CommandOutput SaveRunningConfig(CliDevice device)
    {
        device.State.StartupConfig = [.. device.State.RunningConfig];
        return CommandOutput.Ok(ConfigText.CopyProgress + ConfigText.CopyComplete);
    }

    private CommandOutput SaveRunningConfig() => SaveRunningConfig(device);

    private static Task<CommandOutput> EnterConfig(CommandContext context, CancellationToken cancellationToken) =>
        context.NoArgs(() =>
        {
            context.Session.ConfigMode = true;
            context.Session.ConfigSubmode = false;
            return CommandOutput.Empty;
        });

    private static Task<CommandOutput> LeaveConfig(CommandContext context, bool all) =>
        context.NoArgs(() =>
        {
            var session = context.Session;
            if (!all && session.ConfigSubmode)
            {
                session.ConfigSubmode = false;
            }
            else
            {
                session.ConfigMode = false;
                session.ConfigSubmode = false;
            }
            return CommandOutput.Empty;
        });

    private Task<CommandOutput> WriteErase(CommandContext context, CancellationToken cancellationToken) =>
        context.NoArgs(() =>
        {
            const string Warning = "Warning: This command will erase the startup-configuration.\n";
            if (!context.Session.DontAsk)
            {
                // Nobody answers the prompt in a script: its default, No, is taken.
                return CommandOutput.Ok(Warning + "Do you wish to proceed anyway? (y/n)  [n] \n");
            }
            device.State.StartupConfig = null;
            return CommandOutput.Empty;
        });

    private Task<CommandOutput> Reload(CommandContext context, CancellationToken cancellationToken) =>
        context.NoArgs(() =>
        {
            device.RequestReload(context.Session, context.Command);
            return CommandOutput.Empty;
        });

    private Task<CommandOutput> SetHostname(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count != 1)
        {
            return context.InvalidArg(context.Args.Count == 0 ? 0 : 1).AsTask();
        }
        var name = context.Args[0].Text;
        device.State.Hostname = name;
        ConfigText.ReplaceLine(device.State, l => l.StartsWith("hostname ", StringComparison.Ordinal) || l.StartsWith("switchname ", StringComparison.Ordinal), "hostname " + name);
        return CommandOutput.Empty.AsTask();
    }

    /// <summary>A configuration line the emulation does not model: kept as typed.</summary>
    private Task<CommandOutput> AcceptConfigLine(CommandContext context, CancellationToken cancellationToken)
    {
        var line = context.Command;
        device.State.RunningConfig.Add(line);
        if (SubmodeOpeners.Any(o => line.StartsWith(o, StringComparison.OrdinalIgnoreCase)))
        {
            context.Session.ConfigSubmode = true;
        }
        return CommandOutput.Empty.AsTask();
    }
}
