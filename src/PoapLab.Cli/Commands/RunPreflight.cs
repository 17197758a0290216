using System.Collections.Concurrent;
using System.Security.Cryptography;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Lint;

namespace PoapLab.Cli.Commands;

/// <summary>What the linter found in one scenario's scripts, as they will be served.</summary>
/// <param name="Errors">Findings the switch would fail on, one line each (<c>file:line:col: error code: message</c>).</param>
/// <param name="Warnings">The rest worth a look (warnings).</param>
/// <param name="Skipped">Why a script could not be linted (its interpreter is missing), or null.</param>
internal sealed record ScenarioLint(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, string? Skipped);

/// <summary>
/// <c>run</c> lints first: every script a scenario will serve (the <c>--script</c> one, or the
/// scenario's own), exactly as served (options edited, <c>#md5sum</c> fixed or kept), under the
/// Python its switch runs (2.7 for images before 9.3, the switch's <c>python:</c> when set). Each
/// distinct served script is linted once. A finding names the served copy,
/// <c>OUT/SCENARIO/files/PATH:LINE:COL</c>, the file the switch ran.
/// </summary>
internal static class RunPreflight
{
    /// <summary>The most scripts linted at once.</summary>
    private const int Parallel = 4;

    public static async Task<IReadOnlyDictionary<string, ScenarioLint>> LintAsync(IReadOnlyList<Scenario> scenarios, string? scriptOverride, string outRoot, CancellationToken cancellationToken)
    {
        var cache = new ConcurrentDictionary<string, Lazy<Task<LintReport?>>>(StringComparer.Ordinal);
        var skipped = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var gate = new SemaphoreSlim(Parallel, Parallel);
        var result = new ConcurrentDictionary<string, ScenarioLint>(StringComparer.OrdinalIgnoreCase);
        var temp = Directory.CreateTempSubdirectory("poaplab-lint-");
        try
        {
            await Task.WhenAll(scenarios.Select(async scenario =>
            {
                var errors = new List<string>();
                var warnings = new List<string>();
                string? why = null;
                foreach (var file in scenario.Files.Where(f => f.Script is not null))
                {
                    byte[] served;
                    try
                    {
                        served = ScenarioFiles.ServedScript(file, scriptOverride);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or Scenarios.Loading.ScenarioException)
                    {
                        continue; // The run reports it as the scenario's error.
                    }
                    var python = PythonOf(scenario);
                    var key = Convert.ToHexStringLower(MD5.HashData(served)) + "|" + (python ?? "") + "|" + (ReleaseOf(scenario)?.Md5SumUnquoted == true ? "unquoted-ok" : "");
                    var report = await cache.GetOrAdd(key, k => new Lazy<Task<LintReport?>>(() => LintOneAsync(k, served, python, ReleaseOf(scenario), temp.FullName, gate, skipped, cancellationToken))).Value.ConfigureAwait(false);
                    if (report is null)
                    {
                        why ??= skipped.GetValueOrDefault(key);
                        continue;
                    }
                    var shown = Path.Combine(outRoot, scenario.Name, "files", file.Path.TrimStart('/'));
                    foreach (var f in report.Findings)
                    {
                        var line = Format(shown, f with { Message = f.Message.Replace(report.Script, shown, StringComparison.Ordinal), Fix = f.Fix?.Replace(report.Script, shown, StringComparison.Ordinal) });
                        if (f.Severity == LintSeverity.Error)
                        {
                            errors.Add(line);
                        }
                        else if (f.Severity == LintSeverity.Warning)
                        {
                            warnings.Add(line);
                        }
                    }
                }
                result[scenario.Name] = new ScenarioLint(errors, warnings, why);
            })).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                temp.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder left behind is not the run's failure.
            }
        }
        return result;
    }

    private static async Task<LintReport?> LintOneAsync(string key, byte[] served, string? python, NxosFeatures? release, string temp, SemaphoreSlim gate, ConcurrentDictionary<string, string> skipped, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var path = Path.Combine(temp, key[..32] + (python is null ? "" : "-" + string.Concat(python.Where(char.IsAsciiLetterOrDigit))) + ".py");
            await File.WriteAllBytesAsync(path, served, cancellationToken).ConfigureAwait(false);
            return await ScriptLinter.LintAsync(path, python, release, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PythonNotFoundException or ArgumentException or InvalidOperationException or TimeoutException or IOException)
        {
            skipped[key] = $"not linted: {e.Message}";
            return null;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The release of the scenario's first switch, or null when it names none that parses.</summary>
    private static NxosFeatures? ReleaseOf(Scenario scenario)
    {
        if (scenario.Switches.Count == 0)
        {
            return null;
        }
        try
        {
            return new NxosFeatures(NxosVersion.Parse(scenario.Switches[0].Version), scenario.Switches[0].Model);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The interpreter the scenario's first switch runs its script with, as the switch picks it.</summary>
    private static string? PythonOf(Scenario scenario)
    {
        if (scenario.Switches.Count == 0)
        {
            return null;
        }
        var first = scenario.Switches[0];
        if (first.Python is not null)
        {
            return first.Python;
        }
        try
        {
            return new NxosFeatures(NxosVersion.Parse(first.Version), first.Model).ScriptPython == "2.7" ? "2.7" : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string Format(string path, LintFinding f)
    {
        var where = path + (f.Line is { } l ? ":" + l + (f.Column is { } c ? ":" + c : "") : "");
        var word = f.Severity == LintSeverity.Error ? "error" : f.Severity == LintSeverity.Warning ? "warning" : "info";
        return $"{where}: {word} {f.Code}: {f.Message}{(f.Fix is null ? "" : $" (fix: {f.Fix})")}";
    }
}
