using System.Text.Json;

namespace PoapLab.Switch.Script.Lint;

public static partial class ScriptLinter
{
    private static void ReportOptions(OptionsFact? options, List<LintFinding> findings)
    {
        if (options is null)
        {
            findings.Add(new LintFinding(LintSeverity.Info, LintCodes.OptionsNotFound, null, null,
                "no top-level options = {...} dict: option keys and values were not checked", null));
            return;
        }
        if (!options.IsDict)
        {
            findings.Add(new LintFinding(LintSeverity.Info, LintCodes.OptionComputed, options.Line, options.Col,
                "options is not a dict literal ({...}): it is computed at run time, so its keys and values were not checked", null));
            return;
        }

        if (!options.Entries.Any(e => e.Key is not null && PoapOptionKeys.Lineage.Contains(e.Key)))
        {
            // Not the reference script's dict (a script of another lineage names its own keys).
            findings.Add(new LintFinding(LintSeverity.Info, LintCodes.OptionsOwnDict, options.Line, options.Col,
                $"the options dict holds none of the reference script's keys ({string.Join(", ", PoapOptionKeys.Lineage.Order(StringComparer.Ordinal))}): taken as the script's own, its keys were not checked", null));
            return;
        }
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in options.Entries)
        {
            if (entry.Key is null)
            {
                findings.Add(new LintFinding(LintSeverity.Info, LintCodes.OptionComputed, entry.Line, entry.Col,
                    "an options key computed at run time (or a **spread): not checked", null));
                continue;
            }
            if (seen.TryGetValue(entry.Key, out var first))
            {
                findings.Add(new LintFinding(LintSeverity.Warning, LintCodes.OptionDuplicate, entry.Line, entry.Col,
                    $"option \"{entry.Key}\" is given again (first on line {first}); Python keeps only this last value",
                    $"delete one of lines {first} and {entry.Line}"));
            }
            else
            {
                seen[entry.Key] = entry.Line;
            }
            if (!PoapOptionKeys.Known.Contains(entry.Key))
            {
                var suggestion = Closest(entry.Key, PoapOptionKeys.Known);
                findings.Add(new LintFinding(LintSeverity.Error, LintCodes.OptionUnknown, entry.Line, entry.Col,
                    $"unknown option \"{entry.Key}\"{(suggestion is null ? "." : $": did you mean \"{suggestion}\"?")} " +
                    $"The reference POAP script aborts with \"Invalid option detected: {entry.Key}\" and the switch fails the attempt",
                    suggestion is null
                        ? "remove it, or use a key the reference script knows (the keys are listed under Options in fixtures/scripts/README.md)"
                        : $"rename it to \"{suggestion}\""));
                continue;
            }
            if (!entry.ValueLiteral)
            {
                findings.Add(new LintFinding(LintSeverity.Info, LintCodes.OptionComputed, entry.ValueLine, entry.ValueCol,
                    $"the value of \"{entry.Key}\" is computed at run time: not checked", null));
                continue;
            }
            switch (entry.Key)
            {
                case "transfer_protocol":
                    CheckChoice(entry, PoapOptionKeys.TransferProtocols, LintCodes.OptionProtocol,
                        "the copy command the switch runs takes no other protocol", findings);
                    break;
                case "mode":
                    CheckChoice(entry, PoapOptionKeys.Modes, LintCodes.OptionMode,
                        "the reference script names the configuration file after the mode and knows no other", findings);
                    break;
            }
        }
        CheckTftpCredentials(options.Entries, findings);
    }

    private static void CheckChoice(OptionEntryFact entry, IReadOnlyList<string> allowed, string code, string why, List<LintFinding> findings)
    {
        var value = StringValue(entry);
        if (value is not null && allowed.Contains(value, StringComparer.Ordinal))
        {
            return;
        }
        var shown = value is null ? entry.Value?.GetRawText() ?? "a non-scalar value" : $"\"{value}\"";
        var suggestion = value is null ? null : Closest(value, allowed);
        findings.Add(new LintFinding(LintSeverity.Error, code, entry.ValueLine, entry.ValueCol,
            $"{entry.Key} is {shown}, not one of {string.Join(", ", allowed)}: {why}" +
            (suggestion is null ? "" : $"; did you mean \"{suggestion}\"?"),
            suggestion is null ? $"use one of {string.Join(", ", allowed)}" : $"\"{entry.Key}\": \"{suggestion}\","));
    }

    /// <summary>Failure mode 9: TFTP has no users, but the reference still builds <c>tftp://USER@HOST/...</c>.</summary>
    private static void CheckTftpCredentials(IReadOnlyList<OptionEntryFact> entries, List<LintFinding> findings)
    {
        var protocol = entries.LastOrDefault(e => e.Key == "transfer_protocol");
        if (protocol is null || StringValue(protocol) != "tftp")
        {
            return;
        }
        var credentials = entries
            .Where(e => e.Key is "username" or "password" && !(e.ValueLiteral && StringValue(e) is "" or null && e.Value?.ValueKind != JsonValueKind.Number))
            .Select(e => e.Key!)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (credentials.Count == 0)
        {
            return;
        }
        findings.Add(new LintFinding(LintSeverity.Warning, LintCodes.OptionTftpCredentials, protocol.ValueLine, protocol.ValueCol,
            $"transfer_protocol is tftp but the options set {string.Join(" and ", credentials)}: TFTP has no users or passwords. " +
            "The reference script still puts USER@ in the copy URL (tftp://USER@HOST/PATH) and sends 'terminal password', " +
            "so the credentials protect nothing and mislead whoever debugs a failed copy; TFTP paths are also relative to the server's root, " +
            "a common second mistake here (failure mode 9)",
            "use scp or sftp if the files need a login; with tftp keep username/password as placeholders (the reference requires the keys) " +
            "and give paths relative to the TFTP root"));
    }

    private static string? StringValue(OptionEntryFact entry) =>
        entry.Value is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>The nearest candidate within a small edit distance (case, dashes and spaces do not count).</summary>
    internal static string? Closest(string value, IEnumerable<string> candidates)
    {
        var wanted = Normalise(value);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Order(StringComparer.Ordinal))
        {
            var distance = EditDistance(wanted, Normalise(candidate));
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        var allowed = wanted.Length <= 4 ? 1 : wanted.Length <= 10 ? 2 : 3;
        if (bestDistance <= allowed)
        {
            return best;
        }
        // A shortened name ("serial" for serial_number): suggest it when only one candidate starts so.
        var extended = candidates.Where(c => wanted.Length >= 3 && Normalise(c).StartsWith(wanted, StringComparison.Ordinal)).Take(2).ToList();
        return extended.Count == 1 ? extended[0] : null;
    }

    private static string Normalise(string value) =>
        value.Trim().ToLowerInvariant().Replace('-', '_').Replace(' ', '_');

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
