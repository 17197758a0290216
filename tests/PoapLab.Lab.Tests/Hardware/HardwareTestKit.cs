using System.Net;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Tests.Hardware;

/// <summary>Wire pictures as the judge would give them, for the observers' tests.</summary>
internal static class HardwareTestKit
{
    public static readonly ServeSwitch Leaf = new("leaf-1", "FDO23490570", "00:a1:b2:c3:d4:e5");

    public static ServeContext Context(string output, params ServeSwitch[] switches) =>
        new("eth1", IPAddress.Loopback, output, switches.Length == 0 ? [Leaf] : switches, TimeProvider.System);

    public static WireDownload Download(string file, string role, bool? completed = true, long bytes = 1000, string protocol = "tftp", int? status = null) =>
        new(protocol, IPAddress.Parse("10.0.0.1"), file, role, completed, bytes, bytes, completed == false ? "File not found" : null, 10, 20, status);

    public static WireAttempt Attempt(int number, string? address, string ending, params WireDownload[] downloads) =>
        new(number, 1, address is null ? null : IPAddress.Parse("10.0.0.1"), address is null ? null : IPAddress.Parse(address), 86400, "poap.py", "10.0.0.1", downloads, ending, 1);

    public static WireSwitch Seen(WireVerdict verdict, IReadOnlyList<string>? diagnosis = null, string mac = "00:a1:b2:c3:d4:e5", string? serial = "FDO23490570", params WireAttempt[] attempts) =>
        new(mac, serial, verdict, attempts.Length, attempts.Length, verdict == WireVerdict.Provisioned ? "10.3(6)" : null, verdict == WireVerdict.Provisioned ? "leaf-1" : null, null,
            diagnosis ?? [], [], [new WireFact(1, DateTimeOffset.UnixEpoch, "dhcp.discover", "DISCOVER from 00:a1:b2:c3:d4:e5")], attempts);

    public static WireReport Report(params WireSwitch[] switches) => new(100, 0, switches, []);
}
