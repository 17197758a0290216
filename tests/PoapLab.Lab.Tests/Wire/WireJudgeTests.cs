using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PacketDotNet;
using PoapLab.Lab.Capture;
using PoapLab.Lab.Wire;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Tftp;

namespace PoapLab.Lab.Tests.Wire;

public sealed class WireJudgeTests : IDisposable
{
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("00-A1-B2-C3-D4-E5");
    private static readonly IPAddress Address = IPAddress.Parse("10.0.0.101");
    private const string Serial = "FDO23490570";
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-wire-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static WireTestKit HappyTftp() => new WireTestKit()
        .Lease(Mac, Serial, Address, 0x11)
        .TftpRead(Mac, Address, 50001, "/poap.py", 1500)
        .TftpRead(Mac, Address, 50002, "/images/nxos64-cs.10.3.6.M.bin.md5", 57)
        .TftpRead(Mac, Address, 50003, "/images/nxos64-cs.10.3.6.M.bin", 4096)
        .TftpRead(Mac, Address, 50004, "/configs/conf.FDO23490570", 200)
        .Wait(TimeSpan.FromMinutes(3))
        .Cdp(Mac, "leaf-101", Serial, "10.3(6)", Address);

    [Fact]
    public void Judge_DhcpTftpThenCdp_ProvisionedWithVersionHostnameAndATimelineOfFrames()
    {
        var report = HappyTftp().Judge();

        var sw = report.Switches.ShouldHaveSingleItem();
        sw.Verdict.ShouldBe(WireVerdict.Provisioned);
        sw.Serial.ShouldBe(Serial);
        sw.Mac.ShouldBe("00:a1:b2:c3:d4:e5");
        sw.Attempts.ShouldBe(1);
        sw.FinalVersion.ShouldBe("10.3(6)");
        sw.Hostname.ShouldBe("leaf-101");
        sw.Platform.ShouldBe("N9K-C93108TC-EX");
        sw.UserClass.ShouldBe("Cisco-POAP");
        sw.ParameterList.ShouldBe("1,3,6,12,15,51,66,67,150");
        var attempt = sw.AttemptList.ShouldHaveSingleItem();
        attempt.Server.ShouldBe(WireTestKit.Server);
        attempt.Address.ShouldBe(Address);
        attempt.LeaseSeconds.ShouldBe(86400);
        attempt.Script.ShouldBe("poap.py");
        attempt.Ending.ShouldBe("announced");
        attempt.Downloads.Select(d => d.Role).ShouldBe(["script", "image-md5", "image", "config"]);
        attempt.Downloads.ShouldAllBe(d => d.Completed == true && d.Bytes == d.ExpectedBytes);
        attempt.Downloads[2].Bytes.ShouldBe(4096);
        sw.Timeline[0].Kind.ShouldBe("dhcp.discover");
        sw.Timeline[0].Frame.ShouldBe(1);
        sw.Timeline.ShouldContain(f => f.Kind == "cdp" && f.Text.Contains("Version 10.3(6)", StringComparison.Ordinal));
        sw.Timeline.ShouldContain(f => f.Kind == "silence");
        sw.Unknowns.ShouldContain(u => u.Contains("script's own log", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_CaptureFileWrittenAndReadBack_SameVerdictAsFramesFedDirectly()
    {
        var kit = HappyTftp();
        var path = Path.Combine(_dir, "happy.pcapng");
        using (var writer = new PcapNgWriter(File.Create(path), 1, "eth0", 65535))
        {
            foreach (var f in kit.Frames)
            {
                writer.WritePacket(f.Time, f.Data.Span, f.Data.Length);
            }
        }

        var report = CaptureFrames.Judge(path, cancellationToken: TestContext.Current.CancellationToken);

        report.Frames.ShouldBe(kit.Frames.Count);
        var sw = report.Switches.ShouldHaveSingleItem();
        sw.Verdict.ShouldBe(WireVerdict.Provisioned);
        sw.FinalVersion.ShouldBe("10.3(6)");
        WireJudge.Describe(report).ShouldContain(l => l.Contains("switch FDO23490570 00:a1:b2:c3:d4:e5: provisioned, attempts 1, final version 10.3(6), host name leaf-101", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_LinuxCookedCaptureOfTcpdumpAny_SameVerdictAsEthernet()
    {
        var cooked = new WireTestKit();
        foreach (var f in HappyTftp().Frames)
        {
            // SLL (tcpdump -i any): packet type, ARPHRD_ETHER, address length 6, the source MAC
            // in 8 bytes, then the protocol: the EtherType, or 0x0004 for an 802.3 frame's LLC.
            var eth = f.Data.ToArray();
            var type = (eth[12] << 8) | eth[13];
            var sll = new byte[16];
            sll[3] = 1;
            sll[5] = 6;
            eth.AsSpan(6, 6).CopyTo(sll.AsSpan(6));
            sll[14] = type <= 1500 ? (byte)0 : eth[12];
            sll[15] = type <= 1500 ? (byte)4 : eth[13];
            cooked.Wait(f.Time - DateTimeOffset.UnixEpoch - (cooked.Frames.Count == 0 ? TimeSpan.Zero : cooked.Frames[^1].Time - DateTimeOffset.UnixEpoch)).Raw([.. sll, .. eth.AsSpan(14)], LinkLayers.LinuxSll);
        }

        var sw = cooked.Judge().Switches.ShouldHaveSingleItem();

        sw.Verdict.ShouldBe(WireVerdict.Provisioned);
        sw.FinalVersion.ShouldBe("10.3(6)");
        sw.AttemptList.Single().Downloads.Count.ShouldBe(4);
    }

    [Fact]
    public void Read_NotACaptureFile_ClearError()
    {
        var path = Path.Combine(_dir, "text.pcap");
        File.WriteAllText(path, "not a capture at all, just text that is long enough to have a header");

        Should.Throw<InvalidOperationException>(() => CaptureFrames.Judge(path)).Message.ShouldContain("is not a capture file");
        Should.Throw<FileNotFoundException>(() => CaptureFrames.Judge(Path.Combine(_dir, "missing.pcap")));
    }

    [Fact]
    public void Judge_ScriptFetchedTwiceThenReleasedAtOnce_FailedTwoAttemptsStaleMd5Diagnosis()
    {
        var kit = new WireTestKit();
        for (var a = 0; a < 2; a++)
        {
            kit.Lease(Mac, Serial, Address, 0x20u + (uint)a).TftpRead(Mac, Address, 50010 + a, "/poap.py", 1500).Release(Mac, Serial, Address).Wait(TimeSpan.FromSeconds(30));
        }

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        sw.Verdict.ShouldBe(WireVerdict.Failed);
        sw.Attempts.ShouldBe(2);
        sw.FinalVersion.ShouldBeNull();
        sw.Diagnosis.ShouldContain(d => d.Contains("fetched again and again (2 times)", StringComparison.Ordinal) && d.Contains("#md5sum", StringComparison.Ordinal));
        sw.Unknowns.ShouldContain(u => u.Contains("final version", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_ScriptFetchedThenLongSilenceThenRelease_HangDiagnosis()
    {
        var kit = new WireTestKit().Lease(Mac, Serial, Address, 0x30).TftpRead(Mac, Address, 50020, "/poap.py", 700)
            .Wait(TimeSpan.FromSeconds(20)).Release(Mac, Serial, Address);

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        sw.Verdict.ShouldBe(WireVerdict.Failed);
        sw.Diagnosis.ShouldContain(d => d.Contains("hangs", StringComparison.Ordinal) && d.Contains("20", StringComparison.Ordinal));
        sw.Diagnosis.ShouldNotContain(d => d.Contains("#md5sum", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_ConfigAnsweredWithTftpError1_ConfigMissingDiagnosis()
    {
        var kit = new WireTestKit().Lease(Mac, Serial, Address, 0x40).TftpRead(Mac, Address, 50030, "/poap.py", 700)
            .TftpRead(Mac, Address, 50031, "/configs/conf.FDO23490570.md5", 0, TftpErrorCode.FileNotFound).Release(Mac, Serial, Address);

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        sw.Verdict.ShouldBe(WireVerdict.Failed);
        var config = sw.AttemptList.Single().Downloads[1];
        config.Role.ShouldBe("config-md5");
        config.Completed.ShouldBe(false);
        config.Status.ShouldBe(1);
        sw.Diagnosis.ShouldContain(d => d.Contains("The configuration /configs/conf.FDO23490570.md5 is not on 10.0.0.1", StringComparison.Ordinal) && d.Contains("TFTP error 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_ImageAndMd5CompleteThenReleaseWithoutConfig_ImageMd5Diagnosis()
    {
        var kit = new WireTestKit().Lease(Mac, Serial, Address, 0x50).TftpRead(Mac, Address, 50040, "/poap.py", 700)
            .TftpRead(Mac, Address, 50041, "/images/nxos64-cs.10.3.6.M.bin.md5", 57).TftpRead(Mac, Address, 50042, "/images/nxos64-cs.10.3.6.M.bin", 2048)
            .Release(Mac, Serial, Address);

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        sw.Verdict.ShouldBe(WireVerdict.Failed);
        sw.Diagnosis.ShouldContain(d => d.Contains("did not match its .md5", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_OffersWithA30MinuteLease_FailedAttemptsNotExactLeaseDiagnosis()
    {
        var kit = new WireTestKit();
        for (uint x = 0; x < 4; x++)
        {
            kit.Discover(Mac, Serial, 0x60 + x).ServerReply(DhcpMessageType.Offer, Mac, 0x60 + x, Address, lease: 1800).Wait(TimeSpan.FromSeconds(4));
        }

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        sw.Verdict.ShouldBe(WireVerdict.Failed);
        sw.Attempts.ShouldBeNull();
        sw.AttemptsAtLeast.ShouldBe(1);
        sw.Diagnosis.ShouldContain(d => d.Contains("lease of 1800 s, below the 3600 s POAP requires", StringComparison.Ordinal) && d.Contains("never REQUESTed", StringComparison.Ordinal));
        sw.Unknowns.ShouldContain(u => u.Contains("how many POAP attempts", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_SecondServerAnswersFirst_TwoServersDiagnosisNamesTheFirst()
    {
        var stray = IPAddress.Parse("10.0.0.2");
        var kit = new WireTestKit();
        kit.Discover(Mac, Serial, 0x70)
            .ServerReply(DhcpMessageType.Offer, Mac, 0x70, IPAddress.Parse("10.0.0.150"), stray, script: "poap_old.py")
            .ServerReply(DhcpMessageType.Offer, Mac, 0x70, Address)
            .ClientDhcp(WireTestKit.Client(DhcpMessageType.Request, Mac, Serial, 0x70, stray, IPAddress.Parse("10.0.0.150")), Mac)
            .ServerReply(DhcpMessageType.Ack, Mac, 0x70, IPAddress.Parse("10.0.0.150"), stray, script: "poap_old.py")
            .TftpRead(Mac, IPAddress.Parse("10.0.0.150"), 50050, "/poap_old.py", 0, TftpErrorCode.FileNotFound)
            .Release(Mac, Serial, IPAddress.Parse("10.0.0.150"));

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        sw.Verdict.ShouldBe(WireVerdict.Failed);
        sw.Diagnosis.ShouldContain(d => d.Contains("2 DHCP servers answer", StringComparison.Ordinal) && d.Contains("10.0.0.2 answered first", StringComparison.Ordinal)
            && d.Contains("took the lease of 10.0.0.2", StringComparison.Ordinal));
        sw.Diagnosis.ShouldContain(d => d.Contains("The script /poap_old.py could not be fetched", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_TwoUsableOffersCapturedInTheOtherOrder_TheOneTheSwitchRequestedAnsweredFirst()
    {
        // On a segment two hosts' frames a moment apart may be captured in the other order than the
        // switch received them: POAP takes the first usable offer, so the one it REQUESTed came first.
        var stray = IPAddress.Parse("10.0.0.2");
        var kit = new WireTestKit();
        kit.Discover(Mac, Serial, 0x71)
            .ServerReply(DhcpMessageType.Offer, Mac, 0x71, Address)
            .ServerReply(DhcpMessageType.Offer, Mac, 0x71, IPAddress.Parse("10.0.0.150"), stray, script: "poap_old.py")
            .ClientDhcp(WireTestKit.Client(DhcpMessageType.Request, Mac, Serial, 0x71, stray, IPAddress.Parse("10.0.0.150")), Mac)
            .ServerReply(DhcpMessageType.Ack, Mac, 0x71, IPAddress.Parse("10.0.0.150"), stray, script: "poap_old.py")
            .TftpRead(Mac, IPAddress.Parse("10.0.0.150"), 50051, "/poap_old.py", 0, TftpErrorCode.FileNotFound)
            .Release(Mac, Serial, IPAddress.Parse("10.0.0.150"));

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        sw.Diagnosis.ShouldContain(d => d.Contains("10.0.0.2 answered first 1 time(s)", StringComparison.Ordinal) && d.Contains("took the lease of 10.0.0.2", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_HttpSegmentsOutOfOrderAndRetransmitted_BodyCountedOnceCompleteWithVendorHeaders()
    {
        var kit = new WireTestKit().Lease(Mac, Serial, Address, 0x80, script: "poap.py");
        var request = Encoding.ASCII.GetBytes("GET /poap.py HTTP/1.1\r\nHost: 10.0.0.1\r\nX-Vendor-Serial: FDO23490570\r\nX-Vendor-SoftwareVersion: 10.3(3)\r\n\r\n");
        var body = new byte[3000];
        var response = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n").Concat(body).ToArray();
        const uint c = 1000, s = 90000;
        byte[] Seg(int from, int to) => response[from..to];
        kit.Raw(WireTestKit.Tcp(Mac, WireTestKit.ServerMac, Address, 40000, WireTestKit.Server, 80, c, [], syn: true))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40000, s, [], syn: true))
            .Raw(WireTestKit.Tcp(Mac, WireTestKit.ServerMac, Address, 40000, WireTestKit.Server, 80, c + 1, request[..20]))
            .Raw(WireTestKit.Tcp(Mac, WireTestKit.ServerMac, Address, 40000, WireTestKit.Server, 80, c + 21, request[20..]))
            // Response: the third segment first, then the first, the first again (retransmission), an overlapping one, the second.
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40000, s + 1 + 2000, Seg(2000, response.Length)))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40000, s + 1, Seg(0, 1000)))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40000, s + 1, Seg(0, 1000)))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40000, s + 1 + 500, Seg(500, 1500)))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40000, s + 1 + 1500, Seg(1500, 2000)))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40000, s + 1 + (uint)response.Length, [], fin: true));

        var sw = kit.Judge().Switches.ShouldHaveSingleItem();

        var d = sw.AttemptList.Single().Downloads.ShouldHaveSingleItem();
        d.Protocol.ShouldBe("http");
        d.File.ShouldBe("/poap.py");
        d.Role.ShouldBe("script");
        d.Status.ShouldBe(200);
        d.ExpectedBytes.ShouldBe(3000);
        d.Bytes.ShouldBe(3000);
        d.Completed.ShouldBe(true);
        d.Details["X-Vendor-Serial"].ShouldBe("FDO23490570");
        sw.Timeline.ShouldContain(f => f.Kind == "http.get" && f.Text.Contains("X-Vendor-SoftwareVersion: 10.3(3)", StringComparison.Ordinal));
    }

    [Fact]
    public void Judge_HttpConnectionResetMidBody_DownloadIncomplete()
    {
        var kit = new WireTestKit().Lease(Mac, Serial, Address, 0x90);
        var response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n").Concat(new byte[1000]).ToArray();
        kit.Raw(WireTestKit.Tcp(Mac, WireTestKit.ServerMac, Address, 40001, WireTestKit.Server, 80, 1, Encoding.ASCII.GetBytes("GET /images/x.bin HTTP/1.1\r\n\r\n")))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40001, 7, response))
            .Raw(WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 40001, 7 + (uint)response.Length, [], rst: true));

        var d = kit.Judge().Switches.Single().AttemptList.Single().Downloads.ShouldHaveSingleItem();

        d.Completed.ShouldBe(false);
        d.Bytes.ShouldBe(1000);
        d.Error.ShouldBe("connection reset after 1000 of 5000 bytes");
    }

    [Fact]
    public void Judge_MalformedAndTruncatedFrames_CountedAndSkippedNeverThrown()
    {
        var random = new Random(7);
        var kit = new WireTestKit().Lease(Mac, Serial, Address, 0xA0);
        var good = WireTestKit.Udp(Mac, WireTestKit.Broadcast, IPAddress.Any, 68, IPAddress.Broadcast, 67,
            WireTestKit.Client(DhcpMessageType.Discover, Mac, Serial, 1).Encode());
        // Every prefix of a DHCP frame, a TFTP read request and a CDP frame.
        var rrq = WireTestKit.Udp(Mac, WireTestKit.ServerMac, Address, 50100, WireTestKit.Server, 69,
            new TftpRequest(TftpOpcode.ReadRequest, "/poap.py", "octet").Encode());
        var cdp = LinkAnnouncementFrames.Cdp(new Switch.Network.LinkAnnouncement("x(y)", "x", "y", "v", "p", "mgmt0", Mac, Address, false));
        foreach (var frame in new[] { good, rrq, cdp })
        {
            for (var n = 0; n < frame.Length; n += 3)
            {
                kit.Raw(frame[..n]);
            }
        }
        // Random bytes, random bytes behind a valid Ethernet/IPv4/UDP header to DHCP and TFTP ports.
        for (var i = 0; i < 2000; i++)
        {
            var junk = new byte[random.Next(0, 400)];
            random.NextBytes(junk);
            kit.Raw(junk);
            kit.Raw(WireTestKit.Udp(Mac, WireTestKit.Broadcast, Address, 68, IPAddress.Broadcast, 67, junk));
            kit.Raw(WireTestKit.Udp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 40000, Address, 50100, junk));
            kit.Raw(junk, LinkLayers.LinuxSll);
        }
        // A CDP frame whose TLV claims more than the frame holds; an IPv4 header that lies about its length.
        var badCdp = (byte[])cdp.Clone();
        badCdp[22 + 4 + 2] = 0xFF;
        kit.Raw(badCdp);
        var lying = (byte[])good.Clone();
        lying[14] = 0x4F;
        kit.Raw(lying);

        var report = kit.Judge();

        report.Undecodable.ShouldBeGreaterThan(100);
        report.Notes.ShouldContain(n => n.Contains("could not be taken apart", StringComparison.Ordinal));
        report.Switches.ShouldContain(s => s.Serial == Serial);
    }

    [Fact]
    public void Judge_MillionTinyFramesCaptureFile_BoundedMemoryAndTime()
    {
        // The attack a hostile capture can make: a million frames, most tiny, that open
        // switches, flows and out-of-order segments without end.
        var path = Path.Combine(_dir, "flood.pcapng");
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var lease = WireTestKit.Udp(WireTestKit.ServerMac, WireTestKit.Broadcast, WireTestKit.Server, 67, IPAddress.Broadcast, 68,
            WireTestKit.Reply(DhcpMessageType.Ack, Mac, 1, Address, WireTestKit.Server).Encode());
        var discover = new WireTestKit().Discover(Mac, Serial, 1).Frames[0].Data.ToArray();
        var syn = WireTestKit.Tcp(Mac, WireTestKit.ServerMac, Address, 1, WireTestKit.Server, 80, 5, [], syn: true);
        var segment = WireTestKit.Tcp(WireTestKit.ServerMac, Mac, WireTestKit.Server, 80, Address, 1, 5, [1, 2, 3, 4]);
        var tiny = new byte[60];
        const int total = 1_000_000;
        using (var writer = new PcapNgWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20), 1, "eth0", 65535))
        {
            writer.WritePacket(start, discover, discover.Length);
            writer.WritePacket(start, lease, lease.Length);
            for (var i = 0; i < total; i++)
            {
                byte[] frame;
                switch (i % 4)
                {
                    case 0:
                        // A DISCOVER from a new MAC each time: a new switch.
                        frame = discover;
                        frame[6 + 3] = (byte)(i >> 16);
                        frame[6 + 4] = (byte)(i >> 8);
                        frame[6 + 5] = (byte)i;
                        frame[42 + 28 + 3] = (byte)(i >> 16);
                        frame[42 + 28 + 4] = (byte)(i >> 8);
                        frame[42 + 28 + 5] = (byte)i;
                        break;
                    case 1:
                        // A SYN from the known switch on a new port each time: a new flow.
                        frame = syn;
                        frame[34] = (byte)(i >> 8);
                        frame[35] = (byte)i;
                        break;
                    case 2:
                        // Segments far ahead of the stream on one flow: out of order forever.
                        frame = segment;
                        var seq = 100 + (uint)i * 8;
                        frame[38] = (byte)(seq >> 24);
                        frame[39] = (byte)(seq >> 16);
                        frame[40] = (byte)(seq >> 8);
                        frame[41] = (byte)seq;
                        break;
                    default:
                        frame = tiny;
                        tiny[0] = (byte)i;
                        break;
                }
                writer.WritePacket(start.AddMilliseconds(i), frame, frame.Length);
            }
        }
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();

        var judge = new WireJudge();
        foreach (var f in CaptureFrames.Read(path, TestContext.Current.CancellationToken))
        {
            judge.Observe(f);
        }
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        var report = judge.Judge();
        watch.Stop();

        report.Frames.ShouldBe(total + 2);
        report.Switches.Count.ShouldBe(new WireJudgeOptions().MaxSwitches);
        report.Notes.ShouldContain(n => n.Contains("were not followed", StringComparison.Ordinal));
        report.Switches[0].TimelineOmitted.ShouldBe(0);
        retained.ShouldBeLessThan(256L * 1024 * 1024, $"{retained / 1024 / 1024} MiB kept");
        watch.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
        TestContext.Current.SendDiagnosticMessage($"a million frames judged in {watch.Elapsed.TotalSeconds:0.0} s, {retained / 1024 / 1024} MiB kept");
    }
}
