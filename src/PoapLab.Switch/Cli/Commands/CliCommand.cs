using System.Text.Json.Nodes;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Flash;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>One command: what it is given, what it answers.</summary>
internal delegate Task<CommandOutput> CommandHandler(CommandContext context, CancellationToken cancellationToken);

/// <summary>
/// A family of commands (<c>show logging</c>, the file commands, ...): one file under
/// <c>Cli/Commands/</c>, listed once in <see cref="CommandFamilies"/>. Adding a command is
/// that file and its test.
/// </summary>
internal interface ICommandFamily
{
    /// <summary>Puts the family's commands into the exec and config trees.</summary>
    void Register(CommandTable table);
}

/// <summary>The keywords of both modes, as the families fill them.</summary>
internal sealed class CommandTable(CliCommandTree<CommandHandler> exec, CliCommandTree<CommandHandler> config)
{
    /// <summary>A command of exec mode (also reachable from config mode, as on NX-OS).</summary>
    public void Exec(string keywords, CommandHandler handler) => exec.Add(keywords, handler);

    /// <summary>A command of config mode.</summary>
    public void Config(string keywords, CommandHandler handler) => config.Add(keywords, handler);
}

/// <summary>What the commands act on: the switch's state, filesystems, clock, servers and logs.</summary>
internal sealed class CliDevice(SwitchState state, ITransferService transfers, SimClock clock, IEventSink events, string eventSource)
{
    public SwitchState State { get; } = state;

    public ITransferService Transfers { get; } = transfers;

    public SimClock Clock { get; } = clock;

    public IEventSink Events { get; } = events;

    public string EventSource { get; } = eventSource;

    public NxosFilesystems Filesystems => State.Filesystems;

    /// <summary>What the management port has carried (<c>show interface mgmt0</c>'s counters).</summary>
    public ManagementTraffic Management { get; } = new();

    /// <summary>The switch's syslog file (its logfile, what <c>show logging</c> prints), or null when there is none.</summary>
    public string? SyslogPath { get; set; }

    /// <summary><c>show version</c>'s output (<c>show hardware</c> starts with it).</summary>
    public Func<CancellationToken, Task<CommandOutput>> ShowVersion { get; set; } = _ => Task.FromResult(CommandOutput.Empty);

    /// <summary>Asks the switch to reload now (<c>reload</c>, <c>install all</c> without <c>no-reload</c>).</summary>
    public Action<CliSession, string> RequestReload { get; set; } = (_, _) => { };
}

/// <summary>
/// What one vsh session remembers between the commands of a line: its mode, terminal
/// settings and current directory. Each <c>cli()</c> call is a session of its own, so none
/// of this outlives the line (Cisco's NX-OS Python API: commands of one call are joined
/// with <c> ; </c> to share a mode).
/// </summary>
internal sealed class CliSession(NxosPath currentDirectory)
{
    public bool ConfigMode { get; set; }

    /// <summary>Inside <c>interface ...</c> and the like: <c>exit</c> leaves only that.</summary>
    public bool ConfigSubmode { get; set; }

    public bool DontAsk { get; set; }

    public string? Password { get; set; }

    public bool Reloading { get; set; }

    /// <summary>Where bare file names are (<c>cd</c>, <c>pwd</c>); <c>bootflash:</c> at the start.</summary>
    public NxosPath CurrentDirectory { get; set; } = currentDirectory;
}

/// <summary>A command as its handler sees it.</summary>
internal sealed class CommandContext(
    CliSession session, string command, IReadOnlyList<CliToken> words, int argStart, IReadOnlyList<string> keywords, bool structured)
{
    public CliSession Session { get; } = session;

    /// <summary>The command as typed (without the other commands of the line).</summary>
    public string Command { get; } = command;

    public IReadOnlyList<CliToken> Words { get; } = words;

    public IReadOnlyList<string> Keywords { get; } = keywords;

    /// <summary>The caller asked for JSON or XML.</summary>
    public bool Structured { get; } = structured;

    /// <summary>The words after the command's keywords.</summary>
    public IReadOnlyList<CliToken> Args { get; } = [.. words.Skip(argStart)];

    /// <summary>NX-OS's answer when the parser rejects the word at <paramref name="argIndex"/> (past the end: incomplete).</summary>
    public CommandOutput InvalidArg(int argIndex) =>
        argIndex < Args.Count
            ? CommandOutput.From(CliResult.InvalidCommand(Command, Args[argIndex].Column))
            : CommandOutput.From(NxosCli.Incomplete(Command));

    /// <summary>The command itself rejected at its first word (a release without it).</summary>
    public CommandOutput Unknown() => CommandOutput.From(CliResult.InvalidCommand(Command, Words[0].Column));
}

/// <summary>What a handler produced: text, and for commands that have one, the structured form.</summary>
internal sealed record CommandOutput(CliStatus Status, string Text, JsonObject? Data = null)
{
    public static CommandOutput Empty { get; } = new(CliStatus.Ok, "");

    public static CommandOutput Ok(string text, JsonObject? data = null) => new(CliStatus.Ok, text, data);

    /// <summary>One record, rendered both ways: its text and its <c>clid</c> JSON come from the same fields.</summary>
    public static CommandOutput Ok(CliRecord record) => new(CliStatus.Ok, record.ToText(), record.ToJson());

    public static CommandOutput Fail(string text) => new(CliStatus.ExecError, text.EndsWith('\n') ? text : text + "\n");

    public static CommandOutput From(CliResult result) => new(result.Status, result.Output);

    public Task<CommandOutput> AsTask() => Task.FromResult(this);
}
