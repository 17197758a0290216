using PoapLab.Scenarios.Reports;

namespace PoapLab.Scenarios.Tests.Reports;

public sealed class FailureEvidenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-evidence-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void For_FailedScript_TimelineUpToTheFailureAndTheLogLineThatSaysWhy()
    {
        File.WriteAllText(Path.Combine(_dir, "script.log"), "started\nInvalid option detected: mode serial\nPOAP script failed\nbye\n");

        var excerpts = FailureEvidence.For(ReportSamples.FailedEvents("leaf"), _dir, "s/leaf");

        excerpts[0].Source.ShouldBe("timeline");
        excerpts[0].Lines[^1].ShouldContain("poap.script.exited");
        var log = excerpts.Single(e => e.Source == "s/leaf/script.log");
        log.FirstLine.ShouldBe(1);
        log.Lines.ShouldBe(["started", "Invalid option detected: mode serial", "POAP script failed", "bye"]);
        log.Marked.Order().ShouldBe([1, 2]);
    }

    [Fact]
    public void Around_HugeLogWithLongLines_BoundedAndNumberedFromItsStart()
    {
        var path = Path.Combine(_dir, "script.log");
        using (var w = new StreamWriter(path))
        {
            for (int i = 1; i <= 100_000; i++)
            {
                w.Write(i == 99_990 ? "error: " + new string('x', 10_000) + "\n" : $"line {i}\n");
            }
        }

        var x = FailureEvidence.Around(path, "script.log")!;

        x.FirstLine.ShouldBe(99_990 - FailureEvidence.Context);
        x.Lines.Count.ShouldBe(2 * FailureEvidence.Context + 1);
        x.Lines.ShouldAllBe(l => l.Length <= FailureEvidence.MaxLineChars + 2);
    }

    [Fact]
    public void Around_LinkInPlaceOfTheLog_NotRead()
    {
        var secret = Path.Combine(_dir, "secret");
        File.WriteAllText(secret, "error: the host's secret\n");
        File.CreateSymbolicLink(Path.Combine(_dir, "script.log"), secret);

        FailureEvidence.Around(Path.Combine(_dir, "script.log"), "script.log").ShouldBeNull();
    }
}
