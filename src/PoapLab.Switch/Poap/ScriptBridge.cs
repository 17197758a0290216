using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Poap;

/// <summary>
/// Connects a running script to the switch: its CLI, its syslog, its clock. What a script can
/// make PoapLab record is bounded (a script that logs in a loop must not fill the host's disk or
/// memory): a syslog message is cut at <see cref="MaxSyslogChars"/> characters, and one run
/// records at most <see cref="MaxSyslogMessages"/> messages, <see cref="MaxSleepEvents"/> sleep
/// events and <see cref="MaxTranscriptBytes"/> of CLI transcript, each with a note where it stops.
/// </summary>
internal sealed class ScriptBridge(NxosCli cli, SwitchLog log, SimClock clock, IEventSink events, string source, string transcriptPath, Action<int>? afterCommand = null) : IScriptBridge
{
    public const int MaxSyslogChars = 1024;
    public const int MaxSyslogMessages = 10_000;
    public const int MaxSleepEvents = 10_000;
    public const long MaxTranscriptBytes = 16L << 20;

    private readonly Lock _transcriptGate = new();

    private int _commands;
    private int _syslogs;
    private int _sleeps;
    private long _transcribed;

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>Set when the switch has lost power: nothing the script asks for happens any more.</summary>
    public bool PoweredOff { get; set; }

    public async Task<CliResult> CliAsync(string command, bool json, CancellationToken cancellationToken)
    {
        if (PoweredOff)
        {
            return CliResult.Exec("");
        }
        var result = await cli.ExecuteAsync(command, json, cancellationToken).ConfigureAwait(false);
        Transcribe(command, json, result);
        if (result.Status is CliStatus.SyntaxError or CliStatus.ExecError)
        {
            LastRefusedCommand = ScriptFailure.Refused(NxosCli.Redact(command), result.Output);
        }
        afterCommand?.Invoke(Interlocked.Increment(ref _commands));
        if (PoweredOff)
        {
            // The box went down under this command (a reload, a power loss): the script never
            // hears back; it is killed while it waits, and the wait ends with the bridge.
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// Every command the script issued with its whole output and how it ended, as an engineer
    /// would read it at the console (passwords masked).
    /// </summary>
    private void Transcribe(string command, bool json, CliResult result)
    {
        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{clock.Elapsed:hh\\:mm\\:ss\\.fff}] switch# {NxosCli.Redact(command)}{(json ? "   (clid)" : "")}\n{result.Output}{(result.Output.EndsWith('\n') || result.Output.Length == 0 ? "" : "\n")}--- {result.Status}\n");
        lock (_transcriptGate)
        {
            if (_transcribed > MaxTranscriptBytes)
            {
                return;
            }
            _transcribed += text.Length;
            File.AppendAllText(transcriptPath, _transcribed > MaxTranscriptBytes
                ? $"--- transcript cut here: the script's commands passed {MaxTranscriptBytes >> 20} MiB of text; the rest are in the event timeline\n"
                : text);
        }
    }

    /// <summary>The script's last syslog message: usually why it gave up.</summary>
    public string? LastSyslog { get; private set; }

    /// <summary>
    /// The script's last syslog message that reports a failure (<see cref="ScriptFailure.Weight"/>):
    /// a bare abort notice does not replace the error it follows.
    /// </summary>
    public string? LastErrorSyslog { get; private set; }

    private int _lastErrorWeight;

    /// <summary>The last command the switch refused the script, with its answer (<see cref="ScriptFailure.Refused"/>).</summary>
    public string? LastRefusedCommand { get; private set; }

    public void Syslog(int priority, string message)
    {
        var count = Interlocked.Increment(ref _syslogs);
        if (count > MaxSyslogMessages + 1)
        {
            return;
        }
        if (count == MaxSyslogMessages + 1)
        {
            message = $"(PoapLab: the script sent more than {MaxSyslogMessages} syslog messages; the rest are not recorded)";
        }
        else if (message.Length > MaxSyslogChars)
        {
            message = message[..MaxSyslogChars] + $"... ({message.Length - MaxSyslogChars} more characters)";
        }
        LastSyslog = message;
        var weight = ScriptFailure.Weight(message);
        if (weight > 0 && weight >= _lastErrorWeight)
        {
            LastErrorSyslog = message;
            _lastErrorWeight = weight;
        }
        log.ScriptSyslog(priority, message);
        events.Record(source, EventKinds.ScriptSyslog, message, ("priority", priority), ("message", message));
    }

    public async Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        await clock.SleepAsync(duration, cancellationToken).ConfigureAwait(false);
        if (Interlocked.Increment(ref _sleeps) <= MaxSleepEvents)
        {
            events.Record(source, EventKinds.ScriptSleep, $"script slept {duration.TotalSeconds:0.###} s", ("seconds", duration.TotalSeconds));
        }
    }
}
