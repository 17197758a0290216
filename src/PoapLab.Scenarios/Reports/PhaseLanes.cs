using PoapLab.Core.Events;

namespace PoapLab.Scenarios.Reports;

/// <summary>One lane of a switch's timeline picture: a POAP phase.</summary>
public enum PhaseLane
{
    /// <summary>DHCP (or DHCPv6) discovery up to the lease.</summary>
    Dhcp,
    /// <summary>The script's download and its <c>#md5sum</c> check.</summary>
    ScriptDownload,
    /// <summary>The script running, with its CLI calls.</summary>
    ScriptRun,
    /// <summary>The copies the script makes (images, configurations).</summary>
    Transfer,
    /// <summary>From the reload to the next boot.</summary>
    Reload,
    /// <summary>The configuration replayed after the boot.</summary>
    Replay,
}

/// <summary>A span of a lane, in the switch's own time.</summary>
/// <param name="Failed">It ended in a failure (timeout, failed download, non-zero exit, ...).</param>
/// <param name="Open">It never ended: the run stopped inside it.</param>
public sealed record PhaseSpan(PhaseLane Lane, TimeSpan Start, TimeSpan End, string Label, bool Failed, bool Open);

/// <summary>A point on the timeline: a CLI call (on the lane it ran in), an attempt, a failure.</summary>
public sealed record PhaseMark(PhaseLane Lane, TimeSpan At, string Label, PhaseMarkKind Kind);

/// <summary>What a <see cref="PhaseMark"/> is.</summary>
public enum PhaseMarkKind
{
    /// <summary>A command the script (or the replay) ran.</summary>
    Cli,
    /// <summary>A POAP attempt begins.</summary>
    Attempt,
    /// <summary>Something failed here.</summary>
    Failure,
}

/// <summary>
/// Turns a switch's own events (each stamped with its clock) into the spans and marks of its
/// timeline picture. Events outside the phases (syslog lines, server answers) are not drawn.
/// </summary>
public static class PhaseLanes
{
    /// <summary>The lanes' names as the picture shows them.</summary>
    public static string Name(PhaseLane lane) => lane switch
    {
        PhaseLane.Dhcp => "DHCP",
        PhaseLane.ScriptDownload => "script download",
        PhaseLane.ScriptRun => "script run",
        PhaseLane.Transfer => "image transfer",
        PhaseLane.Reload => "reload",
        _ => "replay",
    };

