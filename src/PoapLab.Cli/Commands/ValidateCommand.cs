using System.CommandLine;
using PoapLab.Scenarios.Loading;

namespace PoapLab.Cli.Commands;

/// <summary>
/// <c>poaplab validate FILE|DIR...</c>: reads scenario files and reports every problem of each
/// file, one line each, as <c>file:line:col: problem</c> (the form editors and CI logs link).
/// Problems go to stderr, the files that are fine to stdout.
/// </summary>
internal static class ValidateCommand
{
    public static Command Build()
    {
        var paths = new Argument<string[]>("scenarios") { Description = "Scenario files or directories", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Check scenario files without running them: every problem of each file, with file:line:col") { paths };
        command.SetAction(parse => Run(parse.GetValue(paths)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string[] paths, TextWriter output, TextWriter error)
    {
        IReadOnlyList<string> files;
        try
        {
            files = ScenarioLoader.Find(paths);
        }
        catch (FileNotFoundException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
        var badFiles = 0;
        var problems = 0;
        var byName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in files)
        {
            try
            {
                var s = ScenarioLoader.Load(f);
                if (!byName.TryAdd(s.Name, f))
                {
                    badFiles++;
                    problems++;
                    error.WriteLine($"{f}:1:1: error: the scenario name '{s.Name}' is also the name of {byName[s.Name]}; names must be unique in a run (each names its output folder)");
                    continue;
                }
                output.WriteLine($"ok     {f}: {s.Name} ({s.Switches.Count} switch(es))");
            }
            catch (ScenarioException e)
            {
                badFiles++;
                foreach (var one in e.Errors)
                {
                    problems++;
                    error.WriteLine($"{one.Location}: error: {one.Problem}");
                }
            }
        }
        if (badFiles > 0)
        {
            error.WriteLine($"{problems} problem(s) in {badFiles} of {files.Count} file(s)");
        }
        return badFiles == 0 ? 0 : 1;
    }
}
