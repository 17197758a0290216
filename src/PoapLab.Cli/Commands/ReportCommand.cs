using System.CommandLine;
using PoapLab.Scenarios.Reports;
using PoapLab.Scenarios.Running;

namespace PoapLab.Cli.Commands;

/// <summary>
/// <c>poaplab report merge DIR... --out DIR</c>: joins the reports of the parts of a run
/// (<c>poaplab run --shard K/N</c> on N CI jobs) into one report.json, report.junit.xml and report.html.
/// Exit code 0 when every scenario passed, 1 when one failed, 2 when the reports cannot be merged.
/// </summary>
internal static class ReportCommand
{
    public static Command Build()
    {
        var dirs = new Argument<string[]>("reports") { Description = "The --out folders of the parts (each with report.json and report.junit.xml)", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<DirectoryInfo>("--out") { Description = "Where the merged reports go (new, empty, or PoapLab output)", Required = true };
        var merge = new Command("merge", "Join the reports of the parts of a sharded run (--shard K/N) into one report.json, report.junit.xml and report.html") { dirs, outDir };
        merge.SetAction(parse => Merge(parse.GetValue(dirs)!, parse.GetValue(outDir)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return new Command("report", "Work with run reports") { merge };
    }

    private static int Merge(string[] dirs, DirectoryInfo outDir, TextWriter output, TextWriter error)
    {
        try
        {
            var full = OutputDirectory.Prepare(outDir.FullName);
            var parts = dirs.Select(Path.GetFullPath).ToList();
            if (parts.Any(p => string.Equals(p, full, StringComparison.Ordinal)))
            {
                error.WriteLine($"error: --out {full} is one of the reports to merge: merge into a folder of its own");
                return 2;
            }
            var s = ReportMerger.Merge(parts, full);
            output.WriteLine($"{s.Scenarios} scenario(s) from {dirs.Length} report(s): {s.Passed} passed, {s.Failed} failed{(s.Skipped > 0 ? $", {s.Skipped} skipped" : "")}{(s.Cancelled > 0 ? $", {s.Cancelled} cancelled" : "")} — reports: {Path.Combine(full, "report.html")}, report.junit.xml, report.json");
            return s.Failed + s.Cancelled == 0 ? 0 : 1;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
