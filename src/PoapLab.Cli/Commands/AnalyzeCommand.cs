using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using PoapLab.Lab.Wire;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using Spectre.Console;

namespace PoapLab.Cli.Commands;

/// <summary>
/// <c>poaplab analyze CAPTURE [--scenario FILE] [--out DIR]</c>: judges each switch's POAP
/// from a capture file alone (a tcpdump taken at a site, or a run's capture.pcapng).
/// </summary>
internal static class AnalyzeCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new AddressConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static Command Build()
    {
        var capture = new Argument<FileInfo>("capture") { Description = "A pcap or pcapng file (tcpdump -w, Wireshark, a run's capture.pcapng)" };
        var scenario = new Option<FileInfo?>("--scenario") { Description = "Check this scenario's expect: on what the wire shows (exit 1 when a verdict disagrees)" };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Also write wire-report.json and wire-timeline.txt here" };
        var command = new Command("analyze", "Judge each switch's POAP from a capture alone: timeline, verdict and diagnosis per switch") { capture, scenario, output };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse.GetValue(capture)!, parse.GetValue(scenario), parse.GetValue(output), ct)));
        return command;
    }

    private static int Run(FileInfo capture, FileInfo? scenarioFile, DirectoryInfo? output, CancellationToken cancellationToken)
    {
        Scenario? scenario = null;
        if (scenarioFile is not null)
        {
            try
            {
                scenario = ScenarioLoader.Load(scenarioFile.FullName);
            }
            catch (Exception e) when (e is ScenarioException or FileNotFoundException or IOException)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
                return 2;
            }
        }
        WireReport report;
        var watch = Stopwatch.StartNew();
        try
        {
            report = CaptureFrames.Judge(capture.FullName, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or IOException)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return 2;
        }
        var lines = WireJudge.Describe(report).ToList();
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }
        Console.WriteLine($"judged in {watch.Elapsed.TotalSeconds:0.00} s");
        var exit = 0;
        IReadOnlyList<WireCheck> checks = [];
        if (scenario is not null)
        {
            checks = WireExpectations.Check(scenario, report);
            Console.WriteLine();
            Console.WriteLine($"expect: of {scenario.Name}, judged from the wire:");
            foreach (var c in checks)
            {
                var mark = c.Result switch { WireCheckResult.Agrees => "[green]agrees[/]  ", WireCheckResult.Disagrees => "[red]DISAGREES[/]", _ => "[grey]cannot judge[/]" };
                AnsiConsole.MarkupLine($"  {mark} {Markup.Escape(c.Switch)} {Markup.Escape(c.Expectation)}: {Markup.Escape(c.Detail)}");
            }
            exit = checks.Any(c => c.Result == WireCheckResult.Disagrees) ? 1 : 0;
        }
        if (output is not null)
        {
            Directory.CreateDirectory(output.FullName);
            File.WriteAllLines(Path.Combine(output.FullName, "wire-timeline.txt"), lines);
            File.WriteAllText(Path.Combine(output.FullName, "wire-report.json"), JsonSerializer.Serialize(new { report, checks }, Json));
        }
        return exit;
    }

    private sealed class AddressConverter : JsonConverter<System.Net.IPAddress>
    {
        public override System.Net.IPAddress? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            System.Net.IPAddress.Parse(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, System.Net.IPAddress value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
