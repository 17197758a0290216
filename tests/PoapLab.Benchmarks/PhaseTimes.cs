using PoapLab.Core.Events;

namespace PoapLab.Benchmarks;

/// <summary>The phases of the happy path the benchmark reports, in table order.</summary>
internal enum Phase
{
    Dhcp,
    ScriptDownload,
    ScriptRun,
    ImageTransfer,
    Md5,
    Reload,
    Other,
    Total,
}

/// <summary>
/// The real (host) wall time of each phase of one switch's happy path, read from the
/// <see cref="LabEvent.RealTime"/> stamps of the scenario timeline. Script run excludes the
/// image transfer and the image md5 (they have rows of their own), so the rows add up to the
/// total; "other" is what no row covers (boot, POAP start, the #md5sum check, gaps).
/// </summary>
internal static class PhaseTimes
{
    /// <summary>Computes the phases; throws <see cref="InvalidOperationException"/> naming the event that is missing.</summary>
    /// <param name="imagePath">The image's path on the server, as the transfer events carry it.</param>
    public static Dictionary<Phase, double> Compute(IReadOnlyList<LabEvent> timeline, string imagePath)
    {
        // Only the switch's own events: server events interleave with them and would blur "preceding".
        var events = timeline.Where(e => e.Source.StartsWith("switch:", StringComparison.Ordinal)).OrderBy(e => e.Sequence).ToList();
        if (events.Count == 0)
        {
            throw new InvalidOperationException("the timeline holds no switch events");
        }
        var image = imagePath.TrimStart('/');
        var imageName = Path.GetFileName(image);

        var discover = First(events, 0, e => e.Kind == EventKinds.DhcpDiscoverSent, "poap.dhcp.discover");
        var ack = First(events, discover, e => e.Kind == EventKinds.DhcpAckReceived, "poap.dhcp.ack");
        var dlStart = First(events, ack, e => e.Kind == EventKinds.ScriptDownloadStarted, "poap.script.download-started");
        var dlEnd = First(events, dlStart, e => e.Kind == EventKinds.ScriptDownloaded, "poap.script.downloaded");
        var runStart = First(events, dlEnd, e => e.Kind == EventKinds.ScriptStarted, "poap.script.started");
        var runEnd = First(events, runStart, e => e.Kind == EventKinds.ScriptExited, "poap.script.exited");
        var xferStart = First(events, runStart, e => e.Kind == EventKinds.TransferStarted && SamePath(e.Get("path"), image), $"transfer.started of /{image}");
        var xferEnd = First(events, xferStart, e => e.Kind == EventKinds.TransferCompleted && SamePath(e.Get("path"), image), $"transfer.completed of /{image}");
        var md5 = First(events, xferEnd, e => e.Kind == EventKinds.CliCommand && IsMd5Of(e.Get("command"), imageName), $"cli.command show file ... {imageName} md5sum");
        var reload = First(events, runEnd, e => e.Kind == EventKinds.Reload, "switch.reload");
        var reloadEnd = Last(events, reload, e => e.Kind is EventKinds.ConfigReplayed or EventKinds.StartupConfigSaved, "switch.config-replayed/switch.startup-config-saved");

        double Ms(int from, int to) => (events[to].RealTime - events[from].RealTime).TotalMilliseconds;

        var phases = new Dictionary<Phase, double>
        {
            [Phase.Dhcp] = Ms(discover, ack),
            [Phase.ScriptDownload] = Ms(dlStart, dlEnd),
            [Phase.ImageTransfer] = Ms(xferStart, xferEnd),
            // The cli.command event is recorded when the command has finished: its cost is the
            // distance from whatever the switch recorded just before it.
            [Phase.Md5] = Ms(md5 - 1, md5),
            [Phase.Reload] = Ms(reload, reloadEnd),
            [Phase.Total] = Ms(0, events.Count - 1),
        };
        phases[Phase.ScriptRun] = Ms(runStart, runEnd) - phases[Phase.ImageTransfer] - phases[Phase.Md5];
        phases[Phase.Other] = phases[Phase.Total] - phases.Where(p => p.Key is not Phase.Total).Sum(p => p.Value);
        return phases;
    }

    private static bool SamePath(string? path, string image) =>
        path is not null && string.Equals(path.TrimStart('/'), image, StringComparison.Ordinal);

    private static bool IsMd5Of(string? command, string imageName) =>
        command is not null
        && command.StartsWith("show file", StringComparison.Ordinal)
        && command.Contains("md5sum", StringComparison.Ordinal)
        && command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(w => w.EndsWith("/" + imageName, StringComparison.Ordinal) || w.EndsWith(":" + imageName, StringComparison.Ordinal));

    private static int First(List<LabEvent> events, int from, Func<LabEvent, bool> match, string what)
    {
        for (int i = from; i < events.Count; i++)
        {
            if (match(events[i]))
            {
                return i;
            }
        }
        throw new InvalidOperationException($"the timeline has no {what} where the happy path needs one");
    }

    private static int Last(List<LabEvent> events, int from, Func<LabEvent, bool> match, string what)
    {
        for (int i = events.Count - 1; i >= from; i--)
        {
            if (match(events[i]))
            {
                return i;
            }
        }
        throw new InvalidOperationException($"the timeline has no {what} after the reload");
    }
}
