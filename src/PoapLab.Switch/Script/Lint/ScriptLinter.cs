using System.Text;
using PoapLab.Protocols.Integrity;

namespace PoapLab.Switch.Script.Lint;

/// <summary>
/// A preflight for POAP scripts: finds before a switch does what would make the switch
/// fail the attempt (the catalogue's failure modes 06, 08, 09 and 11 under scenarios/catalogue), each with its line and a fix.
/// The script is compiled by the TARGET interpreter (2.7 for NX-OS 7.x, 3 for 9.3+/10.x),
/// never imported or run.
/// </summary>
public static partial class ScriptLinter
{
    /// <summary>Lints <paramref name="scriptPath"/> for the interpreter <paramref name="python"/>.</summary>
    /// <param name="python">As for <see cref="PythonLocator.Resolve"/>: null for Debian's python3, <c>2.7</c> for 7.x images, ...</param>
    /// <exception cref="FileNotFoundException">The script does not exist.</exception>
    /// <exception cref="PythonNotFoundException">The interpreter is not on this machine; the message says how to get it.</exception>
    /// <exception cref="ArgumentException"><paramref name="python"/> names no interpreter.</exception>
    /// <exception cref="InvalidOperationException">The interpreter could not check the script (unreadable file, broken interpreter).</exception>
    /// <exception cref="TimeoutException">The interpreter did not answer within 60 s.</exception>
    public static Task<LintReport> LintAsync(string scriptPath, string? python, CancellationToken cancellationToken) =>
        LintAsync(scriptPath, python, null, cancellationToken);

    /// <summary>Lints <paramref name="scriptPath"/> for the interpreter <paramref name="python"/> and, when known, the release it will run on.</summary>
    /// <param name="release">The release of the switch the script is meant for; null when unknown (the strictest release is assumed).</param>
    public static async Task<LintReport> LintAsync(string scriptPath, string? python, Identity.NxosFeatures? release, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scriptPath);
        if (!File.Exists(scriptPath))
        {
            throw new FileNotFoundException($"{scriptPath}: no such file", scriptPath);
        }
        var interpreter = PythonLocator.Resolve(python);
        var bytes = await File.ReadAllBytesAsync(scriptPath, cancellationToken).ConfigureAwait(false);
        var lines = Encoding.UTF8.GetString(bytes).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var facts = await RunCheckerAsync(interpreter, Path.GetFullPath(scriptPath), cancellationToken).ConfigureAwait(false);

