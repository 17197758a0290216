using PoapLab.Lab.Hardware;
using PoapLab.Lab.Services;
using PoapLab.Lab.Tests.Transports.Namespace;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Lab.Wire;
using PoapLab.Core.Time;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class ServeSessionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static WireSwitch Wire(WireVerdict verdict, int atLeast, DateTimeOffset last, string mac = "00:a1:b2:c3:d4:e5", string? serial = "FDO1") =>
        new(mac, serial, verdict, atLeast, atLeast, null, null, null, [], [], [new WireFact(1, last, "dhcp.discover", "DISCOVER")], []);

    private static ServeOptions Options(TimeProvider time) => new()
    {
        Host = new InterfaceHost("eth1"),
        OutputDirectory = "/nonexistent",
        Switches = [],
        Services = [],
        Time = time,
        FailedQuiet = TimeSpan.FromSeconds(60),
    };

    private static readonly ServeTarget Target = new(new ServeSwitch("leaf", "FDO1", "00:A1:B2:C3:D4:E5"), 3);

    [Fact]
    public void IsSettled_Provisioned_IsAVerdict()
    {
        var time = new SimClock(T0);
        ServeSession.IsSettled(Wire(WireVerdict.Provisioned, 1, T0), Target, new WireReport(1, 0, [], []), Options(time)).ShouldBeTrue();
    }

    [Fact]
    public void IsSettled_FailedFewerAttemptsThanExpectedAndStillTalking_IsNoVerdictYet()
    {
        var time = new SimClock(T0 + TimeSpan.FromSeconds(10));
        ServeSession.IsSettled(Wire(WireVerdict.Failed, 2, T0), Target, new WireReport(1, 0, [], []), Options(time)).ShouldBeFalse();
    }

    [Fact]
    public void IsSettled_FailedAsOftenAsExpected_IsAVerdict()
    {
        var time = new SimClock(T0);
        ServeSession.IsSettled(Wire(WireVerdict.Failed, 3, T0), Target, new WireReport(1, 0, [], []), Options(time)).ShouldBeTrue();
    }

    [Fact]
    public void IsSettled_FailedAndSilentLongEnough_IsAVerdict()
    {
        var time = new SimClock(T0 + TimeSpan.FromSeconds(61));
        ServeSession.IsSettled(Wire(WireVerdict.Failed, 1, T0), Target, new WireReport(1, 0, [], []), Options(time)).ShouldBeTrue();
    }

    [Fact]
    public void IsSettled_UnknownHoweverLongSilent_IsNoVerdict()
    {
        var time = new SimClock(T0 + TimeSpan.FromHours(1));
        ServeSession.IsSettled(Wire(WireVerdict.Unknown, 1, T0), Target, new WireReport(1, 0, [], []), Options(time)).ShouldBeFalse();
    }

    [Fact]
    public void Find_ByMacWhateverItsCaseAndSeparatorsElseBySerial_FindsTheSwitch()
    {
        var other = Wire(WireVerdict.Failed, 1, T0, mac: "00:00:00:00:00:01", serial: "FDO9");
        var mine = Wire(WireVerdict.Failed, 1, T0, mac: "00:a1:b2:c3:d4:e5", serial: null);
        var report = new WireReport(2, 0, [other, mine], []);

        ServeSession.Find(new ServeSwitch("leaf", "FDO1", "00-A1-B2-C3-D4-E5"), report).ShouldBeSameAs(mine);
        ServeSession.Find(new ServeSwitch("x", "FDO9", null), report).ShouldBeSameAs(other);
        ServeSession.Find(new ServeSwitch("y", "FDO0", "00:00:00:00:00:02"), report).ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_Loopback_IsRefusedBeforeAnythingIsChanged()
    {
        NamespaceRequirements.Check();
        var ct = TestContext.Current.CancellationToken;
        await using var ns = await NetworkNamespace.CreateAsync("serve lo", ct);
        var options = Options(TimeProvider.System) with
        {
            Host = new InterfaceHost("lo", ns),
            Switches = [Target],
            Services = [],
        };

        var e = await Should.ThrowAsync<ServeRefusedException>(() => ServeSession.RunAsync(options, ct));

        e.Message.ShouldContain("lo is a loopback interface");
        (await ns.RunAsync("ip", ["-4", "-o", "addr", "show", "dev", "lo"], ct)).Output.ShouldNotContain("10.0.0.1");
    }
}
