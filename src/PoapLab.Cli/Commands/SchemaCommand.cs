using System.CommandLine;
using PoapLab.Scenarios.Loading;

namespace PoapLab.Cli.Commands;

/// <summary>
/// <c>poaplab schema [--out FILE] [--markdown]</c>: the JSON Schema of scenario files, generated
/// from the loader's key table (the repository keeps it as <c>schema/scenario.schema.json</c>),
/// or the README's key reference.
/// </summary>
internal static class SchemaCommand
{
    public static Command Build()
    {
        var outFile = new Option<FileInfo?>("--out") { Description = "Write it to this file instead of stdout" };
        var markdown = new Option<bool>("--markdown") { Description = "The key reference as a Markdown table (the README's) instead of the JSON Schema" };
        var command = new Command("schema", "Print the JSON Schema of scenario files (for editors: yaml-language-server), generated from the loader's keys") { outFile, markdown };
        command.SetAction(parse =>
        {
            var text = parse.GetValue(markdown) ? ScenarioSchema.KeyReference() : ScenarioSchema.Generate();
            if (parse.GetValue(outFile) is { } file)
            {
                try
                {
                    File.WriteAllText(file.FullName, text);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"error: --out {file.FullName}: {e.Message}");
                    return 2;
                }
            }
            else
            {
                parse.InvocationConfiguration.Output.Write(text);
            }
            return 0;
        });
        return command;
    }
}
