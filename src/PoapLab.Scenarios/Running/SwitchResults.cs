using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Device;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Running;

/// <summary>What one switch of a scenario did, checked against its <c>expect:</c>.</summary>
internal static class SwitchResults
{
    /// <summary>
    /// The switch's record (its own events and the servers' answers to it, so <c>count:</c>
    /// expectations count per switch; its running config, flash and syslog; its own switch
    /// time), the expectations' failures and the plain-words diagnosis.
    /// </summary>
    /// <param name="bootflashFiles">The regular files on the switch's flash when its run ended (<see cref="NexusSwitch.ReleaseFilesystems"/>).</param>
    /// <param name="own">The switch's own events (the runner groups the scenario's once: a fleet's switches do not each walk every event).</param>
    /// <param name="events">The scenario's events that concern no switch.</param>
    public static async Task<SwitchResult> CheckAsync(Scenario scenario, SwitchModel model, NexusSwitch sw, PoapRunResult run, IReadOnlyList<string> bootflashFiles, Timeline timeline, IReadOnlyList<LabEvent> own, IReadOnlyList<LabEvent> events, IReadOnlyList<DhcpServerFacts> dhcpServers, CancellationToken cancellationToken)
    {
        var record = new SwitchRunRecord(
            model.Name, run,
            own,
            sw.State.RunningConfig.ToList(),
            bootflashFiles,
            await File.ReadAllTextAsync(sw.SyslogPath, cancellationToken).ConfigureAwait(false))
        {
            SwitchTime = timeline.SwitchTime(model.Name) ?? TimeSpan.Zero,
        };
        var failures = Expectations.Check(model.Expect ?? scenario.Expect, record);
        IReadOnlyList<string> dhcp;
        try
        {
            dhcp = DhcpDiagnosis.Explain(record, events, dhcpServers);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            // A configuration too convoluted to read in a second: the rest of the diagnosis stands.
            dhcp = [];
        }
        return new SwitchResult(model.Name, record, failures, Expectations.Diagnose(record, dhcp));
    }

    /// <summary>
    /// The scenario's DHCP servers as the diagnosis sees them: for the user's real ones, their
    /// configuration's text and their log so far (the last 256 KiB), read without blocking a writer.
    /// </summary>
    public static IReadOnlyList<DhcpServerFacts> DhcpServers(Scenario scenario, IReadOnlyList<PoapLab.Lab.Services.ILabService> services) =>
        [.. scenario.Servers.Dhcp.Select(d =>
        {
            if (d.Real is not { } real)
            {
                return new DhcpServerFacts(d.Address, "embedded");
            }
            var kind = real.Kind switch
            {
                PoapLab.Lab.Services.Real.RealServerKind.Dnsmasq => "dnsmasq",
                PoapLab.Lab.Services.Real.RealServerKind.KeaDhcp4 => "kea",
                PoapLab.Lab.Services.Real.RealServerKind.IscDhcpd => "isc-dhcpd",
                _ => real.Kind.ToString(),
            };
            var log = services.FirstOrDefault(s => s.Kind == PoapLab.Lab.Services.ServiceKind.Dhcp && s.Address.Equals(d.Address))?.LogPath;
            return new DhcpServerFacts(d.Address, kind, ReadTail(real.ConfigPath), ReadTail(log));
        })];

    private static string? ReadTail(string? path)
    {
        const int Max = 256 * 1024;
        if (path is null)
        {
            return null;
        }
        try
        {
            using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, Options = FileOptions.None });
            if (!stream.CanSeek || (File.GetAttributes(path) & FileAttributes.Device) != 0)
            {
                return null;
            }
            stream.Seek(Math.Max(0, stream.Length - Max), SeekOrigin.Begin);
            var buffer = new byte[Max];
            var read = stream.ReadAtLeast(buffer, Max, throwOnEndOfStream: false);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
