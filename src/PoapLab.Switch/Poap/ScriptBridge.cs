using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Poap;

/// <summary>Connects a running script to the switch: its CLI, its syslog, its clock.</summary>
internal sealed class ScriptBridge(NxosCli cli, SwitchLog log, SimClock clock, IEventSink events, string source, string transcriptPath, Action<int>? afterCommand = null) : IScriptBridge
{
    private readonly Lock _transcriptGate = new();

    private int _commands;

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
        afterCommand?.Invoke(Interlocked.Increment(ref _commands));
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
            File.AppendAllText(transcriptPath, text);
        }
    }

    /// <summary>The script's last syslog message: usually why it gave up.</summary>
    public string? LastSyslog { get; private set; }

    public void Syslog(int priority, string message)
    {
        LastSyslog = message;
        log.ScriptSyslog(priority, message);
        events.Record(source, EventKinds.ScriptSyslog, message, ("priority", priority), ("message", message));
    }

    public async Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        await clock.SleepAsync(duration, cancellationToken).ConfigureAwait(false);
        events.Record(source, EventKinds.ScriptSleep, $"script slept {duration.TotalSeconds:0.###} s", ("seconds", duration.TotalSeconds));
    }
}
