using System.Collections.Concurrent;
using PoapLab.Core.Time;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

/// <summary>The switch side of the bridge as a recorder with scriptable CLI answers.</summary>
internal sealed class FakeScriptBridge : IScriptBridge
{
    public FakeScriptBridge(SimClock clock)
    {
        Clock = clock;
    }

    public SimClock Clock { get; }

    /// <summary>Answers each command; the default answers "ok" with no output.</summary>
    public Func<string, bool, CliResult> Answer { get; set; } = (_, _) => CliResult.Ok("");

    /// <summary>A sleep of exactly this length blocks until the run ends (a switch that never wakes).</summary>
    public TimeSpan? BlockingSleep { get; set; }

    public ConcurrentQueue<(string Command, bool Json)> CliCalls { get; } = new();

    public ConcurrentQueue<(int Priority, string Message)> SyslogCalls { get; } = new();

    public ConcurrentQueue<TimeSpan> Sleeps { get; } = new();

    public DateTimeOffset Now => Clock.GetUtcNow();

    private int _inFlight;
    private int _maxConcurrentCli;

    /// <summary>The most CLI commands that were being handled at the same moment (the switch runs one at a time).</summary>
    public int MaxConcurrentCli => Volatile.Read(ref _maxConcurrentCli);

    public Task<CliResult> CliAsync(string command, bool json, CancellationToken cancellationToken)
    {
        var now = Interlocked.Increment(ref _inFlight);
        try
        {
            int seen;
            while (now > (seen = Volatile.Read(ref _maxConcurrentCli)) && Interlocked.CompareExchange(ref _maxConcurrentCli, now, seen) != seen)
            {
            }
            CliCalls.Enqueue((command, json));
            return Task.FromResult(Answer(command, json));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public void Syslog(int priority, string message) => SyslogCalls.Enqueue((priority, message));

    public async Task SleepAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        Sleeps.Enqueue(duration);
        if (duration == BlockingSleep)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        await Clock.SleepAsync(duration, cancellationToken);
    }
}