    /// <summary>The spans and marks of <paramref name="events"/> (one switch's, in order), closed at <paramref name="end"/> when the run stopped inside one.</summary>
    public static (IReadOnlyList<PhaseSpan> Spans, IReadOnlyList<PhaseMark> Marks) Build(IEnumerable<LabEvent> events, TimeSpan end)
    {
        var spans = new List<PhaseSpan>();
        var marks = new List<PhaseMark>();
        var open = new Dictionary<PhaseLane, (TimeSpan Start, string Label)>();
        var last = TimeSpan.Zero;
        var reloaded = false;
        var lastLane = PhaseLane.Dhcp;

        void Open(PhaseLane lane, TimeSpan at, string label)
        {
            if (!open.ContainsKey(lane))
            {
                open[lane] = (at, label);
                lastLane = lane;
            }
        }
        void Close(PhaseLane lane, TimeSpan at, bool failed, string? label = null)
        {
            if (open.Remove(lane, out var o))
            {
                spans.Add(new PhaseSpan(lane, o.Start, at, label ?? o.Label, failed, Open: false));
            }
        }

        foreach (var e in events)
        {
            var t = e.VirtualTime;
            last = t > last ? t : last;
            switch (e.Kind)
            {
                case EventKinds.PoapAttempt:
                    marks.Add(new PhaseMark(PhaseLane.Dhcp, t, e.Message, PhaseMarkKind.Attempt));
                    break;
                case EventKinds.DhcpDiscoverSent or EventKinds.Dhcp6SolicitSent:
                    Open(PhaseLane.Dhcp, t, e.Kind == EventKinds.Dhcp6SolicitSent ? "DHCPv6" : "DHCP");
                    break;
                case EventKinds.DhcpAckReceived:
                    Close(PhaseLane.Dhcp, t, failed: false, e.Message);
                    break;
                case EventKinds.DhcpTimeout or EventKinds.DhcpNakReceived:
                    Close(PhaseLane.Dhcp, t, failed: true, e.Message);
                    marks.Add(new PhaseMark(PhaseLane.Dhcp, t, e.Message, PhaseMarkKind.Failure));
                    break;
                case EventKinds.ScriptDownloadStarted:
                    Close(PhaseLane.Dhcp, t, failed: false);
                    Open(PhaseLane.ScriptDownload, t, e.Message);
                    break;
                case EventKinds.ScriptDownloaded or EventKinds.ScriptMd5Validated:
                    Close(PhaseLane.ScriptDownload, t, failed: false);
                    break;
                case EventKinds.ScriptDownloadFailed or EventKinds.ScriptMd5Failed:
                    Close(PhaseLane.ScriptDownload, t, failed: true, e.Message);
                    marks.Add(new PhaseMark(PhaseLane.ScriptDownload, t, e.Message, PhaseMarkKind.Failure));
                    break;
                case EventKinds.ScriptStarted:
                    Open(PhaseLane.ScriptRun, t, e.Message);
                    break;
                case EventKinds.ScriptExited or EventKinds.ScriptTimedOut:
                    {
                        var failed = e.Kind == EventKinds.ScriptTimedOut || (e.Get("exit_code") is { } code && code != "0");
                        Close(PhaseLane.ScriptRun, t, failed, e.Message);
                        Close(PhaseLane.Transfer, t, failed: true);
                        if (failed)
                        {
                            marks.Add(new PhaseMark(PhaseLane.ScriptRun, t, e.Message, PhaseMarkKind.Failure));
                        }
                        break;
                    }
                case EventKinds.TransferStarted when !open.ContainsKey(PhaseLane.ScriptDownload):
                    Open(PhaseLane.Transfer, t, e.Message);
                    break;
                case EventKinds.TransferCompleted when open.ContainsKey(PhaseLane.Transfer):
                    Close(PhaseLane.Transfer, t, failed: false, e.Message);
                    break;
                case EventKinds.TransferFailed when open.ContainsKey(PhaseLane.Transfer):
                    Close(PhaseLane.Transfer, t, failed: true, e.Message);
                    marks.Add(new PhaseMark(PhaseLane.Transfer, t, e.Message, PhaseMarkKind.Failure));
                    break;
                case EventKinds.CliCommand or EventKinds.CliUnsupported:
                    {
                        var lane = open.ContainsKey(PhaseLane.ScriptRun) ? PhaseLane.ScriptRun : open.ContainsKey(PhaseLane.Replay) ? PhaseLane.Replay : (PhaseLane?)null;
                        if (lane is { } l)
                        {
                            marks.Add(new PhaseMark(l, t, e.Message, e.Kind == EventKinds.CliUnsupported ? PhaseMarkKind.Failure : PhaseMarkKind.Cli));
                        }
                        break;
                    }
                case EventKinds.Reload:
                    Close(PhaseLane.ScriptRun, t, failed: false);
                    Open(PhaseLane.Reload, t, e.Message);
                    reloaded = true;
                    break;
                case EventKinds.SwitchBoot:
                    Close(PhaseLane.Reload, t, failed: false);
                    if (reloaded)
                    {
                        Open(PhaseLane.Replay, t, e.Message);
                    }
                    break;
                case EventKinds.BootFailed:
                    Close(PhaseLane.Reload, t, failed: true, e.Message);
                    marks.Add(new PhaseMark(PhaseLane.Reload, t, e.Message, PhaseMarkKind.Failure));
                    break;
                case EventKinds.ConfigReplayError:
                    marks.Add(new PhaseMark(PhaseLane.Replay, t, e.Message, PhaseMarkKind.Failure));
                    break;
                case EventKinds.PoapCompleted or EventKinds.StartupConfigSaved:
                    Close(PhaseLane.Replay, t, failed: false);
                    break;
                case EventKinds.PoapAttemptFailed or EventKinds.PoapGaveUp or EventKinds.PoapAborted or EventKinds.PowerLoss:
                    if (marks.Count == 0 || marks[^1] is not { Kind: PhaseMarkKind.Failure } lastMark || lastMark.At != t)
                    {
                        // Where it stopped, unless that failure is drawn already (a script's exit, a timeout).
                        marks.Add(new PhaseMark(open.Count > 0 ? open.Keys.Max() : lastLane, t, e.Message, PhaseMarkKind.Failure));
                    }
                    foreach (var lane in open.Keys.ToList())
                    {
                        Close(lane, t, failed: true);
                    }
                    break;
            }
        }
        var stop = end > last ? end : last;
        foreach (var (lane, o) in open)
        {
            spans.Add(new PhaseSpan(lane, o.Start, stop, o.Label, Failed: false, Open: true));
        }
        return (spans, marks);
    }
}
