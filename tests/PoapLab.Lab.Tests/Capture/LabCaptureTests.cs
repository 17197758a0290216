using PoapLab.Lab.Capture;
using PoapLab.Switch.Network;
using PoapLab.Testing;
using static PoapLab.Lab.Tests.Capture.CaptureTestKit;

namespace PoapLab.Lab.Tests.Capture;

/// <summary>Live captures on <c>lo</c> (needs CAP_NET_RAW; CI is root). Each test uses its own 127.x block.</summary>
[Collection(PoapLab.Testing.LoadSensitive.Name)]
public sealed class LabCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-cap-").FullName;

    /// <summary>Maps made here never allocate a host (the tests name their own addresses).</summary>
    private static System.Net.IPAddress NoHosts() => throw new InvalidOperationException("these tests allocate no lab host");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private LabCaptureOptions Options(string name, string filter) => new() { Path = Path.Combine(_dir, name, "capture.pcapng"), Filter = filter };

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;

    [Fact]
    public async Task OnLoopback_ServerTraffic_WrittenInLabAddressesReadableByTshark()
    {
        Dir("a");
        var book = new FakeBook(201, 1).Server("127.201.0.1", "10.0.0.1", (40069, 69));
        await using (var capture = Require(LabCapture.OnLoopback(Options("a", "net 127.201.0.0/16"), book)))
        {
            SendUdp("127.201.1.7", "127.201.0.1", 40069, 5, 100);
        }

        var lines = Tshark(Path.Combine(_dir, "a", "capture.pcapng"), "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.dstport");
        lines.Count.ShouldBe(5);
        lines.ShouldAllBe(l => l == "0.0.0.0\t10.0.0.1\t69");
        File.ReadAllText(Path.Combine(_dir, "a", "capture.txt")).ShouldStartWith("capture.pcapng: 5 frames written, 0 cut");
    }

    [Fact]
    public async Task OnLoopback_SentCopyOfEachFrame_NeverHandedToTheCapture()
    {
        Dir("o");
        var book = new FakeBook(208, 1).Server("127.208.0.1", "10.0.0.1", (40069, 69));
        var capture = Require(LabCapture.OnLoopback(Options("o", "net 127.208.0.0/16"), book));
        await using (capture)
        {
            SendUdp("127.208.1.7", "127.208.0.1", 40069, 20, 100);
        }

        capture.IgnoresOutgoing.ShouldBeTrue();
        capture.Frames.ShouldBe(20);
        // Without PACKET_IGNORE_OUTGOING the kernel hands over 40: each frame as sent and as received.
        capture.KernelReceived.ShouldBe(20UL);
        Tshark(Path.Combine(_dir, "o", "capture.pcapng"), "-T", "fields", "-e", "udp.dstport").ShouldAllBe(l => l == "69");
    }

    [Fact]
    public async Task OnLoopback_HugeTransfer_FileNeverExceedsItsCapAndSaysWhatWasCut()
    {
        Dir("big");
        var book = new FakeBook(202, 1).Server("127.202.0.1", "10.0.0.1", (40069, 69));
        var options = Options("big", "net 127.202.0.0/16") with { PayloadCapBytes = 256 << 10, MaxFileBytes = 512 << 10 };
        long truncated, leftOut;
        await using (var capture = Require(LabCapture.OnLoopback(options, book)))
        {
            // 16 MiB of 60 000-byte datagrams, then a flood of small ones: headers-only frames must stop at the cap too.
            SendUdp("127.202.1.7", "127.202.0.1", 40069, 280, 60_000);
            SendUdp("127.202.1.8", "127.202.0.1", 40069, 20_000, 10);
            await capture.DisposeAsync();
            truncated = capture.Truncated;
            leftOut = capture.LeftOut;
        }

        var file = Path.Combine(_dir, "big", "capture.pcapng");
        new FileInfo(file).Length.ShouldBeLessThanOrEqualTo(options.MaxFileBytes);
        truncated.ShouldBeGreaterThan(0);
        leftOut.ShouldBeGreaterThan(0);
        Tshark(file, "-c", "1").Count.ShouldBe(1);
        var summary = File.ReadAllText(Path.Combine(_dir, "big", "capture.txt"));
        summary.ShouldContain($"{truncated} cut to their headers");
        summary.ShouldContain($"{leftOut} left out");
    }

    [Fact]
    public async Task OnLoopback_TwoLabsInParallel_EachFileHoldsOnlyItsOwnLab()
    {
        Dir("lab1");
        Dir("lab2");
        var book1 = new FakeBook(203, 1).Server("127.203.0.1", "10.1.0.1", (40069, 69));
        var book2 = new FakeBook(204, 1).Server("127.204.0.1", "10.2.0.1", (40069, 69));
        // Lab 1's filter lets lab 2 through on purpose: the book alone must keep it out.
        await using (var one = Require(LabCapture.OnLoopback(Options("lab1", "net 127.203.0.0/16 or net 127.204.0.0/16"), book1)))
        await using (var two = Require(LabCapture.OnLoopback(Options("lab2", "net 127.204.0.0/16"), book2)))
        {
            await Task.WhenAll(
                Task.Run(() => SendUdp("127.203.1.7", "127.203.0.1", 40069, 50, 200), TestContext.Current.CancellationToken),
                Task.Run(() => SendUdp("127.204.1.7", "127.204.0.1", 40069, 70, 200), TestContext.Current.CancellationToken));
        }

        var first = Tshark(Path.Combine(_dir, "lab1", "capture.pcapng"), "-T", "fields", "-e", "ip.dst");
        var second = Tshark(Path.Combine(_dir, "lab2", "capture.pcapng"), "-T", "fields", "-e", "ip.dst");
        first.Count.ShouldBe(50);
        first.ShouldAllBe(l => l == "10.1.0.1");
        second.Count.ShouldBe(70);
        second.ShouldAllBe(l => l == "10.2.0.1");
    }

    [Fact]
    public async Task DisposeAsync_AfterExceptionOrCancellation_ClosesThePcapHandle()
    {
        Dir("close");
        var before = OwnPacketSockets();
        using var cts = new CancellationTokenSource();
        var book = new LabAddressMapBook(new LabAddressMap(NoHosts), _ => false);

        var run = async () =>
        {
            await using var capture = Require(LabCapture.OnLoopback(Options("close", "net 127.205.0.0/16"), book));
            OwnPacketSockets().Except(before).ShouldNotBeEmpty();
            await cts.CancelAsync();
            cts.Token.ThrowIfCancellationRequested();
        };

        await Should.ThrowAsync<OperationCanceledException>(run);
        OwnPacketSockets().Except(before).ShouldBeEmpty();
        File.Exists(Path.Combine(_dir, "close", "capture.pcapng")).ShouldBeTrue();
    }

    [Fact]
    public async Task OnLoopback_PathIsAPlantedSymlink_NotFollowedNoCaptureOneLineWhy()
    {
        var dir = Dir("link");
        var victim = Path.Combine(_dir, "victim.txt");
        File.WriteAllText(victim, "keep");
        File.CreateSymbolicLink(Path.Combine(dir, "capture.pcapng"), victim);
        // Another test's socket the collector has not yet closed is not this capture's.
        var before = OwnPacketSockets();

        await using var capture = LabCapture.OnLoopback(Options("link", "net 127.206.0.0/16"), new LabAddressMapBook(new LabAddressMap(NoHosts), _ => false));

        capture.Unavailable.ShouldNotBeNull();
        capture.IsCapturing.ShouldBeFalse();
        File.ReadAllText(victim).ShouldBe("keep");
        OwnPacketSockets().Except(before).ShouldBeEmpty();
    }

    [Fact]
    public async Task OnInterface_NoSuchDeviceOrBadFilter_NoCaptureNoThrowOneLineWhy()
    {
        Dir("none");
        await using var missing = LabCapture.OnInterface(Options("none", "udp"), "nosuchdev0");
        await using var bad = LabCapture.OnInterface(Options("none", "this is not ( a filter"), "lo");

        missing.Unavailable.ShouldNotBeNull();
        missing.Unavailable.ShouldNotContain("\n");
        bad.Unavailable.ShouldNotBeNull();
        File.Exists(Path.Combine(_dir, "none", "capture.pcapng")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(_dir, "none", "capture.txt")).ShouldStartWith("no capture: ");
    }
    [Fact]
    public async Task OnLoopback_WithoutCapNetRaw_NoCaptureNoThrowOneLineWhy()
    {
        Dir("unpriv");
        Requires.That(Environment.UserName == "root", "root (to drop CAP_NET_RAW from a thread)");

        await using var capture = ThreadCapabilities.WithoutNetRaw(() =>
            LabCapture.OnLoopback(Options("unpriv", "net 127.207.0.0/16"), new LabAddressMapBook(new LabAddressMap(NoHosts), _ => false)));

        capture.Unavailable.ShouldNotBeNull();
        capture.Unavailable.ShouldContain("cannot capture on lo");
        capture.Unavailable.ShouldContain("CAP_NET_RAW");
        capture.Unavailable.ShouldNotContain("\n");
        File.Exists(Path.Combine(_dir, "unpriv", "capture.pcapng")).ShouldBeFalse();
        File.ReadAllText(Path.Combine(_dir, "unpriv", "capture.txt")).ShouldStartWith("no capture: ");
    }
}
