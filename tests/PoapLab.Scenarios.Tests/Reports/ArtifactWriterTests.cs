using System.Diagnostics;
using PoapLab.Scenarios.Reports;
using PoapLab.Switch.Flash;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Reports;

/// <summary>The per-switch logs of the report: only regular files of the switch, never through a link, bounded.</summary>
public sealed partial class ArtifactWriterTests : IDisposable
{
    private const string CanaryText = "canary: the host's own bytes\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriteTimelineJson_Fleet_SameDocumentAsSerialisingItWhole()
    {
        var events = ReportSamples.HappyEvents("leaf-1").Concat(ReportSamples.FailedEvents("leaf-2")).ToList();
        // An event that concerns no switch, and text that must be escaped.
        events.Add(new PoapLab.Core.Events.LabEvent(999, TimeSpan.FromMilliseconds(1.5), TimeSpan.FromTicks(12345678), "dhcp", "server.started", ReportSamples.Hostile + "\"\u0001é",
            new Dictionary<string, string> { ["a"] = "\"quoted\"", ["b"] = ReportSamples.Hostile }));
        var result = ReportSamples.Scenario("fleet", _dir,
            ReportSamples.Switch("leaf-1", failed: false, ReportSamples.HappyEvents("leaf-1")), ReportSamples.Switch("leaf-2", failed: true, ReportSamples.FailedEvents("leaf-2"))) with { Timeline = events };
        using var streamed = new MemoryStream();

        ArtifactWriter.WriteTimelineJson(result, streamed);

        System.Text.Encoding.UTF8.GetString(streamed.ToArray())
            .ShouldBe(System.Text.Json.JsonSerializer.Serialize(ArtifactWriter.TimelineJson(result), ReportJson.Options));
    }

    [Fact]
    public void CopySwitchLogs_OwnLogs_Concatenated()
    {
        var fs = new SwitchFilesystem(Path.Combine(_dir, "switch"));
        File.WriteAllText(Path.Combine(fs.BootflashPath, "20260101_000000_poap_1_init.log"), "init\n");
        File.WriteAllText(Path.Combine(fs.BootflashPath, "poap_script.log"), "script\n");
        File.WriteAllText(Path.Combine(fs.LogsPath, "syslog.log"), "syslog\n");
        var target = Directory.CreateDirectory(Path.Combine(_dir, "report")).FullName;

        ArtifactWriter.CopySwitchLogs(fs, "syslog.log", "console.log", target);

        File.ReadAllText(Path.Combine(target, "poap.log")).ShouldBe("===== 20260101_000000_poap_1_init.log =====\ninit\n");
        File.ReadAllText(Path.Combine(target, "script.log")).ShouldBe("===== poap_script.log =====\nscript\n");
        File.ReadAllText(Path.Combine(target, "syslog.log")).ShouldBe("syslog\n");
        File.Exists(Path.Combine(target, "console.log")).ShouldBeFalse();
    }

    [Fact]
    public async Task CopySwitchLogs_LinksAndFifosNamedLikeLogs_SkippedNoHang()
    {
        var fs = new SwitchFilesystem(Path.Combine(_dir, "switch"));
        var secret = Path.Combine(_dir, "secret.txt");
        File.WriteAllText(secret, CanaryText);
        File.CreateSymbolicLink(Path.Combine(fs.BootflashPath, "y_script.log"), secret);
        File.CreateSymbolicLink(Path.Combine(fs.BootflashPath, "a_poap_1_init.log"), secret);
        File.CreateSymbolicLink(Path.Combine(fs.BootflashPath, "b"), _dir);
        File.CreateSymbolicLink(Path.Combine(fs.BootflashPath, "c_script.log"), "b/secret.txt");
        Mkfifo(Path.Combine(fs.BootflashPath, "x_script.log"));
        Mkfifo(Path.Combine(fs.BootflashPath, "z_poap_2_init.log"));
        File.WriteAllText(Path.Combine(fs.BootflashPath, "own_script.log"), "own\n");
        var target = Directory.CreateDirectory(Path.Combine(_dir, "report")).FullName;

        await Task.Run(() => ArtifactWriter.CopySwitchLogs(fs, "syslog.log", "console.log", target), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        File.ReadAllText(Path.Combine(target, "script.log")).ShouldBe("===== own_script.log =====\nown\n");
        File.Exists(Path.Combine(target, "poap.log")).ShouldBeFalse();
        File.ReadAllText(secret).ShouldBe(CanaryText);
    }

    [Fact]
    public void CopySwitchLogs_LogLargerThanTheBound_CutWithANote()
    {
        var fs = new SwitchFilesystem(Path.Combine(_dir, "switch"));
        using (var f = File.Create(Path.Combine(fs.BootflashPath, "big_script.log")))
        {
            f.SetLength(ArtifactWriter.MaxCopiedBytes + 1000);
        }
        var target = Directory.CreateDirectory(Path.Combine(_dir, "report")).FullName;

        ArtifactWriter.CopySwitchLogs(fs, "syslog.log", "console.log", target);

        var copied = new FileInfo(Path.Combine(target, "script.log")).Length;
        copied.ShouldBeGreaterThan(ArtifactWriter.MaxCopiedBytes);
        copied.ShouldBeLessThan(ArtifactWriter.MaxCopiedBytes + 200);
        File.ReadAllText(Path.Combine(target, "script.log"))[^80..].ShouldContain("cut at");
    }

    private static void Mkfifo(string path)
    {
        var tool = Requires.Tool("mkfifo", "coreutils");
        using var p = Process.Start(tool, [path]);
        p.WaitForExit(10_000).ShouldBeTrue();
        p.ExitCode.ShouldBe(0);
    }
}
