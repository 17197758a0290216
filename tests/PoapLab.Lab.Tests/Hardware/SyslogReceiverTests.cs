using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using static PoapLab.Lab.Tests.Hardware.HardwareTestKit;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class SyslogReceiverTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("poaplab-syslog-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private static WireReport Leased(string address) =>
        Report(Seen(WireVerdict.Unknown, attempts: Attempt(1, address, "capture-end")));

    [Fact]
    public void Parse_Rfc3164AsNxosSendsItAndRfc5424_PriHostnameAndMessage()
    {
        var nxos = SyslogLine.Parse("<189>2026 Jan  1 00:02:11 leaf-1 %POAP-2-POAP_INFO: - Using DHCP, valid information received over mgmt0 from 10.0.0.1");
        nxos.Facility.ShouldBe(23);
        nxos.Severity.ShouldBe(5);
        nxos.Hostname.ShouldBe("leaf-1");
        nxos.Message.ShouldStartWith("%POAP-2-POAP_INFO:");
        nxos.Rfc5424.ShouldBeFalse();

        var bsd = SyslogLine.Parse("<13>Jan  5 10:00:00 myhost app: hello");
        bsd.Hostname.ShouldBe("myhost");
        bsd.Message.ShouldBe("app: hello");

        var modern = SyslogLine.Parse("<165>1 2026-01-01T00:00:00Z leaf-1 poap 42 ID47 - POAP started");
        modern.Rfc5424.ShouldBeTrue();
        modern.Hostname.ShouldBe("leaf-1");
        modern.Message.ShouldBe("- POAP started");

        var bare = SyslogLine.Parse("no pri at all");
        bare.Facility.ShouldBeNull();
        bare.Message.ShouldBe("no pri at all");
        SyslogLine.Parse("<999>x").Facility.ShouldBeNull();
    }

    [Fact]
    public async Task Receive_OverUdpFromTheSwitchsLeasedAddress_FiledUnderItsName()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = new SyslogReceiver(new SyslogReceiverOptions(Port: 0));
        await receiver.StartAsync(Context(_out), ct);
        await receiver.OnSnapshotAsync(Leased("127.0.0.1"), ct);

        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await udp.SendAsync("<189>2026 Jan  1 00:02:11 leaf-1 %POAP-2-POAP_INFO: - Using DHCP"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, receiver.BoundPort), ct);
        var file = Path.Combine(_out, "leaf-1", "syslog.log");
        for (var i = 0; i < 200 && !(File.Exists(file) && File.ReadAllText(file).Contains("POAP_INFO", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50, ct); // the receiver flushes within a second of a quiet socket
        }
        await receiver.OnFinishedAsync(Leased("127.0.0.1"), ct);

        var text = File.ReadAllText(file);
        text.ShouldContain("127.0.0.1 local7.notice <189>2026 Jan  1 00:02:11 leaf-1 %POAP-2-POAP_INFO: - Using DHCP");
    }

    [Fact]
    public async Task Receive_ASenderNoSwitchLeased_FiledAsUnknownByAddress()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = new SyslogReceiver(new SyslogReceiverOptions(Port: 0));
        await receiver.StartAsync(Context(_out), ct);
        await receiver.OnSnapshotAsync(Leased("10.0.0.100"), ct);

        receiver.Receive(IPAddress.Parse("10.0.0.77"), "<14>hello"u8);
        receiver.Receive(IPAddress.Parse("2001:db8::7"), "<14>hello six"u8);
        await receiver.OnFinishedAsync(Report(), ct);

        File.ReadAllText(Path.Combine(_out, "unknown-10.0.0.77", "syslog.log")).ShouldContain("hello");
        File.ReadAllText(Path.Combine(_out, "unknown-2001-db8--7", "syslog.log")).ShouldContain("hello six");
    }

    [Fact]
    public async Task Receive_HostileDatagrams_NoPathFromTheirTextAndEveryBoundKept()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = new SyslogReceiver(new SyslogReceiverOptions(Port: 0, MaxLineLength: 100, MaxLinesPerSwitch: 5, MaxTotalBytes: 4096));
        await receiver.StartAsync(Context(_out), ct);
        await receiver.OnSnapshotAsync(Leased("10.0.0.100"), ct);
        var sw = IPAddress.Parse("10.0.0.100");

        receiver.Receive(sw, "<13>Jan  1 00:00:00 ../../../../tmp/evil %X: owned"u8);
        receiver.Receive(sw, "<13>1 2026-01-01T00:00:00Z /etc/passwd app - - - x"u8);
        receiver.Receive(sw, Encoding.ASCII.GetBytes("<13>" + new string('A', 65000))); // a huge datagram
        receiver.Receive(sw, [0x3c, 0x31, 0x3e, 0x00, 0x01, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0xfe, 0xc3, 0x28, 0x0d, 0x41]); // binary, escape codes, bad UTF-8
        receiver.Receive(sw, Encoding.ASCII.GetBytes(string.Join('\n', Enumerable.Range(0, 1000).Select(i => $"line {i}")))); // many lines in one datagram
        // A flood of senders: files for at most MaxSenders of them (the total byte bound stops it first here).
        for (var i = 0; i < 300; i++)
        {
            receiver.Receive(IPAddress.Parse($"10.1.{i / 250}.{i % 250}"), "<13>x"u8);
        }
        await receiver.OnFinishedAsync(Leased("10.0.0.100"), ct);

        File.Exists("/tmp/evil").ShouldBeFalse();
        Directory.GetDirectories(_out).Select(Path.GetFileName).ShouldAllBe(n => n == "leaf-1" || n!.StartsWith("unknown-10.1.", StringComparison.Ordinal));
        var lines = File.ReadAllLines(Path.Combine(_out, "leaf-1", "syslog.log"));
        lines.Length.ShouldBe(6); // 5 kept, then the note of what was not
        lines[0].ShouldContain("../../../../tmp/evil"); // kept as text, never a path
        lines[2].ShouldContain("more characters cut");
        lines[2].Length.ShouldBeLessThan(300);
        lines[3].ShouldContain("\\x00\\x01\\x1b[2J\\xff\\xfe\\xc3(\\x0dA");
        lines[^1].ShouldContain("more lines not kept");
        Directory.EnumerateFiles(_out, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length).ShouldBeLessThan(4096 + 1024);
        receiver.Dropped.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task StartAsync_PortTaken_ClearError()
    {
        var ct = TestContext.Current.CancellationToken;
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var receiver = new SyslogReceiver(new SyslogReceiverOptions(Port: ((IPEndPoint)taken.Client.LocalEndPoint!).Port));

        var e = await Should.ThrowAsync<InvalidOperationException>(() => receiver.StartAsync(Context(_out), ct));

        e.Message.ShouldContain("syslog cannot listen on 127.0.0.1");
    }
}
