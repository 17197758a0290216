using System.Text.RegularExpressions;

namespace PoapLab.Switch.Script;

/// <summary>
/// Reads which Python a script's <c>#!</c> line names, the way a Unix exec does: the
/// interpreter is the first word after <c>#!</c>, or, for <c>#!/bin/env python3</c> and
/// <c>#!/usr/bin/env python3</c>, the word after <c>env</c>.
/// </summary>
public static partial class Shebang
{
    /// <summary>
    /// <c>2</c> for <c>python</c>, <c>python2</c>, <c>python2.7</c>; <c>3</c> for <c>python3</c>,
    /// <c>python3.7</c>; null when the line is no <c>#!</c> line or names no Python.
    /// </summary>
    /// <param name="firstLine">The script's first line (its line ending may be left on).</param>
    public static string? PythonOf(string? firstLine)
    {
        if (firstLine is null || !firstLine.StartsWith("#!", StringComparison.Ordinal))
        {
            return null;
        }
        var words = firstLine[2..].Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return null;
        }
        var program = Path.GetFileName(words[0]);
        if (program == "env")
        {
            // env's own options (-S, -i) come before the program; the first plain word is it.
            program = words.Skip(1).FirstOrDefault(w => !w.StartsWith('-') && !w.Contains('=', StringComparison.Ordinal)) is { } named
                ? Path.GetFileName(named)
                : "";
        }
        var m = PythonName().Match(program);
        if (!m.Success)
        {
            return null;
        }
        return m.Groups["major"].Value is "3" ? "3" : "2";
    }

    [GeneratedRegex(@"^python(?<major>[23]?)(?:\.\d{1,2})?$", RegexOptions.CultureInvariant)]
    private static partial Regex PythonName();
}
