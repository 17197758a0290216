using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Tests.Support;
using PoapLab.Testing;

namespace PoapLab.Protocols.Tests.Dhcp;

/// <summary>Our encoder's output, framed by PacketDotNet, read back by tcpdump.</summary>
public sealed class DhcpTcpdumpOracleTests
{
    [Fact]
    public void Encode_PoapDiscoverInEthernetFrame_TcpdumpDecodesItWithValidUdpSum()
    {
        var tcpdump = Requires.Tool("tcpdump", "apt-get install tcpdump");
        var discover = new DhcpMessage
        {
            TransactionId = 0xCAFE0001,
            Options =
            [
                DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)DhcpMessageType.Discover),
                DhcpOptionValue.FromBytes(DhcpOption.ClientIdentifier, [0, .. "FDO23490570"u8]),
                DhcpOptionValue.FromString(DhcpOption.UserClass, "Cisco-POAP"),
                DhcpOptionValue.FromBytes(DhcpOption.ParameterRequestList, [1, 3, 6, 12, 15, 51, 66, 67, 150]),
            ],
        }.WithClientMac(PhysicalAddress.Parse("00-2A-10-3B-4C-5D"));
        var frame = CaptureReplay.EthernetIpv4Udp(
            PhysicalAddress.Parse("00-2A-10-3B-4C-5D"), PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF"),
            new IPEndPoint(IPAddress.Any, 68), new IPEndPoint(IPAddress.Broadcast, 67), discover.Encode());
        var path = Path.Combine(Path.GetTempPath(), $"poaplab-{Guid.NewGuid():N}.pcap");
        CaptureReplay.WritePcap(path, frame);
        try
        {
            var psi = new ProcessStartInfo(tcpdump) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-n", "-vv", "-r", path })
            {
                psi.ArgumentList.Add(arg);
            }
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit(TimeSpan.FromSeconds(30)).ShouldBeTrue();

            output.ShouldContain("0.0.0.0.68 > 255.255.255.255.67: [udp sum ok] BOOTP/DHCP, Request from 00:2a:10:3b:4c:5d, length 300, xid 0xcafe0001");
            output.ShouldContain("DHCP-Message (53), length 1: Discover");
            output.ShouldContain("Client-ID (61), length 12:");
            output.ShouldContain("User-Class (77), length 10:");
            output.ShouldContain("Parameter-Request (55), length 9:");
            output.ShouldContain("TFTP-Server-Address (150)");
            output.ShouldNotContain("bad cksum");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
