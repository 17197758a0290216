using System.Globalization;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Switch.Identity;

using PoapLab.Switch.Flash;

using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

/// <summary>
/// Configuration mode and the session commands around it (<c>terminal</c>, <c>write erase</c>,
/// <c>reload</c>). Config lines the emulation does not model are kept in the running
/// configuration as typed: NX-OS's whole configuration language is not validated here.
/// </summary>
public sealed partial class NxosCli
{
    /// <summary>Lines that open a sub-mode, where <c>exit</c> returns to config mode rather than leaving it.</summary>
    private static readonly string[] SubmodeOpeners =
    [
        "interface ", "vrf context ", "router ", "line ", "vlan ", "ip access-list ", "ipv6 access-list ",
        "role name ", "policy-map ", "class-map ", "route-map ", "object-group ",
    ];

    private void RegisterConfigCommands()
    {
        _exec.Add("configure", EnterConfig);
        _exec.Add("configure terminal", EnterConfig);
        _exec.Add("end", (c, _) => LeaveConfig(c, all: true));
        _exec.Add("exit", (c, _) => LeaveConfig(c, all: false));
        _exec.Add("terminal dont-ask", (c, _) => Terminal(c, 0, () => c.Session.DontAsk = true));
        _exec.Add("terminal password", (c, _) => Terminal(c, 1, () => c.Session.Password = c.Args[0].Text));
        _exec.Add("terminal length", (c, _) => TerminalNumber(c));
        _exec.Add("terminal width", (c, _) => TerminalNumber(c));
        _exec.Add("terminal session-timeout", (c, _) => TerminalNumber(c));
        _exec.Add("write erase", WriteErase);
        _exec.Add("write memory", (c, ct) => c.Args.Count == 0
            ? Task.FromResult(CopyRunningToStartup())
            : c.InvalidArg(0).AsTask());
        _exec.Add("reload", Reload);

        _config.Add("hostname", SetHostname);
        _config.Add("switchname", SetHostname);
        _config.Add("boot nxos", BootNxos);
        _config.Add("boot kickstart", (c, _) => BootLegacyImage(c, kickstart: true));
        _config.Add("boot system", (c, _) => BootLegacyImage(c, kickstart: false));
        _config.Add("boot poap enable", (c, _) => SetBootPoap(c, enable: true));
        _config.Add("no boot poap enable", (c, _) => SetBootPoap(c, enable: false));
        _config.Add("end", (c, _) => LeaveConfig(c, all: true));
        _config.Add("exit", (c, _) => LeaveConfig(c, all: false));
    }

    private static Task<CommandOutput> EnterConfig(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        context.Session.ConfigMode = true;
        context.Session.ConfigSubmode = false;
        return CommandOutput.Empty.AsTask();
    }

