using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PoapLab.Benchmarks;

/// <summary>Prints the per-protocol tables and writes the same figures as JSON.</summary>
internal static class BenchmarkReport
{
    /// <summary>PoapLab's whole happy path may take at most this many times the reference parts together.</summary>
    public const double Target = 1.2;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly (Phase Phase, string Label, bool HasReference)[] Rows =
    [
        (Phase.Dhcp, "DHCP (discover .. ack)", false),
        (Phase.ScriptDownload, "script download", true),
        (Phase.ScriptRun, "script run (excl. image transfer, md5)", true),
        (Phase.ImageTransfer, "image transfer", true),
        (Phase.Md5, "md5 of the image", true),
        (Phase.Reload, "reload (.. config replayed/saved)", false),
        (Phase.Other, "other (boot, POAP start, #md5sum, gaps)", false),
    ];

    public static double? Median(IReadOnlyList<double>? values)
    {
        if (values is null || values.Count == 0)
        {
            return null;
        }
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static string Environment(IReadOnlyList<(string Key, string Value)> facts)
    {
        var text = new StringBuilder("Environment\n");
        foreach (var (key, value) in facts)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {key,-16} {value}\n");
        }
        return text.ToString();
    }

    public static string Table(ProtocolFigures f, int runs, long imageBytes)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"\n{f.Protocol.ToUpperInvariant()} ({f.Scenario}), median of {runs} run(s), real wall time\n");
        text.Append(CultureInfo.InvariantCulture, $"  {"phase",-42} {"PoapLab (ms)",13} {"reference (ms)",15} {"ratio",8}\n");
        text.Append("  ").Append('-', 42 + 1 + 13 + 1 + 15 + 1 + 8).Append('\n');
        foreach (var (phase, label, hasReference) in Rows)
        {
            var ours = Median(f.PoapLab.GetValueOrDefault(phase));
            var theirs = hasReference ? Median(f.Reference.GetValueOrDefault(phase)) : null;
            text.Append(CultureInfo.InvariantCulture, $"  {label,-42} {Ms(ours),13} {(hasReference ? Ms(theirs) : "n/a"),15} {Ratio(ours, theirs),8}\n");
        }
        var total = Median(f.PoapLab.GetValueOrDefault(Phase.Total));
        var referenceSum = ReferenceSum(f);
        text.Append("  ").Append('-', 42 + 1 + 13 + 1 + 15 + 1 + 8).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"  {"total happy path vs sum of reference parts",-42} {Ms(total),13} {Ms(referenceSum),15} {Ratio(total, referenceSum),8}\n");
        var ratio = total / referenceSum;
        text.Append(CultureInfo.InvariantCulture, $"  target <= {Target:0.0}x: {(ratio is null ? "not measurable" : ratio <= Target ? "MET" : "NOT MET")}\n");
        text.Append(CultureInfo.InvariantCulture, $"  whole ScenarioRunner.RunAsync (adds image generation, servers, artifacts): {Ms(Median(f.RunAsyncMs))} ms\n");
        var ourXfer = Median(f.PoapLab.GetValueOrDefault(Phase.ImageTransfer));
        var refXfer = Median(f.Reference.GetValueOrDefault(Phase.ImageTransfer));
        text.Append(CultureInfo.InvariantCulture, $"  image throughput: PoapLab {Throughput(imageBytes, ourXfer)}, reference {Throughput(imageBytes, refXfer)}\n");
        text.Append("  reference rows:\n");
        foreach (var (phase, how) in f.ReferenceHow.OrderBy(p => p.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"    {phase}: {how}\n");
        }
        text.Append("    DHCP, reload, other: no reference tool; they count fully against PoapLab in the total ratio\n");
        foreach (var note in f.Notes)
        {
            text.Append(CultureInfo.InvariantCulture, $"  note: {note}\n");
        }
        return text.ToString();
    }

    /// <summary>The reference parts together, or null when any of them could not be measured.</summary>
    public static double? ReferenceSum(ProtocolFigures f)
    {
        double sum = 0;
        foreach (var (phase, _, hasReference) in Rows)
        {
            if (!hasReference)
            {
                continue;
            }
            if (Median(f.Reference.GetValueOrDefault(phase)) is not { } m)
            {
                return null;
            }
            sum += m;
        }
        return sum;
    }

    public static async Task WriteJsonAsync(string directory, IReadOnlyList<(string Key, string Value)> facts, IReadOnlyList<ProtocolFigures> protocols, CancellationToken cancellationToken)
    {
        var environment = new JsonObject();
        foreach (var (key, value) in facts)
        {
            environment[key] = value;
        }
        var list = new JsonArray();
        foreach (var f in protocols)
        {
            var phases = new JsonArray();
            foreach (var (phase, label, hasReference) in Rows.Append((Phase.Total, "total happy path", true)))
            {
                var ours = Median(f.PoapLab.GetValueOrDefault(phase));
                var theirs = phase == Phase.Total ? ReferenceSum(f) : hasReference ? Median(f.Reference.GetValueOrDefault(phase)) : null;
                phases.Add(new JsonObject
                {
                    ["phase"] = phase.ToString(),
                    ["label"] = label,
                    ["poaplab_ms"] = ours,
                    ["reference_ms"] = theirs,
                    ["ratio"] = ours / theirs,
                    ["poaplab_runs_ms"] = new JsonArray([.. f.PoapLab.GetValueOrDefault(phase, []).Select(v => (JsonNode?)v)]),
                    ["reference_runs_ms"] = new JsonArray([.. f.Reference.GetValueOrDefault(phase, []).Select(v => (JsonNode?)v)]),
                    ["reference"] = phase == Phase.Total ? "sum of the reference rows" : f.ReferenceHow.GetValueOrDefault(phase),
                });
            }
            var total = Median(f.PoapLab.GetValueOrDefault(Phase.Total)) / ReferenceSum(f);
            list.Add(new JsonObject
            {
                ["protocol"] = f.Protocol,
                ["scenario"] = f.Scenario,
                ["phases"] = phases,
                ["total_ratio"] = total,
                ["target_ratio"] = Target,
                ["target_met"] = total is null ? null : total <= Target,
                ["run_async_ms"] = Median(f.RunAsyncMs),
                ["notes"] = new JsonArray([.. f.Notes.Select(n => (JsonNode?)n)]),
            });
        }
        var document = new JsonObject { ["environment"] = environment, ["protocols"] = list };
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "benchmark.json");
        await File.WriteAllTextAsync(path, document.ToJsonString(Json) + "\n", cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"\nwrote {path}");
    }

    private static string Ms(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string Ratio(double? ours, double? theirs) =>
        ours is { } o && theirs is { } t && t > 0 ? (o / t).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    private static string Throughput(long bytes, double? ms) =>
        ms is { } m && m > 0 ? (bytes / 1048576.0 / (m / 1000)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB/s" : "-";
}
