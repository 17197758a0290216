using System.CommandLine;
using PoapLab.Protocols.Integrity;
using Spectre.Console;

namespace PoapLab.Cli.Commands;

/// <summary><c>poaplab md5 FILE [--fix]</c>: checks or rewrites a script's <c>#md5sum</c> line.</summary>
internal static class Md5Command
{
    public static Command Build()
    {
        var file = new Argument<FileInfo>("script") { Description = "The POAP script" };
        var fix = new Option<bool>("--fix") { Description = "Rewrite the #md5sum line with the current value (added after the first line when missing)" };
        var command = new Command("md5", "Check a POAP script's #md5sum line the way the switch does (the MD5 of the file without its #md5sum lines, double-quoted, as the switch checks it)") { file, fix };
        command.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(fix)));
        return command;
    }

    private static int Run(FileInfo file, bool fix)
    {
        if (!file.Exists)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(file.FullName)}: no such file[/]");
            return 2;
        }
        var bytes = File.ReadAllBytes(file.FullName);
        var check = ScriptMd5.Check(bytes);
        if (fix)
        {
            if (check.Status == ScriptMd5Status.Valid)
            {
                AnsiConsole.MarkupLine($"{Markup.Escape(file.Name)}: #md5sum=\"{check.Computed}\" is already current");
                return 0;
            }
            File.WriteAllBytes(file.FullName, ScriptMd5.Fix(bytes));
            AnsiConsole.MarkupLine($"{Markup.Escape(file.Name)}: #md5sum set to \"{check.Computed}\" (was {Markup.Escape(check.Declared ?? "missing")})");
            return 0;
        }
        var line = check.LineNumber is { } n ? $" (line {n})" : "";
        switch (check.Status)
        {
            case ScriptMd5Status.Valid:
                AnsiConsole.MarkupLine($"[green]{Markup.Escape(file.Name)}: #md5sum=\"{check.Computed}\" is current[/]");
                return 0;
            case ScriptMd5Status.Missing:
                AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(file.Name)}: no #md5sum line; the switch runs it unvalidated. Its value would be \"{check.Computed}\" (poaplab md5 --fix adds it)[/]");
                return 1;
            case ScriptMd5Status.Unquoted:
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(file.Name)}{line}: #md5sum is not double-quoted; a Nexus 9000 refuses it. Fix: #md5sum=\"{check.Computed}\"[/]");
                return 1;
            case ScriptMd5Status.Malformed:
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(file.Name)}{line}: #md5sum does not hold a 32-digit MD5. Fix: #md5sum=\"{check.Computed}\"[/]");
                return 1;
            default:
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(file.Name)}{line}: #md5sum is {Markup.Escape(check.Declared ?? "")} but the script's MD5 is {check.Computed}: the switch will refuse it. Fix: poaplab md5 --fix {Markup.Escape(file.Name)}[/]");
                return 1;
        }
    }
}