        var findings = new List<LintFinding>();
        CheckMd5(bytes, scriptPath, release, findings);
        if (facts.Syntax is { } syntax)
        {
            ReportSyntax(syntax, facts.Version, lines, findings);
        }
        foreach (var warning in facts.Warnings ?? [])
        {
            findings.Add(new LintFinding(LintSeverity.Warning, LintCodes.CompilerWarning, warning.Line, null,
                $"Python {facts.Version} warns ({warning.Category}): {warning.Msg}", null));
        }
        ReportImports(facts.Imports ?? [], facts.Version, findings);
        if (facts.Syntax is null)
        {
            ReportOptions(facts.Options, findings);
        }
        var ordered = findings.OrderBy(f => f.Line ?? 0).ThenBy(f => f.Column ?? 0).ToList();
        return new LintReport(scriptPath, facts.Version, ordered);
    }

    private static void CheckMd5(byte[] bytes, string scriptPath, Identity.NxosFeatures? release, List<LintFinding> findings)
    {
        var check = ScriptMd5.Check(bytes);
        var correct = $"#md5sum=\"{check.Computed}\"";
        var tool = $"poaplab md5 --fix {scriptPath}";
        switch (check.Status)
        {
            case ScriptMd5Status.Valid:
                return;
            case ScriptMd5Status.Missing:
                findings.Add(new LintFinding(LintSeverity.Warning, LintCodes.Md5Missing, null, null,
                    "no #md5sum line: the switch runs the script without validating it, so a truncated or wrong download runs too",
                    $"add the line {correct} after the first line (or run: {tool})"));
                return;
            case ScriptMd5Status.Unquoted when release is { Md5SumUnquoted: true }:
                if (!string.Equals(check.Declared, check.Computed, StringComparison.OrdinalIgnoreCase))
                {
                    goto default;
                }
                findings.Add(new LintFinding(LintSeverity.Warning, LintCodes.Md5Unquoted, check.LineNumber, 1,
                    $"#md5sum={check.Declared} is not double-quoted: NX-OS {release.Version.Display} accepts it, but 7.0(3)I2 and later refuse the script (failure mode 6)",
                    $"replace line {check.LineNumber} with {correct} (or run: {tool})"));
                return;
            case ScriptMd5Status.Unquoted:
                findings.Add(new LintFinding(LintSeverity.Error, LintCodes.Md5Unquoted, check.LineNumber, 1,
                    $"#md5sum={check.Declared} is not double-quoted: NX-OS 7.0(3)I2 and later refuse the script; only 6.x and 7.0(3)I1 took the value unquoted (failure mode 6)",
                    $"replace line {check.LineNumber} with {correct} (or run: {tool})"));
                return;
            case ScriptMd5Status.Malformed:
                findings.Add(new LintFinding(LintSeverity.Error, LintCodes.Md5Malformed, check.LineNumber, 1,
                    $"#md5sum does not hold a 32-digit MD5 (\"{check.Declared}\"): the switch refuses the script (failure mode 6)",
                    $"replace line {check.LineNumber} with {correct} (or run: {tool})"));
                return;
            default:
                findings.Add(new LintFinding(LintSeverity.Error, LintCodes.Md5Stale, check.LineNumber, 1,
                    $"#md5sum is {check.Declared} but the script's MD5 (without its #md5sum lines) is {check.Computed}: " +
                    "the switch refuses the script; the value is stale, usually because the script was edited after computing it (failure mode 6)",
                    $"replace line {check.LineNumber} with {correct} (or run: {tool})"));
                return;
        }
    }

    private static void ReportImports(IReadOnlyList<ImportFact> imports, string version, List<LintFinding> findings)
    {
        foreach (var import in imports)
        {
            var top = import.Module.Split('.')[0];
            if (top == "cisco")
            {
                if (!import.Guarded)
                {
                    findings.Add(new LintFinding(LintSeverity.Warning, LintCodes.ImportCisco, import.Line, import.Col,
                        $"import {import.Module}: only legacy N3K/N5K images have the cisco module; on a Nexus 9000 this raises ImportError and the script fails",
                        "import it inside try: ... except ImportError: and fall back to 'from cli import *' (the legacy-platform probe)"));
                }
                continue;
            }
            if (import.Found != false)
            {
                // cli, syslog and yaml: the switch provides them whatever the host has.
                continue;
            }
            var python2Only = Python2Modules.TryGetValue(top, out var replacement);
            var why = python2Only
                ? $"{top} exists only in Python 2, and the target is Python {version}"
                : $"the target interpreter (Python {version}) has no module {import.Module}";
            var fix = python2Only
                ? $"use {replacement} (or, for an NX-OS 7.x image, lint with --python 2.7)"
                : "remove the import or copy what it provides into the script: the switch installs nothing for a POAP script";
            if (import.Guarded)
            {
                findings.Add(new LintFinding(LintSeverity.Info, LintCodes.ImportMissing, import.Line, import.Col,
                    $"import {import.Module} fails under Python {version} ({why}); the script guards it (try/except or a version check)", null));
                continue;
            }
            findings.Add(new LintFinding(LintSeverity.Warning, LintCodes.ImportMissing, import.Line, import.Col,
                $"import {import.Module} fails: {why}; the script stops with ImportError when it gets here (failure mode 11)", fix));
        }
    }

    // Python 2 modules that scripts written for 7.x images import, and their Python 3 homes.
    private static readonly Dictionary<string, string> Python2Modules = new(StringComparer.Ordinal)
    {
        ["urllib2"] = "urllib.request and urllib.error",
        ["urlparse"] = "urllib.parse",
        ["commands"] = "subprocess.getoutput / subprocess.check_output",
        ["httplib"] = "http.client",
        ["ConfigParser"] = "configparser",
        ["StringIO"] = "io.StringIO",
        ["cStringIO"] = "io.BytesIO / io.StringIO",
        ["cPickle"] = "pickle",
        ["Queue"] = "queue",
        ["HTMLParser"] = "html.parser",
        ["xmlrpclib"] = "xmlrpc.client",
    };
}
