using System.Net.NetworkInformation;
using PoapLab.Lab.Wire;
using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Assertions;

/// <summary>How one expectation fares against the wire's facts.</summary>
public enum WireCheckResult
{
    /// <summary>The wire agrees.</summary>
    Agrees,
    /// <summary>The wire shows otherwise.</summary>
    Disagrees,
    /// <summary>The wire cannot say (not on the wire, or not in this capture).</summary>
    CannotJudge,
}

/// <summary>One expectation of a scenario checked on the wire.</summary>
/// <param name="Switch">The scenario's switch name.</param>
/// <param name="Expectation">The expectation, e.g. <c>outcome: provisioned</c>.</param>
/// <param name="Result">Agrees, disagrees or cannot be judged.</param>
/// <param name="Detail">What the wire shows, or why it cannot say.</param>
public sealed record WireCheck(string Switch, string Expectation, WireCheckResult Result, string Detail);

/// <summary>
/// Checks a scenario's <c>expect:</c> against what the wire judge reconstructed: outcome,
/// attempts, final version and host name (from CDP/LLDP, the host name against a
/// <c>running_config: hostname X</c> line). Everything else a scenario can expect (phases,
/// events, syslog, bootflash, reasons) lives on the switch and cannot be judged from the wire.
/// </summary>
public static class WireExpectations
{
    public static IReadOnlyList<WireCheck> Check(Scenario scenario, WireReport report)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(report);
        var checks = new List<WireCheck>();
        var fleet = scenario.Expect.Fleet;
        foreach (var model in scenario.Switches)
        {
            var expect = model.Expect ?? scenario.Expect;
            var wire = Find(model, report);
            var name = model.Name;
            if (expect.Fleet is not null && wire?.Verdict != WireVerdict.Provisioned)
            {
                // Not provisioned on the wire (or not there): the fleet's bounds judge it, below.
                continue;
            }
            if (wire is null)
            {
                checks.Add(new WireCheck(name, "the switch on the wire", WireCheckResult.Disagrees,
                    $"no frames of serial {model.Serial} / MAC {model.Mac} in the capture"));
                continue;
            }
            var outcome = expect.Outcome ?? "provisioned";
            checks.Add(outcome switch
            {
                "provisioned" or "failed" when wire.Verdict == WireVerdict.Unknown =>
                    new WireCheck(name, $"outcome: {outcome}", WireCheckResult.CannotJudge, "the capture does not show how POAP ended"),
                "provisioned" => Compare(name, $"outcome: {outcome}", wire.Verdict == WireVerdict.Provisioned, WireJudge.VerdictText(wire.Verdict)),
                "failed" => Compare(name, $"outcome: {outcome}", wire.Verdict == WireVerdict.Failed, WireJudge.VerdictText(wire.Verdict)),
                _ => new WireCheck(name, $"outcome: {outcome}", WireCheckResult.CannotJudge, $"the wire tells provisioned from failed only, not {outcome}"),
            });
            if (expect.Attempts is { } attempts)
            {
                checks.Add(wire.Attempts is { } seen
                    ? Compare(name, $"attempts: {attempts}", seen == attempts, $"{seen} attempt(s) on the wire")
                    : wire.AttemptsAtLeast > attempts
                        ? new WireCheck(name, $"attempts: {attempts}", WireCheckResult.Disagrees, $"at least {wire.AttemptsAtLeast} attempts on the wire")
                        : new WireCheck(name, $"attempts: {attempts}", WireCheckResult.CannotJudge, $"at least {wire.AttemptsAtLeast} on the wire; DISCOVERs without an ACK do not show where one attempt ends"));
            }
            if (expect.MinAttempts is { } min)
            {
                checks.Add(wire.AttemptsAtLeast >= min
                    ? new WireCheck(name, $"min_attempts: {min}", WireCheckResult.Agrees, $"at least {wire.AttemptsAtLeast} on the wire")
                    : new WireCheck(name, $"min_attempts: {min}", wire.Attempts is null ? WireCheckResult.CannotJudge : WireCheckResult.Disagrees, $"{wire.Attempts?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? $"at least {wire.AttemptsAtLeast}"} on the wire"));
            }
            if (expect.Version is { } version)
            {
                checks.Add(wire.FinalVersion is { } v
                    ? Compare(name, $"version: {version}", SameVersion(version, v), $"CDP/LLDP announce {v}")
                    : new WireCheck(name, $"version: {version}", WireCheckResult.CannotJudge, "the switch did not announce its version (CDP/LLDP) in this capture"));
            }
            var hostnameLine = expect.RunningConfig.FirstOrDefault(l => l.Trim().StartsWith("hostname ", StringComparison.Ordinal));
            foreach (var line in expect.RunningConfig)
            {
                if (ReferenceEquals(line, hostnameLine))
                {
                    var want = line.Trim()["hostname ".Length..].Trim();
                    checks.Add(wire.Hostname is { } h
                        ? Compare(name, $"running_config: {line.Trim()}", string.Equals(h, want, StringComparison.Ordinal), $"CDP/LLDP announce host name {h}")
                        : new WireCheck(name, $"running_config: {line.Trim()}", WireCheckResult.CannotJudge, "the switch did not announce a host name in this capture"));
                }
                else
                {
                    checks.Add(new WireCheck(name, $"running_config: {line.Trim()}", WireCheckResult.CannotJudge, "the running configuration is not on the wire"));
                }
            }
            foreach (var (what, present) in new (string, bool)[]
            {
                ("reloads", expect.Reloads is not null), ("image", expect.Image is not null), ("phases", expect.Phases.Count > 0),
                ("not_phases", expect.NotPhases.Count > 0), ("reason", expect.Reason is not null), ("events", expect.Events.Count > 0),
                ("bootflash_has", expect.BootflashHas.Count > 0), ("bootflash_lacks", expect.BootflashLacks.Count > 0), ("syslog", expect.Syslog.Count > 0),
            })
            {
                if (present)
                {
                    checks.Add(new WireCheck(name, what, WireCheckResult.CannotJudge, "lives on the switch (its log, flash or events), not on the wire"));
                }
            }
        }
        if (fleet is not null && scenario.Switches.Count > 0)
        {
            checks.AddRange(CheckFleet(fleet, [.. scenario.Switches.Select(m => Find(m, report)?.Verdict)]));
        }
        return checks;
    }

    /// <summary>
    /// <c>expect: fleet:</c> on the wire: the switches the wire shows provisioned against the bounds;
    /// one whose end the capture does not show could go either way, so a bound it decides cannot be judged.
    /// </summary>
    private static IEnumerable<WireCheck> CheckFleet(FleetExpectation fleet, IReadOnlyList<WireVerdict?> verdicts)
    {
        var total = verdicts.Count;
        var provisioned = verdicts.Count(v => v == WireVerdict.Provisioned);
        var open = verdicts.Count(v => v == WireVerdict.Unknown);
        var seen = $"{provisioned} of {total} provisioned on the wire" + (open > 0 ? $", {open} whose end the capture does not show" : "");
        if (fleet.MinProvisioned is { } min)
        {
            var need = min.Of(total, lowerBound: true);
            yield return new WireCheck("fleet", $"min_provisioned: {min} ({need} of {total})",
                provisioned >= need ? WireCheckResult.Agrees : provisioned + open >= need ? WireCheckResult.CannotJudge : WireCheckResult.Disagrees, seen);
        }
        if (fleet.MaxProvisioned is { } max)
        {
            var most = max.Of(total, lowerBound: false);
            yield return new WireCheck("fleet", $"max_provisioned: {max} ({most} of {total})",
                provisioned > most ? WireCheckResult.Disagrees : provisioned + open <= most ? WireCheckResult.Agrees : WireCheckResult.CannotJudge, seen);
        }
    }

    private static WireSwitch? Find(SwitchModel model, WireReport report)
    {
        var mac = TryMac(model.Mac);
        return report.Switches.FirstOrDefault(s => mac is not null && string.Equals(s.Mac, mac, StringComparison.OrdinalIgnoreCase))
            ?? report.Switches.FirstOrDefault(s => string.Equals(s.Serial, model.Serial, StringComparison.Ordinal));
    }

    private static string? TryMac(string text)
    {
        try
        {
            var bytes = PhysicalAddress.Parse(text.Replace(':', '-').Replace('.', '-')).GetAddressBytes();
            return string.Join(':', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static WireCheck Compare(string name, string expectation, bool agrees, string detail) =>
        new(name, expectation, agrees ? WireCheckResult.Agrees : WireCheckResult.Disagrees, detail);

    private static bool SameVersion(string expected, string actual)
    {
        try
        {
            return Switch.Identity.NxosVersion.Parse(expected).Display == Switch.Identity.NxosVersion.Parse(actual).Display;
        }
        catch (FormatException)
        {
            return string.Equals(expected, actual, StringComparison.Ordinal);
        }
    }
}
