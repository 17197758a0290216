using System.Text.RegularExpressions;
using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Files;

/// <summary>
/// Applies a scenario's <c>edit:</c> list to a script's text before it is served: literal or
/// regular-expression replacements, in order, each of which must match at least once (an edit
/// that matches nothing means the script is not the one the scenario was written for). A regex
/// runs with a timeout and the text may not grow past <see cref="RegularFile.MaxScriptBytes"/>.
/// </summary>
public static class ScriptEdits
{
    /// <summary>How long one regex edit may take on one script.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The options every regex edit is compiled with: <c>^</c>/<c>$</c> at each line, culture-invariant.</summary>
    public const RegexOptions Options = RegexOptions.Multiline | RegexOptions.CultureInvariant;

    /// <summary>The edited text.</summary>
    /// <exception cref="InvalidOperationException">An edit matched nothing, ran past its timeout, or made the script too large; the message names the edit.</exception>
    public static string Apply(string script, IReadOnlyList<ScriptEdit> edits, string scriptName) =>
        Apply(script, edits, scriptName, RegexTimeout, RegularFile.MaxScriptBytes);

    /// <summary>The edited text, with the regex timeout and size limit given (tests).</summary>
    public static string Apply(string script, IReadOnlyList<ScriptEdit> edits, string scriptName, TimeSpan regexTimeout, long maxChars)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(edits);
        for (var i = 0; i < edits.Count; i++)
        {
            var edit = edits[i];
            var name = $"{scriptName}: edit {i + 1} ({edit.Describe()})";
            script = edit.Regex is { } pattern
                ? ApplyRegex(script, pattern, edit.With, name, regexTimeout, maxChars)
                : ApplyLiteral(script, edit.Replace ?? throw new ArgumentException($"{name} has neither replace nor regex", nameof(edits)), edit.With, name, maxChars);
        }
        return script;
    }

    private static string ApplyLiteral(string script, string find, string with, string name, long maxChars)
    {
        if (find.Length == 0)
        {
            throw new InvalidOperationException($"{name}: the text to replace is empty");
        }
        var count = 0L;
        for (var at = script.IndexOf(find, StringComparison.Ordinal); at >= 0; at = script.IndexOf(find, at + find.Length, StringComparison.Ordinal))
        {
            count++;
        }
        if (count == 0)
        {
            throw new InvalidOperationException($"{name} matched nothing in the script: is it the script the scenario was written for?");
        }
        if (script.Length + (count * (with.Length - (long)find.Length)) > maxChars)
        {
            throw new InvalidOperationException($"{name} would make the script larger than {maxChars} characters");
        }
        return script.Replace(find, with, StringComparison.Ordinal);
    }

    private static string ApplyRegex(string script, string pattern, string with, string name, TimeSpan timeout, long maxChars)
    {
        Regex regex;
        try
        {
            regex = new Regex(pattern, Options, timeout);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"{name} is not a valid regular expression: {e.Message}", e);
        }
        var count = 0;
        var size = (long)script.Length;
        var tooLarge = false;
        string result;
        try
        {
            result = regex.Replace(script, m =>
            {
                count++;
                if (tooLarge)
                {
                    return "";
                }
                var replacement = m.Result(with);
                size += replacement.Length - m.Length;
                tooLarge = size > maxChars;
                return replacement;
            });
        }
        catch (RegexMatchTimeoutException)
        {
            throw new InvalidOperationException($"{name} took longer than {timeout.TotalSeconds:0.###} s on the script and was stopped: simplify the pattern (nested repetition such as (a+)+ backtracks without end)");
        }
        if (tooLarge)
        {
            throw new InvalidOperationException($"{name} would make the script larger than {maxChars} characters");
        }
        if (count == 0)
        {
            throw new InvalidOperationException($"{name} matched nothing in the script: is it the script the scenario was written for?");
        }
        return result;
    }
}
