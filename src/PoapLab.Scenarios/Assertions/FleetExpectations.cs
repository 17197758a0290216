using System.Globalization;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Assertions;

/// <summary>
/// Checks a scenario's switches together against its <c>expect: fleet:</c> bounds: how many
/// ended provisioned. A failure names the bound, the count, and the first switches that did not
/// make it with how they ended, so a pool too small or a server that gave up shows at once.
/// </summary>
public static class FleetExpectations
{
    /// <summary>How many of the switches that did not end provisioned a failure names.</summary>
    public const int NamedSwitches = 5;

    /// <summary>Every bound the fleet misses; empty when it meets them (or has none).</summary>
    /// <param name="switches">Each switch's name and run, in the scenario's order.</param>
    public static IReadOnlyList<string> Check(FleetExpectation? fleet, IReadOnlyList<(string Name, PoapRunResult Run)> switches)
    {
        ArgumentNullException.ThrowIfNull(switches);
        if (fleet is null || switches.Count == 0)
        {
            return [];
        }
        var total = switches.Count;
        var provisioned = switches.Count(s => s.Run.Outcome == PoapOutcome.Provisioned);
        var failures = new List<string>();
        if (fleet.MinProvisioned is { } min && provisioned < min.Of(total, lowerBound: true))
        {
            failures.Add(Inv($"fleet: expected at least {min.Of(total, true)} of {total} switches provisioned (min_provisioned {min}), {provisioned} were") + NotProvisioned(switches));
        }
        if (fleet.MaxProvisioned is { } max && provisioned > max.Of(total, lowerBound: false))
        {
            failures.Add(Inv($"fleet: expected at most {max.Of(total, false)} of {total} switches provisioned (max_provisioned {max}), {provisioned} were"));
        }
        return failures;
    }

    private static string NotProvisioned(IReadOnlyList<(string Name, PoapRunResult Run)> switches)
    {
        var missed = switches.Where(s => s.Run.Outcome != PoapOutcome.Provisioned).ToList();
        if (missed.Count == 0)
        {
            return "";
        }
        var named = missed.Take(NamedSwitches).Select(s =>
            s.Name + " " + Expectations.OutcomeName(s.Run.Outcome) + (Why(s.Run) is { } why ? " (" + OneLine(why) + ")" : ""));
        return "; not provisioned: " + string.Join(", ", named) + (missed.Count > NamedSwitches ? Inv($" and {missed.Count - NamedSwitches} more") : "");
    }

    /// <summary>Why a switch did not end provisioned: its run's reason, else its last attempt's failure.</summary>
    public static string? Why(PoapRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return !string.IsNullOrWhiteSpace(run.Reason) ? run.Reason : run.Attempts.LastOrDefault(a => !string.IsNullOrWhiteSpace(a.Failure))?.Failure;
    }

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 160 ? line : line[..157] + "...";
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
