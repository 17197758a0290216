using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Lint;

namespace PoapLab.Cli.Commands;

/// <summary><c>poaplab lint SCRIPT [--python VER] [--json]</c>: finds what would make a switch fail the script, before a switch does.</summary>
internal static class LintCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // Read by people and tools, never embedded in HTML: keep quotes in messages legible.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Command Build()
    {
        var file = new Argument<FileInfo>("script") { Description = "The POAP script" };
        var python = new Option<string?>("--python")
        {
            Description = "The switch's interpreter: 2.7 for NX-OS 7.x images; default Debian's python3 (9.3+/10.x); or 3.12, python3.12, an absolute path",
        };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("lint",
            "Check a POAP script the way a switch would run it: compiles it with the target Python, checks #md5sum, imports and the options dict; exit 0 clean, 1 errors, 2 file or interpreter missing")
        {
            file, python, json,
        };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(file)!, parse.GetValue(python), parse.GetValue(json),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo file, string? python, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        LintReport report;
        try
        {
            report = await ScriptLinter.LintAsync(file.FullName, python, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            await error.WriteLineAsync($"{file.FullName}: no such file (give the path of the POAP script to lint)").ConfigureAwait(false);
            return 2;
        }
        catch (PythonNotFoundException e)
        {
            await error.WriteLineAsync($"cannot lint {file.Name}: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or TimeoutException)
        {
            await error.WriteLineAsync($"cannot lint {file.Name}: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        var text = json ? JsonSerializer.Serialize(report, Json) + "\n" : report.Format();
        await output.WriteAsync(text).ConfigureAwait(false);
        return report.Passed ? 0 : 1;
    }
}
