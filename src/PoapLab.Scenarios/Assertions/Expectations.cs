using System.Globalization;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Assertions;

/// <summary>
/// Checks a switch's run against the scenario's <c>expect:</c>. Every check reads
/// structured results and events, never log text (except <c>syslog:</c>, which is about
/// the text the switch prints).
/// </summary>
public static class Expectations
{
    private static readonly Dictionary<string, PoapPhase> Phases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["boot"] = PoapPhase.Boot,
        ["dhcp"] = PoapPhase.Dhcp,
        ["script-download"] = PoapPhase.ScriptDownload,
        ["script-validation"] = PoapPhase.ScriptValidation,
        ["script-run"] = PoapPhase.ScriptRun,
        ["reload"] = PoapPhase.Reload,
        ["config-replay"] = PoapPhase.ConfigReplay,
        ["completed"] = PoapPhase.Completed,
    };

    /// <summary>The phase names scenarios use.</summary>
    public static IEnumerable<string> PhaseNames => Phases.Keys;

    public static PoapPhase? ParsePhase(string name) => Phases.TryGetValue(name, out var p) ? p : null;

    public static string PhaseName(PoapPhase phase) => Phases.First(kv => kv.Value == phase).Key;

    public static string OutcomeName(PoapOutcome outcome) => outcome switch
    {
        PoapOutcome.Provisioned => "provisioned",
        PoapOutcome.Failed => "failed",
        PoapOutcome.BootFailed => "boot-failed",
        PoapOutcome.ReloadLoop => "reload-loop",
        PoapOutcome.Aborted => "aborted",
        _ => outcome.ToString(),
    };

    /// <summary>Every way the run differs from the expectation; empty when it matches.</summary>
    public static IReadOnlyList<string> Check(ExpectModel expect, SwitchRunRecord run)
    {
        var failures = new List<string>();
        var r = run.Result;
        if (expect.Fleet is not null && r.Outcome != PoapOutcome.Provisioned)
        {
            // A fleet's bounds judge the switches that did not make it, all together (FleetExpectations).
            return failures;
        }
        var outcome = OutcomeName(r.Outcome);
        if (expect.Outcome is { } o && o != outcome)
        {
            failures.Add($"expected outcome {o}, but the switch ended {outcome}");
        }
        if (expect.Outcome is null && r.Outcome != PoapOutcome.Provisioned)
        {
            failures.Add($"the switch ended {outcome} (no outcome was expected, so provisioned was)");
        }
        if (expect.Attempts is { } a && a != r.Attempts.Count)
        {
            failures.Add($"expected {a} POAP attempt(s), saw {r.Attempts.Count}");
        }
        if (expect.MinAttempts is { } min && r.Attempts.Count < min)
        {
            failures.Add($"expected at least {min} POAP attempt(s), saw {r.Attempts.Count}");
        }
        if (expect.Reloads is { } reloads && reloads != r.Reloads)
        {
            failures.Add($"expected {reloads} reload(s), saw {r.Reloads}");
        }
        if (expect.Version is { } v && !SameVersion(v, r.RunningVersion))
        {
            failures.Add($"expected the switch to run {v}, it runs {r.RunningVersion}");
        }
        if (expect.Image is { } img && !string.Equals(img, r.RunningImage, StringComparison.Ordinal))
        {
            failures.Add($"expected the switch to run image {img}, it runs {r.RunningImage}");
        }
        foreach (var line in expect.RunningConfig)
        {
            if (!run.RunningConfig.Any(l => string.Equals(l.Trim(), line.Trim(), StringComparison.Ordinal)))
            {
                failures.Add($"the running-config lacks the line '{line}'");
            }
        }
        foreach (var p in expect.Phases)
        {
            if (!r.PhasesReached.Contains(ParsePhase(p)!.Value))
            {
                failures.Add($"the switch never reached the phase {p} (reached: {string.Join(", ", r.PhasesReached.Select(PhaseName))})");
            }
        }
        foreach (var p in expect.NotPhases)
        {
            if (r.PhasesReached.Contains(ParsePhase(p)!.Value))
            {
                failures.Add($"the switch reached the phase {p}, which it should not have");
            }
        }
        if (expect.Reason is { } reason)
        {
            var all = string.Join("\n", new[] { r.Reason ?? "" }.Concat(r.Attempts.Select(x => x.Failure ?? "")));
            if (!all.Contains(reason, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"expected a failure mentioning '{reason}', but the failures were: {(all.Trim().Length == 0 ? "(none)" : all.Trim().Replace("\n", "; ", StringComparison.Ordinal))}");
            }
        }
        foreach (var e in expect.Events)
        {
            var matching = run.Events.Count(ev => ev.Kind == e.Kind && e.Where.All(w => ev.Get(w.Key) is { } value && Glob(w.Value, value)));
            var where = e.Where.Count == 0 ? "" : " where " + string.Join(", ", e.Where.Select(w => $"{w.Key}={w.Value}"));
            if (e.Count is { } n ? matching != n : matching == 0)
            {
                failures.Add(e.Count is { } c
                    ? $"expected {c} event(s) {e.Kind}{where}, saw {matching}"
                    : $"expected an event {e.Kind}{where}, saw none");
            }
        }
        foreach (var f in expect.BootflashHas)
        {
            if (!run.BootflashFiles.Contains(f.TrimStart('/')))
            {
                failures.Add($"bootflash lacks {f}");
            }
        }
        foreach (var f in expect.BootflashLacks)
        {
            if (run.BootflashFiles.Contains(f.TrimStart('/')))
            {
                failures.Add($"bootflash has {f}, which it should not");
            }
        }
        foreach (var s in expect.Syslog)
        {
            if (!run.Syslog.Contains(s, StringComparison.Ordinal))
            {
                failures.Add($"the switch's syslog lacks '{s}'");
            }
        }
        return failures;
    }

    /// <summary>A plain-words account of what happened to the switch, for reports and JUnit messages.</summary>
    public static string Diagnose(SwitchRunRecord run) => Diagnose(run, []);

    /// <summary>
    /// The account of <see cref="Diagnose(SwitchRunRecord)"/> followed by the DHCP side in plain
    /// words (<see cref="DhcpDiagnosis"/>): which server answered with what, and what to fix.
    /// </summary>
    public static string Diagnose(SwitchRunRecord run, IReadOnlyList<string> dhcp)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(dhcp);
        var r = run.Result;
        var lines = new List<string>();
        var head = r.Outcome switch
        {
            PoapOutcome.Provisioned => $"{run.Name}: provisioned — runs {r.RunningVersion} ({r.RunningImage}) after {r.Attempts.Count} attempt(s) and {r.Reloads} reload(s)",
            PoapOutcome.Failed => $"{run.Name}: POAP failed after {r.Attempts.Count} attempt(s); it still runs {r.RunningVersion}",
            PoapOutcome.BootFailed => $"{run.Name}: the reload failed: {r.Reason}",
            PoapOutcome.ReloadLoop => $"{run.Name}: {r.Reason}",
            _ => $"{run.Name}: {OutcomeName(r.Outcome)}",
        };
        lines.Add(head);
        foreach (var a in r.Attempts.Where(a => !a.Succeeded))
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  attempt {a.Number} (boot {a.Boot}, stopped at {PhaseName(a.Reached)}): {a.Failure}"));
        }
        // What a file server did wrong, in plain words (TransferDiagnosis).
        lines.AddRange(TransferDiagnosis.Explain(run));
        lines.AddRange(dhcp.Select(l => "  " + l));
        return string.Join("\n", lines);
    }

    /// <summary>Whole-value match, case-insensitive, with <c>*</c> and <c>?</c> wildcards.</summary>
    public static bool Glob(string pattern, string value)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(value, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    private static bool SameVersion(string expected, string actual)
    {
        try
        {
            var e = Switch.Identity.NxosVersion.Parse(expected);
            var a = Switch.Identity.NxosVersion.Parse(actual);
            return e.Display == a.Display;
        }
        catch (FormatException)
        {
            return string.Equals(expected, actual, StringComparison.Ordinal);
        }
    }
}
