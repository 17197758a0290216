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

    /// <summary>What config mode does with a line no family knows (one family sets it).</summary>
    public CommandHandler? ConfigFallback { get; private set; }

    /// <summary>Sets <see cref="ConfigFallback"/>; a second family setting it is a wiring mistake.</summary>
    public void OtherConfigLines(CommandHandler handler)
    {
        if (ConfigFallback is not null)
        {
            throw new InvalidOperationException("Two families claim the configuration lines no command knows.");
        }
        ConfigFallback = handler;
    }
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

    /// <summary>When the switch booted (the uptime of <c>show version</c>).</summary>
    public DateTimeOffset BootedAt { get; set; } = clock.GetUtcNow();

    /// <summary>How long the switch has been up (never negative).</summary>
    public TimeSpan Uptime
    {
        get
        {
            var uptime = Clock.GetUtcNow() - BootedAt;
            return uptime < TimeSpan.Zero ? TimeSpan.Zero : uptime;
        }
    }

    /// <summary>Asks the switch to reload now (<c>reload</c>, <c>install all</c> without <c>no-reload</c>).</summary>
    public Action<CliSession, string> RequestReload { get; set; } = (_, _) => { };

    /// <summary>
    /// Applies one configuration line in a config session, as config mode would (recorded like a
    /// typed command under <c>mode</c>); null for blank lines and comments.
    /// </summary>
    public Func<CliSession, string, string, CancellationToken, Task<CommandOutput?>> ApplyConfigLine { get; set; } =
        (_, _, _, _) => Task.FromResult<CommandOutput?>(null);

    /// <summary>
    /// A bootflash path typed on the CLI, relative to the flash (<c>""</c>: the flash itself); null
    /// when it is not on bootflash or names its way out of it. Parsing only: whether the path
    /// stays inside once links are followed is the kernel's answer (<see cref="SwitchFileError.OutsideTree"/>).
    /// </summary>
    public string? ResolveFlash(string path) =>
        path.StartsWith("bootflash:", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/bootflash", StringComparison.Ordinal)
            ? State.Bootflash.ToRelative(path)
            : null;

    /// <summary>A path typed on the CLI on any of the switch's filesystems, bare names in the session's current directory; null: none.</summary>
    public NxosPath? Resolve(string path, CliSession session) => Filesystems.Resolve(path, session.CurrentDirectory);

    /// <summary>True when a regular file is on bootflash there; false when not, or when the path leaves the flash.</summary>
    public bool FlashFileExists(string flashPath)
    {
        try
        {
            return State.Bootflash.Files.FileExists(flashPath);
        }
        catch (SwitchFileException)
        {
            return false;
        }
    }

    /// <summary>Files the CLI writes carry the switch's time, not the host's.</summary>
    public void Touch(NxosPath path)
    {
        try
        {
            path.Filesystem.Files.SetModified(path.Relative, Clock.GetUtcNow());
        }
        catch (SwitchFileException)
        {
            // Gone or swapped since it was written: the script's doing, and no time to set.
        }
    }
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
            : CommandOutput.From(CliText.Incomplete(Command));

    /// <summary>The command itself rejected at its first word (a release without it).</summary>
    public CommandOutput Unknown() => CommandOutput.From(CliResult.InvalidCommand(Command, Words[0].Column));

    /// <summary>The command rejected at its <paramref name="index"/>th word (a keyword the release lacks).</summary>
    public CommandOutput UnknownAt(int index) => CommandOutput.From(CliResult.InvalidCommand(Command, Words[index].Column));

    /// <summary>A command that takes no arguments: its output, or the parser's refusal of the first extra word.</summary>
    public Task<CommandOutput> NoArgs(Func<CommandOutput> run) => (Args.Count == 0 ? run() : InvalidArg(0)).AsTask();
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
