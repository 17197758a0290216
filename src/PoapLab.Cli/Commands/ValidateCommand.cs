using System.CommandLine;
using PoapLab.Scenarios.Loading;
using Spectre.Console;

namespace PoapLab.Cli.Commands;

/// <summary><c>poaplab validate FILE|DIR...</c>: reads scenario files and reports every problem with file and line.</summary>
internal static class ValidateCommand
{
    public static Command Build()
    {
        var paths = new Argument<string[]>("scenarios") { Description = "Scenario files or directories", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check scenario files without running them") { paths };
        command.SetAction(parse => Run(parse.GetValue(paths)!));
        return command;
    }

    private static int Run(string[] paths)
    {
        IReadOnlyList<string> files;
        try
        {
            files = ScenarioLoader.Find(paths);
        }
        catch (FileNotFoundException e)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return 2;
        }
        var bad = 0;
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in files)
        {
            try
            {
                var s = ScenarioLoader.Load(f);
                if (!byName.TryAdd(s.Name, f))
                {
                    bad++;
                    AnsiConsole.MarkupLine($"[red]error[/] {Markup.Escape(f)}: the scenario name '{Markup.Escape(s.Name)}' is also the name of {Markup.Escape(byName[s.Name])}; names must be unique in a run (each names its output folder)");
                    continue;
                }
                AnsiConsole.MarkupLine($"[green]ok[/]    {Markup.Escape(f)}: {Markup.Escape(s.Name)} ({s.Switches.Count} switch(es))");
            }
            catch (ScenarioException e)
            {
                bad++;
                AnsiConsole.MarkupLine($"[red]error[/] {Markup.Escape(e.Message)}");
            }
        }
        return bad == 0 ? 0 : 1;
    }
}