    private static Task<CommandOutput> LeaveConfig(CommandContext context, bool all)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
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
        return CommandOutput.Empty.AsTask();
    }

    private static Task<CommandOutput> Terminal(CommandContext context, int argCount, Action apply)
    {
        if (context.Args.Count != argCount)
        {
            return context.InvalidArg(argCount).AsTask();
        }
        apply();
        return CommandOutput.Empty.AsTask();
    }

    private static Task<CommandOutput> TerminalNumber(CommandContext context)
    {
        if (context.Args.Count != 1 || !uint.TryParse(context.Args[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return context.InvalidArg(context.Args.Count == 0 ? 0 : context.Args.Count == 1 ? 0 : 1).AsTask();
        }
        return CommandOutput.Empty.AsTask();
    }

    private Task<CommandOutput> WriteErase(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        const string Warning = "Warning: This command will erase the startup-configuration.\n";
        if (!context.Session.DontAsk)
        {
            // Nobody answers the prompt in a script: its default, No, is taken.
            return CommandOutput.Ok(Warning + "Do you wish to proceed anyway? (y/n)  [n] \n").AsTask();
        }
        _state.StartupConfig = null;
        return CommandOutput.Empty.AsTask();
    }

    private Task<CommandOutput> Reload(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        RequestReload(context.Session, context.Command);
        return CommandOutput.Empty.AsTask();
    }

    private CommandOutput CopyRunningToStartup()
    {
        _state.StartupConfig = [.. _state.RunningConfig];
        return CommandOutput.Ok(CopyProgress + CopyComplete);
    }

    private Task<CommandOutput> SetHostname(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count != 1)
        {
            return context.InvalidArg(context.Args.Count == 0 ? 0 : 1).AsTask();
        }
        var name = context.Args[0].Text;
        _state.Hostname = name;
        ReplaceConfigLine(l => l.StartsWith("hostname ", StringComparison.Ordinal) || l.StartsWith("switchname ", StringComparison.Ordinal), "hostname " + name);
        return CommandOutput.Empty.AsTask();
    }

    private Task<CommandOutput> BootNxos(CommandContext context, CancellationToken cancellationToken)
    {
        if (IsLegacy)
        {
            // 6.x boots a kickstart/system pair; "boot nxos" came with the single image of 7.x.
            return CommandOutput.From(CliResult.InvalidCommand(context.Command, context.Words[1].Column)).AsTask();
        }
        if (BootImageArgument(context, out var name, out var path) is { } refused)
        {
            return refused.AsTask();
        }
        if (NxosImage.TryRead(Flash, path) is null)
        {
            return CommandOutput.Fail($"Performing image verification and compatibility check, please wait....\nImage verification failed for {name}: not a valid NX-OS image").AsTask();
        }
        var variable = BootVariableFor(path);
        _state.BootVariable = variable;
        ReplaceConfigLine(IsBootNxosLine, "boot nxos " + variable);
        return CommandOutput.Ok("Performing image verification and compatibility check, please wait....\n").AsTask();
    }

    private Task<CommandOutput> SetBootPoap(CommandContext context, bool enable)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        _state.BootPoapEnabled = enable;
        _state.RunningConfig.RemoveAll(l => l.Equals("boot poap enable", StringComparison.OrdinalIgnoreCase));
        if (enable)
        {
            _state.RunningConfig.Add("boot poap enable");
        }
        return CommandOutput.Empty.AsTask();
    }

    /// <summary>A configuration line the emulation does not model: kept as typed.</summary>
    private Task<CommandOutput> AcceptConfigLineAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var line = context.Command;
        _state.RunningConfig.Add(line);
        if (SubmodeOpeners.Any(o => line.StartsWith(o, StringComparison.OrdinalIgnoreCase)))
        {
            context.Session.ConfigSubmode = true;
        }
        return CommandOutput.Empty.AsTask();
    }

    /// <summary>Applies configuration lines as config mode would (for <c>copy ... running-config</c>).</summary>
    private async Task<CommandOutput> ApplyConfigLinesAsync(CliSession caller, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var session = new CliSession(caller.CurrentDirectory) { ConfigMode = true, DontAsk = caller.DontAsk, Password = caller.Password };
        var output = new StringBuilder();
        foreach (var line in lines)
        {
            var result = await ApplyConfigLineAsync(session, line, "config", cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                continue;
            }
            if (result.Status != CliStatus.Ok)
            {
                return result;
            }
            output.Append(result.Text);
        }
        return CommandOutput.Ok(output.ToString() + CopyComplete);
    }

    /// <summary>One configuration line in a config session; null for blank lines and comments.</summary>
    private async Task<CommandOutput?> ApplyConfigLineAsync(CliSession session, string line, string mode, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var words = CommandSplitter.Tokenize(line).Where(t => t.Kind == CliTokenKind.Word).ToList();
        if (words.Count == 0 || line.TrimStart().StartsWith('!'))
        {
            return null;
        }
        session.ConfigMode = true;
        var match = _config.Match(words);
        CommandHandler handler = match.Kind == CliMatchKind.Found ? match.Handler! : AcceptConfigLineAsync;
        var context = new CommandContext(session, line.Trim(), words, match.Kind == CliMatchKind.Found ? match.Index : 0, match.Keywords, structured: false);
        var result = await handler(context, cancellationToken).ConfigureAwait(false);
        RecordCommand(line.Trim(), result.Status, result.Text, mode, json: false);
        return result;
    }

    /// <summary>The lines of a configuration file: line endings stripped, blank lines dropped.</summary>
    internal static IEnumerable<string> ConfigLines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0);

    /// <summary>The boot variable NX-OS stores for an image: <c>bootflash:/name</c>.</summary>
    private static string BootVariableFor(string flashPath) => "bootflash:/" + flashPath;

    private void ReplaceConfigLine(Predicate<string> matches, string line)
    {
        var at = _state.RunningConfig.FindIndex(matches);
        _state.RunningConfig.RemoveAll(matches);
        _state.RunningConfig.Insert(at < 0 ? _state.RunningConfig.Count : Math.Min(at, _state.RunningConfig.Count), line);
    }

    /// <summary>
    /// The image argument of <c>boot nxos|kickstart|system &lt;image&gt; [sup-1|sup-2]</c>
    /// (the supervisor word changes nothing on a one-sup box): the refusal, or null with the
    /// flash path of an existing file.
    /// </summary>
    private CommandOutput? BootImageArgument(CommandContext context, out string name, out string path)
    {
        var args = context.Args;
        name = path = "";
        if (args.Count == 0)
        {
            return context.InvalidArg(0);
        }
        if (args.Count > 2 || (args.Count == 2 && !args[1].Text.StartsWith("sup-", StringComparison.OrdinalIgnoreCase)))
        {
            return context.InvalidArg(args.Count == 2 ? 1 : 2);
        }
        name = args[0].Text;
        var resolved = ResolveFlash(name);
        var outside = name.Contains(':', StringComparison.Ordinal) ? PermissionDenied(name) : context.InvalidArg(0);
        if (resolved is null)
        {
            return outside;
        }
        try
        {
            if (!Flash.FileExists(resolved))
            {
                return NoSuchFile(name);
            }
        }
        catch (IOException e)
        {
            return FileFailure(e, name, outside);
        }
        path = resolved;
        return null;
    }
}
