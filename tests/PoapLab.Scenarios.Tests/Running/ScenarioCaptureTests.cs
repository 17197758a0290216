using System.Diagnostics;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>
/// Every run writes <c>capture.pcapng</c> in lab addresses: tshark (Debian's) shows the
/// whole POAP exchange of a catalogue scenario as it would have crossed the lab segment.
/// </summary>
[Collection(PoapLab.Testing.LoadSensitive.Name)]
public sealed class ScenarioCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-capture-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RunAsync_HappyPathTftp_TsharkShowsDhcpAndTftpInLabAddresses()
    {
        var lines = await RunAndDissectAsync("happy-path-tftp.yaml");

        lines.ShouldContain(l => l.Contains("0.0.0.0 → 255.255.255.255 DHCP", StringComparison.Ordinal) && l.Contains("DHCP Discover", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("10.0.0.1 → 255.255.255.255 DHCP", StringComparison.Ordinal) && l.Contains("DHCP Offer", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("DHCP Request", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("DHCP ACK", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("→ 10.0.0.1     TFTP", StringComparison.Ordinal) && l.Contains("Read Request, File: /poap_nexus.py", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("10.0.0.1 → ", StringComparison.Ordinal) && l.Contains("Data Packet, Block: 1", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains("127.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_HappyPathHttp_TsharkShowsDhcpAndHttpGetsInLabAddresses()
    {
        var lines = await RunAndDissectAsync("happy-path-http.yaml");

        lines.ShouldContain(l => l.Contains("DHCP Discover", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("DHCP ACK", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("→ 10.0.0.1     HTTP", StringComparison.Ordinal) && l.Contains("GET /poap_nexus.py HTTP/1.1", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("GET /images/", StringComparison.Ordinal) && l.Contains(".bin HTTP/1.1", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("10.0.0.1 → ", StringComparison.Ordinal) && l.Contains("HTTP/1.1 200 OK", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains("127.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_Ipv6OnlyProvisioning_TsharkShowsDhcpv6AndTftpOverIpv6()
    {
        var lines = await RunAndDissectAsync(Path.Combine("catalogue", "01e-ipv6-only-provisioning.yaml"), "dhcpv6 || tftp");

        lines.ShouldContain(l => l.Contains("→ ff02::1:2", StringComparison.Ordinal) && l.Contains("DHCPv6", StringComparison.Ordinal) && l.Contains("Solicit", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("2001:db8::1 → fe80::", StringComparison.Ordinal) && l.Contains("Reply", StringComparison.Ordinal));
        lines.ShouldContain(l => l.Contains("→ 2001:db8::1 ", StringComparison.Ordinal) && l.Contains("Read Request", StringComparison.Ordinal));
        lines.ShouldNotContain(l => l.Contains("127.", StringComparison.Ordinal));
    }

    private async Task<IReadOnlyList<string>> RunAndDissectAsync(string scenarioFile, string displayFilter = "dhcp || tftp || http")
    {
        var tshark = Requires.Tool("tshark", "apt-get install tshark");
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, scenarioFile));

        var result = await new ScenarioRunner().RunAsync(scenario, new RunOptions(Path.Combine(_dir, "out")), TestContext.Current.CancellationToken);

        result.Error.ShouldBeNull();
        var summary = File.ReadAllText(Path.Combine(result.OutputDirectory, "capture.txt"));
        Requires.That(!summary.StartsWith("no capture", StringComparison.Ordinal), $"a live capture on lo (CAP_NET_RAW): {summary.Trim()}");
        var capture = Path.Combine(result.OutputDirectory, "capture.pcapng");
        var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-n", "-r", capture, "-Y", displayFilter })
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        process.WaitForExit(TimeSpan.FromSeconds(60)).ShouldBeTrue();
        process.ExitCode.ShouldBe(0, await stderr);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
