using System.Globalization;
using System.Net;

namespace PoapLab.Lab.Wire;

public sealed partial class WireJudge
{
    /// <summary>POAP refuses an OFFER whose lease is shorter than this (Cisco's POAP documentation: at least 3600 s).</summary>
    public const long MinimumLeaseSeconds = 3600;

    /// <summary>The judgement of what was observed so far (the capture's end ends what was under way).</summary>
    public WireReport Judge()
    {
        var switches = _clients.Select(JudgeClient).ToList();
        var notes = new List<string>(_notes);
        if (_switchesLeftOut > 0)
        {
            notes.Add($"{_switchesLeftOut} frames of switches beyond the first {_options.MaxSwitches} were not followed");
        }
        if (_flowsLeftOut > 0)
        {
            notes.Add($"{_flowsLeftOut} transfers beyond {_options.MaxFlows} at once were not followed");
        }
        if (_undecodable > 0)
        {
            notes.Add($"{_undecodable} frames could not be taken apart (truncated or malformed) and were skipped");
        }
        return new WireReport(_frames, _undecodable, switches, notes) { Start = _start, End = _start is null ? null : _last };
    }

    private WireSwitch JudgeClient(Client client)
    {
        var attempts = client.Attempts.Select(a => ToRecord(a)).ToList();
        var diagnosis = new List<string>();
        var unknowns = new List<string>
        {
            "the script's own log and exit code (they stay on the switch's bootflash)",
            "whether the files fetched passed the switch's checks (only their transfer is on the wire)",
        };
        var last = client.Attempts.Count > 0 ? client.Attempts[^1] : null;
        var announced = client.Announced is { } an && (last is null || an.Frame >= LastPoapFrame(client)) && (last is null || last.Ending is "announced" or null || last.Downloads.Count == 0 && an.Frame >= last.StartFrame) ? an : null;
        if (announced is not null && last is not null && last.Ending is null && last.Discovers > 0 && last.Downloads.Count == 0 && last.StartFrame > announced.Frame)
        {
            announced = null; // it announced, then ran POAP again
        }
        var acked = client.Attempts.Count(a => a.AckServer is not null);
        var unacked = client.Attempts.Count(a => a.AckServer is null && a.Discovers > 0);
        int? exact = unacked == 0 && client.AttemptsDropped == 0 ? client.Attempts.Count(a => a.AckServer is not null || a.Downloads.Count > 0) : null;
        var atLeast = acked + (unacked > 0 ? 1 : 0) + client.AttemptsDropped;
        if (exact is null && unacked > 0)
        {
            unknowns.Add("how many POAP attempts the DISCOVERs without an ACK stand for (each attempt sends several; the wire does not mark where one ends)");
        }

        var failedAttempts = client.Attempts.Where(a => a.Ending is "release" or "new-discover").ToList();
        WireVerdict verdict;
        if (announced is not null && client.Attempts.Any(a => a.Downloads.Count > 0))
        {
            verdict = WireVerdict.Provisioned;
            diagnosis.Add($"After its downloads the switch went quiet (its reload) and came back announcing itself by {announced.Via}: " +
                $"host name {announced.Hostname ?? "not announced"}, NX-OS {announced.Version ?? "version not announced"}{(announced.Platform is null ? "" : $" on {announced.Platform}")}.");
        }
        else if (failedAttempts.Count > 0 || (last is not null && last.AckServer is null && last.Discovers >= 2))
        {
            verdict = WireVerdict.Failed;
        }
        else
        {
            verdict = WireVerdict.Unknown;
            if (announced is not null)
            {
                diagnosis.Add($"The switch announced itself by {announced.Via} ({announced.Hostname ?? "?"}, NX-OS {announced.Version ?? "?"}) but no POAP of it is in this capture.");
            }
            else if (last is { Downloads.Count: > 0 } && last.Downloads.All(d => d.Completed == true))
            {
                diagnosis.Add($"The capture ends {Quiet(last)} s after the switch's last download with no sign of it since: it may be reloading (a Nexus takes minutes) or have stopped; the wire does not say which.");
            }
            else if (last is not null)
            {
                diagnosis.Add("The capture ends while the switch's attempt is under way.");
            }
        }
        if (announced is null)
        {
            unknowns.Add("the final version and host name: the switch did not announce itself (CDP/LLDP) in this capture");
        }
        Diagnose(client, diagnosis);
        if (client.Attempts.SelectMany(a => a.Downloads).Count() < client.Facts.Count(f => f.Kind == "tcp.other"))
        {
            unknowns.Add("what was fetched over HTTPS, SCP, SFTP or FTP (encrypted or not followed): only connections and byte counts");
        }
        return new WireSwitch(FrameParser.FormatMac(client.Mac), client.Serial, verdict, exact, atLeast,
            announced?.Version, announced?.Hostname, announced?.Platform, diagnosis, unknowns, client.Facts, attempts)
        {
            UserClass = client.UserClass,
            ParameterList = client.ParameterList,
            TimelineOmitted = client.FactsOmitted,
            ManagementAddress = announced?.Address,
        };
    }

