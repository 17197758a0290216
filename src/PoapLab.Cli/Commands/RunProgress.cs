using System.Globalization;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Model;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PoapLab.Cli.Commands;

/// <summary>
/// The state of a run as the live display shows it: how many scenarios are done of how many,
/// and each running switch with its phase (from its events, on its own clock) and the transfer
/// it is in. Fed from the scenarios' threads; read by the display.
/// </summary>
internal sealed class RunProgress(int total)
{
    /// <summary>The most running switches listed; the rest are counted.</summary>
    public const int MaxRows = 12;

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Scenario, string Switch), SwitchState> _running = [];
    private int _done;
    private int _failed;

    /// <summary>One running switch: its phase, what it is doing, its own clock.</summary>
    public sealed record SwitchState(string Phase, string Detail, TimeSpan SwitchTime)
    {
        /// <summary>How far the copy in flight is (e.g. <c>50% of 8.0 MiB</c>), or empty.</summary>
        public string Progress { get; init; } = "";
    }

    public int Total => total;

    public int Done { get { lock (_gate) { return _done; } } }

    /// <summary>Takes in one event of a scenario.</summary>
    public void Observe(Scenario scenario, LabEvent e)
    {
        if (e.Switch is null)
        {
            return;
        }
        var key = (scenario.Name, e.Switch);
        lock (_gate)
        {
            _running.TryGetValue(key, out var was);
            var phase = PhaseOf(e, was?.Phase);
            if (e.Kind == EventKinds.TransferProgress && was is not null)
            {
                _running[key] = was with { SwitchTime = e.VirtualTime, Progress = ProgressOf(e) };
                return;
            }
            if (phase is null)
            {
                if (was is not null)
                {
                    _running[key] = was with { SwitchTime = e.VirtualTime };
                }
                return;
            }
            if (phase.Length == 0)
            {
                _running.Remove(key);
                return;
            }
            _running[key] = new SwitchState(phase, Detail(e) ?? (was?.Phase == phase ? was.Detail : ""), e.VirtualTime);
        }
    }

    /// <summary>A scenario finished: its switches leave the display.</summary>
    public void Finished(string scenario, bool failed)
    {
        lock (_gate)
        {
            _done++;
            _failed += failed ? 1 : 0;
            foreach (var key in _running.Keys.Where(k => k.Scenario == scenario).ToList())
            {
                _running.Remove(key);
            }
        }
    }

    /// <summary>The running switches, longest-running scenario first.</summary>
    public IReadOnlyList<(string Scenario, string Switch, SwitchState State)> Running()
    {
        lock (_gate)
        {
            return [.. _running.Select(kv => (kv.Key.Scenario, kv.Key.Switch, kv.Value)).OrderBy(x => x.Scenario, StringComparer.Ordinal).ThenBy(x => x.Switch, StringComparer.Ordinal)];
        }
    }

    /// <summary>The live display: the count, then a table of the running switches.</summary>
    public IRenderable Render()
    {
        int done, failed;
        lock (_gate)
        {
            done = _done;
            failed = _failed;
        }
        var running = Running();
        var table = new Table().Border(TableBorder.Simple).AddColumns("scenario", "switch", "phase", "switch time", "doing");
        foreach (var (scenario, sw, state) in running.Take(MaxRows))
        {
            table.AddRow(Markup.Escape(scenario), Markup.Escape(sw), $"[blue]{Markup.Escape(state.Phase)}[/]",
                state.SwitchTime.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture), Markup.Escape(Cut(state.Detail, 48) + (state.Progress.Length > 0 ? " · " + state.Progress : "")));
        }
        var head = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]{done}/{total}[/] scenarios done{(failed > 0 ? $", [red]{failed} failed[/]" : "")} · {running.Count} switch(es) running{(running.Count > MaxRows ? $" ({running.Count - MaxRows} not shown)" : "")}"));
        return running.Count == 0 ? head : new Rows(head, table);
    }

    /// <summary>The phase an event puts a switch in; null: no change; empty: the switch is done.</summary>
    internal static string? PhaseOf(LabEvent e, string? current) => e.Kind switch
    {
        EventKinds.SwitchBoot => "boot",
        EventKinds.DhcpDiscoverSent or EventKinds.Dhcp6SolicitSent => "DHCP",
        EventKinds.ScriptDownloadStarted => "script download",
        EventKinds.ScriptStarted => "script run",
        EventKinds.TransferStarted when current == "script run" => "transfer",
        EventKinds.TransferCompleted or EventKinds.TransferFailed when current == "transfer" => "script run",
        EventKinds.Reload => "reload",
        EventKinds.ConfigReplayed => "replay",
        EventKinds.PoapAttemptFailed => "retry",
        EventKinds.PoapCompleted or EventKinds.PoapGaveUp or EventKinds.PoapAborted => "",
        _ => null,
    };

    private static string? Detail(LabEvent e) => e.Kind switch
    {
        EventKinds.TransferStarted or EventKinds.ScriptDownloadStarted or EventKinds.Reload or EventKinds.PoapAttemptFailed or EventKinds.SwitchBoot => e.Message,
        _ => null,
    };

    /// <summary>A progress event as the display says it: <c>50% of 8.0 MiB</c>, or <c>128.0 MiB</c> when no size was announced.</summary>
    internal static string ProgressOf(LabEvent e)
    {
        static string MiB(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");
        var bytes = long.TryParse(e.Get("bytes"), NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b : 0;
        return long.TryParse(e.Get("size"), NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Min(100, bytes * 100 / size)}% of {MiB(size)}")
            : MiB(bytes);
    }

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
