using System.Globalization;
using System.Text;

namespace PoapLab.Switch.Script.Lint;

/// <summary>How bad a <see cref="LintFinding"/> is.</summary>
public enum LintSeverity
{
    /// <summary>The switch would fail or refuse the script.</summary>
    Error,
    /// <summary>The script runs, but probably not as meant.</summary>
    Warning,
    /// <summary>Something the linter could not check, or a hint.</summary>
    Info,
}

/// <summary>One problem found in a POAP script.</summary>
/// <param name="Severity">How bad it is.</param>
/// <param name="Code">A stable identifier from <see cref="LintCodes"/>.</param>
/// <param name="Line">1-based line; null when the problem has no place (e.g. a missing line).</param>
/// <param name="Column">1-based column; null when unknown.</param>
/// <param name="Message">What is wrong and what the switch would do about it.</param>
/// <param name="Fix">What to change, as concretely as possible; null when there is no mechanical fix.</param>
public sealed record LintFinding(LintSeverity Severity, string Code, int? Line, int? Column, string Message, string? Fix);

/// <summary>The result of <see cref="ScriptLinter.LintAsync(string, string?, Identity.NxosFeatures?, CancellationToken)"/>.</summary>
/// <param name="Script">The script's path as given.</param>
/// <param name="PythonVersion">The version of the target interpreter the script was compiled with, e.g. <c>3.11.2</c>.</param>
/// <param name="Findings">Problems, ordered by line.</param>
public sealed record LintReport(string Script, string PythonVersion, IReadOnlyList<LintFinding> Findings)
{
    /// <summary>No finding is an error: as far as the linter can tell, the switch would run the script.</summary>
    public bool Passed => Findings.All(f => f.Severity != LintSeverity.Error);

    /// <summary>
    /// Compiler-style text: <c>SCRIPT:LINE:COL: error CODE: message</c>, then <c>  fix: ...</c>,
    /// and a summary line.
    /// </summary>
    public string Format()
    {
        var text = new StringBuilder();
        foreach (var finding in Findings)
        {
            text.Append(Script).Append(':');
            if (finding.Line is { } line)
            {
                text.Append(line.ToString(CultureInfo.InvariantCulture)).Append(':');
                if (finding.Column is { } column)
                {
                    text.Append(column.ToString(CultureInfo.InvariantCulture)).Append(':');
                }
            }
            text.Append(' ').Append(SeverityWord(finding.Severity)).Append(' ').Append(finding.Code).Append(": ").Append(finding.Message).Append('\n');
            if (finding.Fix is not null)
            {
                text.Append("  fix: ").Append(finding.Fix).Append('\n');
            }
        }
        var errors = Findings.Count(f => f.Severity == LintSeverity.Error);
        var warnings = Findings.Count(f => f.Severity == LintSeverity.Warning);
        var infos = Findings.Count(f => f.Severity == LintSeverity.Info);
        text.Append(Script).Append(": ")
            .Append(Passed ? "passed" : "FAILED")
            .Append(CultureInfo.InvariantCulture, $" under Python {PythonVersion}: {errors} error(s), {warnings} warning(s), {infos} info")
            .Append('\n');
        return text.ToString();
    }

    private static string SeverityWord(LintSeverity severity) => severity switch
    {
        LintSeverity.Error => "error",
        LintSeverity.Warning => "warning",
        _ => "info",
    };
}
