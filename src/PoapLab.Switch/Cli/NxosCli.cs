using System.Text;
using System.Text.Json.Nodes;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Flash;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Cli;

/// <summary>
/// The NX-OS command line a POAP script reaches through <c>cli()</c>, <c>clip()</c> and
/// <c>clid()</c>. Each <see cref="ExecuteAsync"/> call is one vsh session: commands joined
/// with <c> ; </c> run in order, sharing the session's mode (<c>config terminal</c>) and
/// terminal settings (<c>terminal dont-ask</c>, <c>terminal password</c>); the first that
/// fails ends the chain and is the answer. Commands act on the shared
/// <see cref="SwitchState"/>; the partial files hold one concern each (copy, show,
/// configuration, install).
/// </summary>
/// <remarks>Not thread-safe: a switch runs one script, and a script one command at a time.</remarks>
public sealed partial class NxosCli
{
    private readonly SwitchState _state;
    private readonly ITransferService _transfers;
    private readonly SimClock _clock;
    private readonly IEventSink _events;
    private readonly string _eventSource;
    private readonly CliCommandTree<CommandHandler> _exec = new();
    private readonly CliCommandTree<CommandHandler> _config = new();

    public NxosCli(SwitchState state, ITransferService transfers, SimClock clock, IEventSink events, string eventSource)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(transfers);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        _state = state;
        _transfers = transfers;
        _clock = clock;
        _events = events;
        _eventSource = eventSource;
        BootedAt = clock.GetUtcNow();
        RegisterCopyCommands();
        RegisterShowCommands();
        RegisterConfigCommands();
        RegisterInstallCommands();
        RegisterInterfaceCommands();
        RegisterFileCommands();
        RegisterPersonalityCommands();
    }

    private delegate Task<CommandOutput> CommandHandler(CommandContext context, CancellationToken cancellationToken);

    /// <summary>When the switch booted (for the uptime in <c>show version</c>); the clock's time at construction unless set.</summary>
    public DateTimeOffset BootedAt { get; set; }

    /// <summary>
    /// True once a command asked the switch to reload now (<c>reload</c>, <c>install all</c>
    /// without <c>no-reload</c>). The switch's agent acts on it and calls <see cref="ClearReloadRequest"/>.
    /// </summary>
    public bool ReloadRequested { get; private set; }

    /// <summary>The command that asked for the reload.</summary>
    public string? ReloadReason { get; private set; }

    /// <summary>Raised when a command asks for a reload (after <see cref="ReloadRequested"/> is set).</summary>
    public event EventHandler? ReloadRequestedChanged;

    /// <summary>Forgets a reload request once the agent has acted on it.</summary>
    public void ClearReloadRequest()
    {
        ReloadRequested = false;
        ReloadReason = null;
    }

    /// <summary>
    /// Runs one command line as one vsh session. <paramref name="json"/> asks for the
    /// structured form (<c>clid</c>): commands that have none fail as NX-OS does.
    /// </summary>
    public async Task<CliResult> ExecuteAsync(string commandLine, bool json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var session = new Session();
        var output = new StringBuilder();
        foreach (var command in CommandSplitter.SplitCommands(commandLine))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mode = session.ConfigMode ? "config" : "exec";
            var result = await RunAsync(session, command, json, cancellationToken).ConfigureAwait(false);
            RecordCommand(command, result.Status, result.Output, mode, json);
            if (result.Status != CliStatus.Ok)
            {
                return result;
            }
            output.Append(result.Output);
            if (session.Reloading)
            {
                // The box goes down: whatever followed in the line never runs.
                break;
            }
        }
        return CliResult.Ok(output.ToString());
    }

    private async Task<CliResult> RunAsync(Session session, string command, bool json, CancellationToken cancellationToken)
    {
        var tokens = CommandSplitter.Tokenize(command);
        var stages = new List<List<CliToken>> { new() };
        foreach (var t in tokens)
        {
            if (t.Kind == CliTokenKind.Pipe)
            {
                stages.Add([]);
            }
            else
            {
                stages[^1].Add(t);
            }
        }
        var redirect = TakeRedirect(stages[^1], out var redirectError);
        if (redirectError is { } badColumn)
        {
            return badColumn < 0 ? Incomplete(command) : CliResult.InvalidCommand(command, badColumn);
        }
        var words = stages[0];
        if (words.Count == 0)
        {
            return stages.Count == 1 ? CliResult.Ok("") : CliResult.InvalidCommand(command, tokens[0].Column);
        }
        var pipeline = CliPipeline.Empty;
        if (stages.Count > 1)
        {
            var parsed = CliPipeline.TryParse(stages.Skip(1).ToArray(), command.Length, out var error);
            if (parsed is null)
            {
                return error!.Incomplete ? Incomplete(command) : CliResult.InvalidCommand(command, error.Column);
            }
            pipeline = parsed;
        }
        var format = json && pipeline.Format == CliOutputFormat.Text ? CliOutputFormat.Json : pipeline.Format;

        CliMatch<CommandHandler> match;
        if (session.ConfigMode)
        {
            match = _config.Match(words);
            if (match.Kind != CliMatchKind.Found)
            {
                // NX-OS runs exec commands from config mode too; anything else is configuration.
                var exec = _exec.Match(words);
                match = exec.Kind == CliMatchKind.Found
                    ? exec
                    : new CliMatch<CommandHandler>(CliMatchKind.Found, AcceptConfigLineAsync, 0, ["configure"]);
            }
        }
        else
        {
            match = _exec.Match(words);
        }
        switch (match.Kind)
        {
            case CliMatchKind.Unknown:
                _events.Record(
                    _eventSource,
                    EventKinds.CliUnsupported,
                    $"unsupported command: {command}",
                    ("command", command),
                    ("word", words[match.Index].Text),
                    ("mode", session.ConfigMode ? "config" : "exec"));
                return CliResult.InvalidCommand(command, words[match.Index].Column);
            case CliMatchKind.Ambiguous:
                return CliResult.Syntax($"{command}\n{new string(' ', words[match.Index].Column)}^\n% Ambiguous command at '^' marker.\n");
            case CliMatchKind.Incomplete:
                return Incomplete(command);
        }

        var context = new CommandContext(session, command, words, match.Index, match.Keywords, format != CliOutputFormat.Text);
        var outcome = await match.Handler!(context, cancellationToken).ConfigureAwait(false);
        if (outcome.Status != CliStatus.Ok)
        {
            return new CliResult(outcome.Status, outcome.Text);
        }
        var text = outcome.Text;
        if (format != CliOutputFormat.Text)
        {
            if (outcome.Data is null)
            {
                if (text.Length > 0)
                {
                    return CliResult.Exec($"% Invalid command: JSON/XML output is not supported for '{command}'\n");
                }
            }
            else
            {
                text = format == CliOutputFormat.Xml
                    ? CliJson.ToXml(outcome.Data, match.Keywords)
                    : CliJson.ToJson(outcome.Data, pretty: format == CliOutputFormat.JsonPretty);
            }
        }
        text = pipeline.Apply(text);
        return redirect is null ? CliResult.Ok(text) : WriteRedirect(redirect, text);
    }

    private void RequestReload(Session session, string reason)
    {
        session.Reloading = true;
        ReloadRequested = true;
        ReloadReason = reason;
        ReloadRequestedChanged?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>NX-OS's missing-file error; scripts test both "No such file" and "no such file".</summary>
    private static CommandOutput NoSuchFile(string name) =>
        CommandOutput.Fail($"{name}: No such file or directory\nError: no such file: {name}");

    private static CommandOutput PermissionDenied(string name) => CommandOutput.Fail($"{name}: Permission denied");

    private static CommandOutput NoSpace() => CommandOutput.Fail("No space left on device");

    /// <summary>True when <paramref name="word"/> abbreviates <paramref name="keyword"/> to at least <paramref name="minLength"/> characters.</summary>
    private static bool Abbreviates(string word, string keyword, int minLength = 1) =>
        word.Length >= minLength && keyword.StartsWith(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A flash path typed on the CLI, relative to the flash (<c>""</c>: the flash itself); null
    /// when it is not on bootflash or names its way out of it. Parsing only: whether the
    /// path stays inside the flash once links are followed is the kernel's answer, given when
    /// <see cref="Flash"/> uses it (<see cref="SwitchFileError.OutsideTree"/>).
    /// </summary>
    private string? ResolveFlash(string path) =>
        path.StartsWith("bootflash:", StringComparison.OrdinalIgnoreCase) || path.StartsWith("/bootflash", StringComparison.Ordinal)
            ? _state.Bootflash.ToRelative(path)
            : null;

    /// <summary>The flash's files: every file operation of the CLI goes through it.</summary>
    private FileTree Flash => _state.Bootflash.Files;

    /// <summary>Files the CLI writes carry the switch's time, not the host's.</summary>
    private void Touch(string flashPath)
    {
        try
        {
            Flash.SetModified(flashPath, _clock.GetUtcNow());
        }
        catch (SwitchFileException)
        {
            // Gone or swapped since it was written: the script's doing, and no time to set.
        }
    }

    /// <summary>True when a regular file is there; false when not, or when the path leaves the flash.</summary>
    private bool FlashFileExists(string flashPath)
    {
        try
        {
            return Flash.FileExists(flashPath);
        }
        catch (SwitchFileException)
        {
            return false;
        }
    }

    /// <summary>The directory part of a flash-relative path (<c>""</c>: the flash itself).</summary>
    private static string ParentOf(string flashPath)
    {
        var slash = flashPath.LastIndexOf('/');
        return slash < 0 ? "" : flashPath[..slash];
    }

    private static string NameOf(string flashPath) => flashPath[(flashPath.LastIndexOf('/') + 1)..];

    private static string JoinFlash(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;

    /// <summary>
    /// What NX-OS prints when a file operation fails: <paramref name="outside"/> when the path
    /// leaves the flash (what the command prints for a path that is not on bootflash at all).
    /// </summary>
    private static CommandOutput FileFailure(IOException e, string name, CommandOutput outside) => e switch
    {
        SwitchFileException f => f.Kind switch
        {
            SwitchFileError.NotFound or SwitchFileError.NotDirectory => NoSuchFile(name),
            SwitchFileError.OutsideTree => outside,
            SwitchFileError.NoSpace => NoSpace(),
            SwitchFileError.IsDirectory => CommandOutput.Fail($"{name}: Is a directory"),
            SwitchFileError.TooLarge => CommandOutput.Fail($"{name}: File too large"),
            _ => PermissionDenied(name),
        },
        // A write the filesystem refused (a bounded flash that is full: ENOSPC, errno 28).
        _ when e.HResult == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => NoSpace(),
        _ => PermissionDenied(name),
    };

    private static CliResult Incomplete(string command) =>
        CliResult.Syntax($"{command}\n{new string(' ', command.Length + 1)}^\n% Incomplete command at '^' marker.\n");

    private static string FirstLine(string output)
    {
        var end = output.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? output : output[..end];
    }

    /// <summary>What one vsh session remembers between the commands of a line.</summary>
    /// <summary>One <see cref="EventKinds.CliCommand"/> event per command, passwords masked (the timeline and cli.log are shared).</summary>
    private void RecordCommand(string command, CliStatus status, string output, string mode, bool json)
    {
        var shown = Redact(command);
        _events.Record(_eventSource, EventKinds.CliCommand, $"{shown} -> {status}",
            ("command", shown), ("status", status), ("output", FirstLine(output)), ("mode", mode), ("json", json));
    }

    /// <summary>Masks what follows <c>password</c> (and an encryption type digit), as NX-OS hides it in accounting logs.</summary>
    public static string Redact(string command) => PasswordPattern().Replace(command, "$1$2*****");

    [System.Text.RegularExpressions.GeneratedRegex(@"(\bpassword)(\s+(?:[0-9]\s+)?)(\S+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex PasswordPattern();

    private sealed class Session
    {
        public bool ConfigMode { get; set; }

        /// <summary>Inside <c>interface ...</c> and the like: <c>exit</c> leaves only that.</summary>
        public bool ConfigSubmode { get; set; }

        public bool DontAsk { get; set; }

        public string? Password { get; set; }

        public bool Reloading { get; set; }
    }

    /// <summary>A command as its handler sees it.</summary>
    private sealed class CommandContext(
        Session session, string command, IReadOnlyList<CliToken> words, int argStart, IReadOnlyList<string> keywords, bool structured)
    {
        public Session Session { get; } = session;

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
                : CommandOutput.From(Incomplete(Command));
    }

    /// <summary>What a handler produced: text, and for commands that have one, the structured form.</summary>
    private sealed record CommandOutput(CliStatus Status, string Text, JsonObject? Data = null)
    {
        public static CommandOutput Empty { get; } = new(CliStatus.Ok, "");

        public static CommandOutput Ok(string text, JsonObject? data = null) => new(CliStatus.Ok, text, data);

        public static CommandOutput Fail(string text) => new(CliStatus.ExecError, text.EndsWith('\n') ? text : text + "\n");

        public static CommandOutput From(CliResult result) => new(result.Status, result.Output);

        public Task<CommandOutput> AsTask() => Task.FromResult(this);
    }
}
