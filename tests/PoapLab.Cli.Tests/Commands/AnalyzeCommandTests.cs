using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using PacketDotNet;
using PoapLab.Cli;
using PoapLab.Protocols.Dhcp;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<int> Run(params string[] args) => Program.BuildRoot().Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>A classic pcap file (libpcap's format: global header, then a record header per frame).</summary>
    private static void WritePcap(string path, IEnumerable<byte[]> frames)
    {
        using var file = File.Create(path);
        var header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1);
        file.Write(header);
        uint second = 1_800_000_000;
        foreach (var frame in frames)
        {
            var record = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(record, second += 4);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)frame.Length);
            file.Write(record);
            file.Write(frame);
        }
    }

    /// <summary>The happy-path-tftp switch discovering, offered 30-minute leases only.</summary>
    private string ShortLeaseCapture()
    {
        var mac = PhysicalAddress.Parse("00-A1-B2-C3-D4-E5");
        var chaddr = new byte[16];
        mac.GetAddressBytes().CopyTo(chaddr, 0);
        var frames = new List<byte[]>();
        for (uint xid = 1; xid <= 3; xid++)
        {
            var discover = new DhcpMessage
            {
                TransactionId = xid, ClientHardwareAddress = [.. chaddr],
                Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, 1), DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, [0, .. Encoding.ASCII.GetBytes("FDO23490570")])],
            };
            var offer = discover with
            {
                Operation = BootpOperation.Reply, YourAddress = IPAddress.Parse("10.0.0.101"),
                Options = [DhcpOptionValue.FromByte(DhcpOption.MessageType, 2), DhcpOptionValue.FromAddress(DhcpOption.ServerIdentifier, IPAddress.Parse("10.0.0.1")),
                    DhcpOptionValue.FromUInt32(DhcpOption.LeaseTime, 1800), DhcpOptionValue.FromString(DhcpOption.BootfileName, "poap.py")],
            };
            frames.Add(Frame(mac, IPAddress.Any, 68, 67, discover.Encode()));
            frames.Add(Frame(PhysicalAddress.Parse("02-00-00-00-00-01"), IPAddress.Parse("10.0.0.1"), 67, 68, offer.Encode()));
        }
        var path = Path.Combine(_dir, "short-lease.pcap");
        WritePcap(path, frames);
        return path;

        static byte[] Frame(PhysicalAddress from, IPAddress source, int fromPort, int toPort, byte[] payload)
        {
            var udp = new UdpPacket((ushort)fromPort, (ushort)toPort) { PayloadData = payload };
            var ip = new IPv4Packet(source, IPAddress.Broadcast) { PayloadPacket = udp };
            return new EthernetPacket(from, PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF"), EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
        }
    }

    [Fact]
    public async Task Analyze_Capture_Exit0AndWritesTheReportWhenAsked()
    {
        var output = Path.Combine(_dir, "out");

        (await Run("analyze", ShortLeaseCapture(), "--out", output)).ShouldBe(0);

        var timeline = await File.ReadAllTextAsync(Path.Combine(output, "wire-timeline.txt"), TestContext.Current.CancellationToken);
        timeline.ShouldContain("switch FDO23490570 00:a1:b2:c3:d4:e5: failed (retrying), attempts at least 1");
        timeline.ShouldContain("below the 3600 s POAP requires");
        var json = await File.ReadAllTextAsync(Path.Combine(output, "wire-report.json"), TestContext.Current.CancellationToken);
        json.ShouldContain("\"verdict\": \"failed\"");
    }

    [Fact]
    public async Task Analyze_ScenarioExpectsProvisionedButTheWireShowsFailure_Exit1()
    {
        var output = Path.Combine(_dir, "out");

        (await Run("analyze", ShortLeaseCapture(), "--scenario", Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"), "--out", output)).ShouldBe(1);

        var json = await File.ReadAllTextAsync(Path.Combine(output, "wire-report.json"), TestContext.Current.CancellationToken);
        json.ShouldContain("\"result\": \"disagrees\"");
        json.ShouldContain("\"result\": \"cannot_judge\"");
    }

    [Fact]
    public async Task Analyze_NoSuchFileOrNotACapture_Exit2()
    {
        (await Run("analyze", Path.Combine(_dir, "missing.pcap"))).ShouldBe(2);
        var text = Path.Combine(_dir, "text.pcap");
        await File.WriteAllTextAsync(text, "just some text, not a capture file at all", TestContext.Current.CancellationToken);
        (await Run("analyze", text)).ShouldBe(2);
        (await Run("analyze", ShortLeaseCapture(), "--scenario", Path.Combine(_dir, "missing.yaml"))).ShouldBe(2);
    }
}