    /// <summary>
    /// The server whose offer reached the switch first in an attempt. The capture's order, except
    /// that when two usable offers arrive the one the switch REQUESTed is the first it received
    /// (POAP takes the first usable offer; frames of two hosts a moment apart may be captured on
    /// the segment in the other order than the switch's interface delivered them).
    /// </summary>
    private static IPAddress? FirstSeen(Attempt a)
    {
        var first = a.Offers.FirstOrDefault(o => o.First);
        if (first is null)
        {
            return null;
        }
        var requested = a.RequestedServer is { } r ? a.Offers.FirstOrDefault(o => o.Server.Equals(r)) : null;
        return requested is not null && Usable(requested) && Usable(first) ? requested.Server : first.Server;
    }

    private static bool Usable(Offer o) => o.HasScriptServer && o.HasScriptName && o.LeaseSeconds is not < MinimumLeaseSeconds;

    private void Diagnose(Client client, List<string> diagnosis)
    {
        var attempts = client.Attempts;
        // Two DHCP servers: who answered first, whose offer the switch took.
        var servers = attempts.SelectMany(a => a.Offers).Select(o => o.Server).Distinct().ToList();
        if (servers.Count >= 2)
        {
            var firsts = attempts.Select(FirstSeen).OfType<IPAddress>().GroupBy(s => s).OrderByDescending(g => g.Count()).ToList();
            var taken = attempts.Where(a => a.AckServer is not null).Select(a => a.AckServer!).Distinct().ToList();
            diagnosis.Add($"{servers.Count} DHCP servers answer on this segment ({string.Join(", ", servers)}); {firsts[0].Key} answered first {firsts[0].Count()} time(s)" +
                (taken.Count > 0 ? $" and the switch took the lease of {string.Join(", ", taken)}" : "") +
                ". POAP takes the first offer it can use: a stray server that answers first decides the script. Switch the other server off for this segment.");
        }
        // Offers POAP refuses.
        var shortLeases = attempts.SelectMany(a => a.Offers).Where(o => o.LeaseSeconds is < MinimumLeaseSeconds).ToList();
        if (shortLeases.Count > 0 && attempts.All(a => a.AckServer is null || a.LeaseSeconds is < MinimumLeaseSeconds))
        {
            diagnosis.Add($"{shortLeases.Count} OFFER(s) gave a lease of {string.Join("/", shortLeases.Select(o => o.LeaseSeconds).Distinct())} s, below the {MinimumLeaseSeconds} s POAP requires: " +
                $"the switch {(attempts.Any(a => a.Requested) ? "" : "never REQUESTed one and ")}kept discovering. Give the POAP scope (or the reservations) a lease of at least an hour.");
        }
        var missing = attempts.SelectMany(a => a.Offers).Where(o => !o.HasScriptServer || !o.HasScriptName).ToList();
        if (missing.Count > 0 && attempts.All(a => a.AckServer is null))
        {
            var what = missing.Any(o => !o.HasScriptServer) ? "option 66 or 150 (the script server)" : "option 67 (the script name)";
            diagnosis.Add($"The OFFER(s) from {string.Join(", ", missing.Select(o => o.Server).Distinct())} had no {what}: POAP refuses such an offer and keeps discovering.");
        }
        if (attempts.Count > 0 && attempts.All(a => a.Offers.Count == 0 && a.AckServer is null) && attempts.Sum(a => a.Discovers) > 0)
        {
            diagnosis.Add(attempts.Any(a => a.Downloads.Count > 0)
                ? $"No DHCP server answered the switch's {attempts.Sum(a => a.Discovers)} DISCOVER(s), yet it fetched files: its address came another way (DHCPv6, which this judge does not read yet)."
                : $"No DHCP server answered the switch's {attempts.Sum(a => a.Discovers)} DISCOVER(s) on this segment.");
        }
        foreach (var nak in attempts.SelectMany(a => a.Naks).Distinct().Take(3))
        {
            diagnosis.Add($"The server {nak} refused the switch's REQUEST with a DHCPNAK; the switch started over with a DISCOVER.");
        }

        // The downloads of attempts that ended in failure.
        var failed = attempts.Where(a => a.Ending is "release" or "new-discover" or null && a.AckServer is not null).ToList();
        var refused = 0;
        var hung = new List<string>();
        var said = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in failed)
        {
            if (a.Ending is null)
            {
                continue;
            }
            var errors = a.Downloads.Where(d => d.Completed == false).ToList();
            foreach (var d in errors)
            {
                var text = d.Role switch
                {
                    "config" or "config-md5" when d.Status is 1 or 404 =>
                        $"The configuration {d.File} is not on {d.Server} ({d.Error}): the script could not fetch the switch's configuration, gave the attempt up and POAP started over. Put the file where the script looks for it (its name carries the serial).",
                    "script" =>
                        $"The script {d.File} could not be fetched from {d.Server} ({d.Error}): POAP started over without running anything. Check option 67 and the file on the server.",
                    _ => $"The download of {d.File} ({d.Role}) from {d.Server} failed: {d.Error}.",
                };
                if (said.Add(text))
                {
                    diagnosis.Add(text);
                }
            }
            if (errors.Count > 0)
            {
                continue;
            }
            var completed = a.Downloads.Where(d => d.Completed == true).ToList();
            var quiet = a.EndTime is { } end && a.LastActivity is { } act ? end - act : TimeSpan.Zero;
            if (completed.Count > 0 && completed.All(d => d.Role is "script" or "script-md5"))
            {
                if (quiet >= _options.HangThreshold)
                {
                    hung.Add($"attempt {a.Number}: the script was fetched, then {Seconds(quiet)} s of silence until the switch gave the attempt up");
                }
                else
                {
                    refused++;
                }
                continue;
            }
            var image = completed.FirstOrDefault(d => d.Role == "image");
            if (image is not null && completed.Any(d => d.Role == "image-md5") && !a.Downloads.Any(d => d.Role is "config" or "config-md5" && d.Frame > image.Frame))
            {
                var text = $"The image {image.File} and its .md5 were downloaded completely, then the attempt ended before any configuration was fetched: the image's MD5 most likely did not match its .md5 (a stale .md5 companion). Regenerate the .md5 whenever the image changes.";
                if (said.Add(text))
                {
                    diagnosis.Add(text);
                }
                continue;
            }
            if (completed.Count > 0 && quiet >= _options.HangThreshold)
            {
                hung.Add($"attempt {a.Number}: after its last transfer ({completed[^1].File}) the switch was silent {Seconds(quiet)} s until it gave the attempt up");
            }
        }
        if (refused > 0)
        {
            diagnosis.Add((refused >= 2 ? $"The script was fetched again and again ({refused} times)" : "The script was fetched") +
                " and nothing else followed before the switch gave the attempt up: it refused the script before running it — most often a stale #md5sum line " +
                "(recompute it after every edit: poaplab md5 --fix). The switch's log, not the wire, would name the check that failed.");
        }
        if (hung.Count > 0)
        {
            diagnosis.Add($"The script ran long with no network traffic and the attempt was given up ({string.Join("; ", hung)}): " +
                "a script that hangs or waits for something that never happens. Bound every loop and wait in the script.");
        }
    }

    private string Quiet(Attempt a) => a.LastActivity is { } t ? Seconds((a.EndTime ?? _last) - t) : "?";

    private WireAttempt ToRecord(Attempt a)
    {
        var ending = a.Ending ?? "capture-end";
        var end = a.EndTime ?? _last;
        double? quiet = a.LastActivity is { } t ? Math.Round((end - t).TotalSeconds, 3) : null;
        return new WireAttempt(a.Number, a.Discovers, a.AckServer, a.Address, a.LeaseSeconds, a.Script, a.ScriptServer,
            a.Downloads.Select(d => d.ToRecord()).ToList(), ending, quiet);
    }

    /// <summary>Lines of the judgement for people: per switch its verdict, diagnosis, unknowns and timeline.</summary>
    public static IEnumerable<string> Describe(WireReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        yield return $"{report.Frames} frames{(report.Start is { } s ? $", {s:yyyy-MM-dd HH:mm:ss.fff} to {report.End:HH:mm:ss.fff} UTC" : "")}; {report.Switches.Count} switch(es) seen";
        foreach (var note in report.Notes)
        {
            yield return "note: " + note;
        }
        foreach (var sw in report.Switches)
        {
            yield return "";
            var attempts = sw.Attempts is { } n ? n.ToString(CultureInfo.InvariantCulture) : $"at least {sw.AttemptsAtLeast}";
            yield return $"switch {sw.Serial ?? "(serial not seen)"} {sw.Mac}: {VerdictText(sw.Verdict)}, attempts {attempts}, " +
                $"final version {sw.FinalVersion ?? "unknown"}, host name {sw.Hostname ?? "unknown"}";
            if (sw.UserClass is not null || sw.ParameterList is not null)
            {
                yield return $"  DHCP client: user class {sw.UserClass ?? "none"}, parameter list {sw.ParameterList ?? "none"}";
            }
            foreach (var d in sw.Diagnosis)
            {
                yield return "  diagnosis: " + d;
            }
            foreach (var u in sw.Unknowns)
            {
                yield return "  unknown from the wire: " + u;
            }
            var start = report.Start ?? default;
            foreach (var f in sw.Timeline)
            {
                yield return $"  #{f.Frame,-7} +{(f.Time - start).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture),9}s  {f.Text}";
            }
            if (sw.TimelineOmitted > 0)
            {
                yield return $"  ... {sw.TimelineOmitted} more facts left out";
            }
        }
    }

    /// <summary>A verdict in words.</summary>
    public static string VerdictText(WireVerdict verdict) => verdict switch
    {
        WireVerdict.Provisioned => "provisioned",
        WireVerdict.Failed => "failed (retrying)",
        _ => "unknown",
    };
}
