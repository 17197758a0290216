using System.Globalization;
using System.Text.RegularExpressions;
using PoapLab.Protocols.Tftp;
using PoapLab.Protocols.Tests.Support;
using PoapLab.Testing;

namespace PoapLab.Protocols.Tests.Tftp;

public sealed partial class TftpCaptureTests
{
    private static string Captures => TcpdumpCaptures.Directory;

    [Fact]
    public void Decode_TftpPcap_AgreesWithTcpdumpDecode()
    {
        var packets = CaptureReplay.Read(Path.Combine(Captures, "tftp.pcap"));
        // tftp-T.out is tcpdump -T tftp: every packet decoded as TFTP.
        var decodeLines = File.ReadAllLines(Path.Combine(Captures, "tftp-T.out"));
        var plainLines = File.ReadAllLines(Path.Combine(Captures, "tftp.out"));
        packets.Count.ShouldBe(decodeLines.Length);
        plainLines.Length.ShouldBe(decodeLines.Length);

        for (var i = 0; i < packets.Count; i++)
        {
            CaptureReplay.TryGetUdp(packets[i], out var udp).ShouldBeTrue();
            var line = TcpdumpLine().Match(decodeLines[i]);
            line.Success.ShouldBeTrue(decodeLines[i]);
            var plain = PlainLength().Match(plainLines[i]);
            plain.Success.ShouldBeTrue(plainLines[i]);

            udp.SourcePort.ShouldBe(int.Parse(line.Groups["sport"].Value, CultureInfo.InvariantCulture));
            udp.DestinationPort.ShouldBe(int.Parse(line.Groups["dport"].Value, CultureInfo.InvariantCulture));
            var length = int.Parse(line.Groups["len"].Value, CultureInfo.InvariantCulture);
            udp.Payload.Length.ShouldBe(length);
            int.Parse(plain.Groups["len"].Value, CultureInfo.InvariantCulture).ShouldBe(length);

            var packet = TftpPacket.Decode(udp.Payload);
            packet.Encode().ShouldBe(udp.Payload);
            switch (line.Groups["op"].Value)
            {
                case "RRQ":
                    var rrq = packet.ShouldBeOfType<TftpRequest>();
                    rrq.Opcode.ShouldBe(TftpOpcode.ReadRequest);
                    rrq.FileName.ShouldBe(line.Groups["file"].Value);
                    rrq.Mode.ShouldBe(line.Groups["mode"].Value);
                    rrq.Options.Count.ShouldBe(0);
                    break;
                case "DATA":
                    var data = packet.ShouldBeOfType<TftpData>();
                    data.Block.ShouldBe(ushort.Parse(line.Groups["block"].Value, CultureInfo.InvariantCulture));
                    data.Payload.Length.ShouldBe(length - 4);
                    break;
                case "ACK":
                    packet.ShouldBeOfType<TftpAck>().Block.ShouldBe(ushort.Parse(line.Groups["block"].Value, CultureInfo.InvariantCulture));
                    break;
                default:
                    Assert.Fail($"unexpected tcpdump line {decodeLines[i]}");
                    break;
            }
        }
    }

    [Fact]
    public void Decode_TftpPcap_DataBlocksReassembleToShortFinalBlock()
    {
        var payloads = CaptureReplay.Read(Path.Combine(Captures, "tftp.pcap"))
            .Select(p => CaptureReplay.TryGetUdp(p, out var udp) ? TftpPacket.Decode(udp.Payload) : null)
            .OfType<TftpData>()
            .ToList();
        payloads.Select(d => d.Block).ShouldBe(new ushort[] { 1, 2, 3 });
        payloads.Sum(d => d.Payload.Length).ShouldBe(512 + 512 + 105);
        System.Text.Encoding.ASCII.GetString(payloads[0].Payload.Span).ShouldStartWith("#! /bin/sh");
    }

    [Fact]
    public void Decode_TftpHeapOverflowPcap_RejectedWithProtocolExceptionOnly()
    {
        var packets = CaptureReplay.Read(Path.Combine(Captures, "tftp-heapoverflow.pcap"));
        packets.Count.ShouldBeGreaterThan(0);
        var rejected = 0;
        foreach (var packet in packets)
        {
            try
            {
                if (CaptureReplay.TryGetUdp(packet, out var udp))
                {
                    TftpPacket.Decode(udp.Payload);
                }
                else
                {
                    // The IP length lies (runs past the captured bytes): no whole datagram to decode.
                    rejected++;
                }
            }
            catch (ProtocolException)
            {
                rejected++;
            }
        }
        rejected.ShouldBe(packets.Count);

        // Whatever the frame layer thinks of the lying IP length, the TFTP bytes
        // themselves (RRQ "00" with no terminator) must be refused by the TFTP decoder.
        packets[0].LinkType.ShouldBe(PacketDotNet.LinkLayers.LinuxSll);
        var frame = packets[0].Data;
        // Linux cooked header, IPv4 header without options, UDP header.
        var tftpBytes = frame.AsSpan(16 + 20 + 8).ToArray();
        tftpBytes.ShouldBe("\0\u000100"u8.ToArray());
        var ex = Should.Throw<ProtocolException>(() => TftpPacket.Decode(tftpBytes));
        ex.Protocol.ShouldBe("TFTP");
        ex.Offset.ShouldBe(tftpBytes.Length);
    }

    [GeneratedRegex(@"\.(?<sport>\d+) > [\d.]+\.(?<dport>\d+): TFTP, length (?<len>\d+), (?<op>RRQ|DATA|ACK) (?:""(?<file>[^""]*)"" (?<mode>\S+)|block (?<block>\d+))")]
    private static partial Regex TcpdumpLine();

    [GeneratedRegex(@"(?:TFTP|UDP), length (?<len>\d+)")]
    private static partial Regex PlainLength();
}
