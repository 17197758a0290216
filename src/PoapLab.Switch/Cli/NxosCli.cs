using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.State;
using PoapLab.Switch.Cli.Commands;
using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Cli;

/// <summary>
/// The NX-OS command line a POAP script reaches through <c>cli()</c>, <c>clip()</c> and
/// <c>clid()</c>: the dispatcher. Each <see cref="ExecuteAsync"/> call is one vsh session:
/// commands joined with <c> ; </c> run in order, sharing the session's mode (<c>config
/// terminal</c>), terminal settings and current directory; the first that fails ends the chain
/// and is the answer. A command's words are matched against the table the command families of
/// <c>Cli/Commands/</c> fill (<see cref="CommandFamilies"/>); its handler answers one output
/// record, which this class renders as text, JSON or XML, filters (<c>| grep</c>, ...) and
/// redirects (<c>&gt; file</c>).
/// </summary>
/// <remarks>Not thread-safe: a switch runs one script, and a script one command at a time.</remarks>
public sealed partial class NxosCli
{
    private readonly SwitchState _state;
    private readonly IEventSink _events;
    private readonly string _eventSource;
    private readonly CliCommandTree<CommandHandler> _exec = new();
    private readonly CliCommandTree<CommandHandler> _config = new();
    private readonly CommandHandler _otherConfigLines;
    private readonly CliDevice _device;

    public NxosCli(SwitchState state, ITransferService transfers, SimClock clock, IEventSink events, string eventSource)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(transfers);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        _state = state;
        _events = events;
        _eventSource = eventSource;
        _device = new CliDevice(state, transfers, clock, events, eventSource) { RequestReload = RequestReload, ApplyConfigLine = ApplyConfigLineAsync };
        var table = new CommandTable(_exec, _config);
        foreach (var family in CommandFamilies.Create(_device))
        {
            family.Register(table);
        }
        _otherConfigLines = table.ConfigFallback ?? throw new InvalidOperationException("No family takes the configuration lines no command knows.");
    }

    /// <summary>The switch's syslog file, which <c>show logging</c> prints (POAP's own lines included); null: an empty log.</summary>
    public string? SyslogPath
    {
        get => _device.SyslogPath;
        set => _device.SyslogPath = value;
    }

    /// <summary>When the switch booted (for the uptime in <c>show version</c>); the clock's time at construction unless set.</summary>
    public DateTimeOffset BootedAt
    {
        get => _device.BootedAt;
        set => _device.BootedAt = value;
    }

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
        var session = new CliSession(_state.Filesystems.Home);
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

    private async Task<CliResult> RunAsync(CliSession session, string command, bool json, CancellationToken cancellationToken)
    {
        var tokens = CommandSplitter.Tokenize(command);
        if (BashCommands.IsRunBash(tokens))
        {
            // The rest of the line is the shell's: its pipes and redirections are not the CLI's.
            tokens = [.. tokens.Select(t => t.Kind == CliTokenKind.Pipe ? t with { Kind = CliTokenKind.Word } : t)];
        }
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
        int? redirectError = null;
        var redirect = BashCommands.IsRunBash(tokens) ? null : CliRedirect.Take(stages[^1], out redirectError);
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
                    : new CliMatch<CommandHandler>(CliMatchKind.Found, _otherConfigLines, 0, ["configure"]);
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
        if (outcome.Status == CliStatus.Shell && (format != CliOutputFormat.Text))
        {
            return CliResult.Exec($"% Invalid command: JSON/XML output is not supported for '{command}'\n");
        }
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
        return redirect is null ? CliResult.Ok(text) : redirect.Write(_device, text, session);
    }

    private void RequestReload(CliSession session, string reason)
    {
        session.Reloading = true;
        ReloadRequested = true;
        ReloadReason = reason;
        ReloadRequestedChanged?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>
    /// Replays configuration at boot (the startup-config, or the scheduled-config after a
    /// POAP reload, the post-installation reload phase of Cisco's POAP chapter): every line in one config session, as the switch does.
    /// Unlike <c>copy ... running-config</c> a rejected line does not stop the replay.
    /// </summary>
    /// <returns>The lines that were rejected, with what the CLI said.</returns>
    public async Task<IReadOnlyList<(string Line, CliResult Result)>> ReplayConfigAsync(IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var session = new CliSession(_state.Filesystems.Home) { ConfigMode = true, DontAsk = true };
        var rejected = new List<(string, CliResult)>();
        foreach (var line in lines)
        {
            var result = await ApplyConfigLineAsync(session, line, "replay", cancellationToken).ConfigureAwait(false);
            if (result is not null && result.Status != CliStatus.Ok)
            {
                rejected.Add((line, new CliResult(result.Status, result.Text)));
            }
        }
        return rejected;
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
        var handler = match.Kind == CliMatchKind.Found ? match.Handler! : _otherConfigLines;
        var context = new CommandContext(session, line.Trim(), words, match.Kind == CliMatchKind.Found ? match.Index : 0, match.Keywords, structured: false);
        var result = await handler(context, cancellationToken).ConfigureAwait(false);
        RecordCommand(line.Trim(), result.Status, result.Text, mode, json: false);
        return result;
    }

    private static CliResult Incomplete(string command) => CliText.Incomplete(command);

    private static string FirstLine(string output)
    {
        var end = output.IndexOf('\n', StringComparison.Ordinal);
        return end < 0 ? output : output[..end];
    }

    /// <summary>One <see cref="EventKinds.CliCommand"/> event per command, passwords masked (the timeline and cli.log are shared).</summary>
    private void RecordCommand(string command, CliStatus status, string output, string mode, bool json)
    {
        var shown = Redact(command);
        _events.Record(_eventSource, EventKinds.CliCommand, $"{shown} -> {status}",
            ("command", shown), ("status", status), ("output", FirstLine(output)), ("mode", mode), ("json", json));
    }

    /// <summary>Masks what follows <c>password</c> (and an encryption type digit), as NX-OS hides it in accounting logs.</summary>
    public static string Redact(string command) => PasswordPattern().Replace(command, "$1$2*****");

    // The secret ends where the command does: at white space or an unquoted ";" (CommandSplitter
    // splits there), so an empty password never makes the transcript mask the next command.
    [System.Text.RegularExpressions.GeneratedRegex(@"(\bpassword)([ \t]+(?:[0-9][ \t]+)?)((?:""[^""]*""|'[^']*'|[^\s;""'])+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex PasswordPattern();
}
