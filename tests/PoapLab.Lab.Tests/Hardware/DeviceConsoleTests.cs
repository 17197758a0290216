using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Lab.Hardware;
using PoapLab.Testing;
using static PoapLab.Lab.Tests.Hardware.HardwareTestKit;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class DeviceConsoleTests : IDisposable
{
    /// <summary>
    /// A boot console of our own, modelled on the console output Cisco publishes for POAP
    /// ("Cisco Nexus 9000 Series NX-OS Fundamentals Configuration Guide", chapter "Using
    /// PowerOn Auto Provisioning"): the loader, the kernel, then POAP's abort prompt.
    /// </summary>
    internal const string Boot =
        "Loader Version 8.06\r\n\r\nBooting bootflash:/nxos64-cs.10.3.6.M.bin\r\nTrying diskboot\r\n" +
        "Filesystem type is ext2fs, partition type 0x83\r\nImage valid\r\n\r\nINIT: version 2\r\n" +
        "Starting system POST.....\r\n  Executing Mod 1 1 SEEPROM Test:...done\r\n" +
        "2026 Jan  1 00:01:02 switch %$ VDC-1 %$ %POAP-2-POAP_INITED: [FDO23490570-00:A1:B2:C3:D4:E5] - POAP process initialized\r\n" +
        "Starting Power On Auto Provisioning...\r\n" +
        "Abort Power On Auto Provisioning [yes - continue with normal setup, skip - bypass password and basic configuration, no - continue with Power On Auto Provisioning] (yes/skip/no)[no]:";

    private const string OldPrompt = "\r\nAbort Auto Provisioning and continue with normal setup ?(yes/no)[n]: ";

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-console-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Log => Path.Combine(_dir, "leaf-1", "console.log");

    [Theory]
    [InlineData("/dev/ttyUSB0", "/dev/ttyUSB0", null, 0)]
    [InlineData("telnet ts1.lab 7001", null, "ts1.lab", 7001)]
    [InlineData("  telnet 10.0.0.5   2003 ", null, "10.0.0.5", 2003)]
    public void Parse_TheTwoForms_DeviceOrHostAndPort(string text, string? device, string? host, int port)
    {
        ConsoleSpec.Parse(text).ShouldBe(new ConsoleSpec(device, host, port));
    }

    [Theory]
    [InlineData("ttyUSB0")]
    [InlineData("/etc/passwd")]
    [InlineData("telnet host")]
    [InlineData("telnet host 0")]
    [InlineData("telnet host 70000")]
    [InlineData("telnet -oProxyCommand=x 23")]
    [InlineData("telnet a;b 23")]
    [InlineData("ssh host 22")]
    public void Parse_AnythingElse_Refused(string text)
    {
        Should.Throw<ArgumentException>(() => ConsoleSpec.Parse(text));
    }

    [Fact]
    public void CheckSerialDevice_PathsThatAreNotACharacterDeviceUnderDev_Refused()
    {
        var link = Path.Combine(_dir, "tty");
        File.CreateSymbolicLink(link, "/dev/null");
        var outward = Path.Combine("/dev/shm", "poaplab-console-" + Guid.NewGuid().ToString("N"));
        File.CreateSymbolicLink(outward, "/etc/passwd");
        try
        {
            Should.Throw<ArgumentException>(() => DeviceConsole.CheckSerialDevice("/etc/passwd")).Message.ShouldContain("under /dev");
            Should.Throw<ArgumentException>(() => DeviceConsole.CheckSerialDevice("/dev/../etc/passwd")).Message.ShouldContain("under /dev");
            Should.Throw<ArgumentException>(() => DeviceConsole.CheckSerialDevice(link)).Message.ShouldContain("under /dev");
            Should.Throw<ArgumentException>(() => DeviceConsole.CheckSerialDevice(outward)).Message.ShouldContain("leads to '/etc/passwd'");
            Should.Throw<ArgumentException>(() => DeviceConsole.CheckSerialDevice("/dev/shm")).Message.ShouldContain("not a character device");
            Should.Throw<ArgumentException>(() => DeviceConsole.CheckSerialDevice("/dev/ttyNOPE9")).Message.ShouldContain("does not exist");
        }
        finally
        {
            File.Delete(outward);
        }
    }

    [Fact]
    public async Task StartAsync_ACharacterDeviceThatIsNoTerminal_RefusedAndNothingWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var console = new DeviceConsole(new DeviceConsoleOptions(new ConsoleSpec("/dev/null", null, 0), Log));

        var e = await Should.ThrowAsync<InvalidOperationException>(() => console.StartAsync(Context(_dir), ct));

        e.Message.ShouldContain("is it a terminal?");
    }

    [Fact]
    public void Telnet_NegotiationsAndEscapedIac_RefusedAndTakenOut()
    {
        var console = new DeviceConsole(new DeviceConsoleOptions(new ConsoleSpec(null, "h", 23), Log));
        // IAC DO ECHO, IAC WILL SGA, "ab", IAC IAC, IAC SB TTYPE SEND IAC SE, "c", IAC NOP, IAC DONT 5, then IAC split across reads.
        byte[] first = [255, 253, 1, 255, 251, 3, (byte)'a', (byte)'b', 255, 255, 255, 250, 24, 1, 255, 240, (byte)'c', 255, 241, 255, 254, 5, 255];
        byte[] second = [253, 31, (byte)'d'];

        var (data1, reply1) = console.Telnet(first);
        var (data2, reply2) = console.Telnet(second);

        data1.ShouldBe([(byte)'a', (byte)'b', 255, (byte)'c']);
        reply1.ShouldBe([255, 252, 1, 255, 254, 3]);
        data2.ShouldBe([(byte)'d']);
        reply2.ShouldBe([255, 252, 31]);
    }

    [Fact]
    public void Telnet_AnEndlessSubnegotiation_BoundedAndDataResumes()
    {
        var console = new DeviceConsole(new DeviceConsoleOptions(new ConsoleSpec(null, "h", 23), Log));
        var junk = new byte[100_000];
        junk.AsSpan().Fill((byte)'x');

        console.Telnet([255, 250, 24]);
        var (data, _) = console.Telnet(junk);

        data.Length.ShouldBeGreaterThan(90_000); // after the 1 KiB bound it is data again, not swallowed
    }

    public static TheoryData<ConsoleAnswer, string, string> Answers => new()
    {
        { ConsoleAnswer.No, Boot, "no\r" },
        { ConsoleAnswer.Yes, Boot, "yes\r" },
        { ConsoleAnswer.Skip, Boot, "skip\r" },
        { ConsoleAnswer.Skip, OldPrompt, "yes\r" },
        { ConsoleAnswer.No, OldPrompt, "no\r" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task Telnet_ABootConsoleFromATerminalServer_RecordedAndThePromptAnswered(ConsoleAnswer answer, string boot, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        await using var console = new DeviceConsole(new DeviceConsoleOptions(new ConsoleSpec(null, "127.0.0.1", port), Log, answer));

        await console.StartAsync(Context(_dir), ct);
        using var client = await server.AcceptTcpClientAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);
        var stream = client.GetStream();
        await stream.WriteAsync(new byte[] { 255, 253, 1, 255, 251, 3 }, ct); // a terminal server's usual opening
        var bytes = Encoding.ASCII.GetBytes(boot);
        await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), ct); // the prompt arrives in two pieces
        await Task.Delay(50, ct);
        await stream.WriteAsync(bytes.AsMemory(bytes.Length / 2), ct);
        var got = await ReadAsync(stream, 6 + expected.Length, ct);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(expected + "\r\n2026 Jan  1 00:01:09 switch %POAP-2-POAP_DHCP_DISCOVER_START: - POAP DHCP Discover phase started\r\n"), ct);
        client.Client.Shutdown(SocketShutdown.Send);
        await ReadAsync(stream, 0, ct); // until it closes... or the bound
        await console.DisposeAsync();

        got.ShouldBe([255, 252, 1, 255, 254, 3, .. Encoding.ASCII.GetBytes(expected)]);
        console.Answers.ShouldBe(1);
        var log = File.ReadAllText(Log);
        log.ShouldContain(boot.Trim()[..30]);
        log.ShouldContain($"[poaplab] answered '{expected.TrimEnd('\r')}' to the POAP abort prompt");
        log.ShouldContain("POAP_DHCP_DISCOVER_START");
        log.ShouldNotContain("\u00ff");
    }

    [Fact]
    public async Task Telnet_AnswerNone_NothingSent()
    {
        var ct = TestContext.Current.CancellationToken;
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        await using var console = new DeviceConsole(new DeviceConsoleOptions(new ConsoleSpec(null, "127.0.0.1", ((IPEndPoint)server.LocalEndpoint).Port), Log, ConsoleAnswer.None));
        await console.StartAsync(Context(_dir), ct);
        using var client = await server.AcceptTcpClientAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);

        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Boot), ct);
        client.ReceiveTimeout = 500;
        var buffer = new byte[16];
        Should.Throw<IOException>(() => client.GetStream().Read(buffer));
        console.Answers.ShouldBe(0);
    }

    [Fact]
    public async Task Telnet_AFloodOfOutput_LogBoundedAndTheRestCounted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var console = new DeviceConsole(new DeviceConsoleOptions(new ConsoleSpec(null, "127.0.0.1", ((IPEndPoint)server.LocalEndpoint).Port), Log, MaxLogBytes: 64 * 1024));
        await console.StartAsync(Context(_dir), ct);
        using (var client = await server.AcceptTcpClientAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct))
        {
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("%KERN-3-SYSTEM_MSG: spam spam spam\r\n", 1000)));
            chunk.Length.ShouldBe(36_000);
            for (var i = 0; i < 100; i++)
            {
                await client.GetStream().WriteAsync(chunk, ct);
            }
        }
        for (var i = 0; i < 200 && console.BytesSeen < 100 * 36_000; i++)
        {
            await Task.Delay(50, ct);
        }
        await console.DisposeAsync();

        new FileInfo(Log).Length.ShouldBeLessThan(64 * 1024 + 2048);
        File.ReadAllText(Log).ShouldContain("more bytes of console output not kept");
    }

    [Fact]
    public async Task Serial_ABootOnAPseudoTerminal_Set9600RawRecordedAndAnswered()
    {
        var python = Requires.Tool("python3", "apt-get install python3");
        var ct = TestContext.Current.CancellationToken;
        // The switch's end: a pty pair held by python; we get the terminal's name, it plays the boot when told.
        const string Script = """
            import os, pty, sys, time, select
            m, s = pty.openpty()
            print(os.ttyname(s), flush=True)
            sys.stdin.readline()
            os.write(m, sys.argv[1].encode())
            got, end = b'', time.time() + 30
            while time.time() < end and b'\r' not in got:
                r, _, _ = select.select([m], [], [], 0.2)
                if r:
                    got += os.read(m, 100)
            print(repr(got), flush=True)
            sys.stdin.readline()
            """;
        var start = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(Boot);
        using var child = Process.Start(start)!;
        try
        {
            var tty = (await child.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct))!;
            await using var console = new DeviceConsole(new DeviceConsoleOptions(new ConsoleSpec(tty, null, 0), Log));
            await console.StartAsync(Context(_dir), ct);
            var stty = Process.Start(new ProcessStartInfo("stty", ["-F", tty, "-a"]) { RedirectStandardOutput = true })!;
            var settings = await stty.StandardOutput.ReadToEndAsync(ct);

            await child.StandardInput.WriteLineAsync("go".AsMemory(), ct);
            await child.StandardInput.FlushAsync(ct);
            var answer = await child.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(TimeSpan.FromSeconds(60), ct);
            await console.DisposeAsync();

            answer.ShouldBe("b'no\\r'");
            settings.ShouldContain("speed 9600 baud");
            settings.ShouldContain("-echo ");
            settings.ShouldContain("-parenb");
            settings.ShouldContain("cs8");
            File.ReadAllText(Log).ShouldContain("POAP process initialized");
            File.ReadAllText(Log).ShouldContain("answered 'no'");
        }
        finally
        {
            child.StandardInput.Close();
            if (!child.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                child.Kill();
            }
        }
    }

    private static async Task<byte[]> ReadAsync(NetworkStream stream, int count, CancellationToken ct)
    {
        var got = new List<byte>();
        var buffer = new byte[4096];
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(count == 0 ? 5 : 30));
        try
        {
            while (count == 0 || got.Count < count)
            {
                var n = await stream.ReadAsync(buffer, bound.Token);
                if (n == 0)
                {
                    break;
                }
                got.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
        return [.. got];
    }
}
