using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Lab.Capture;
using PoapLab.Lab.Tests.Capture;
using PoapLab.Lab.Wire;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Wire;

public sealed class LinkAnnouncementFramesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-announce-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly LinkAnnouncement Leaf = new("leaf-101(FDO23490570)", "leaf-101", "FDO23490570",
        LinkAnnouncement.NxosVersionText("10.3(6)"), "N9K-C93108TC-EX", "mgmt0", PhysicalAddress.Parse("00-A1-B2-C3-D4-E5"), IPAddress.Parse("10.0.0.101"), Lldp: true);

    [Fact]
    public void CdpAndLldp_DissectedByTshark_TheirFieldsAndACorrectCdpChecksum()
    {
        var path = Path.Combine(_dir, "announce.pcapng");
        using (var writer = new PcapNgWriter(File.Create(path), 1, "mgmt0", 65535))
        {
            var now = DateTimeOffset.UnixEpoch;
            foreach (var frame in new[] { LinkAnnouncementFrames.Cdp(Leaf), LinkAnnouncementFrames.Lldp(Leaf), LinkAnnouncementFrames.Cdp(Leaf with { DeviceId = "leaf-1(FDO2)" }) })
            {
                writer.WritePacket(now, frame, frame.Length);
            }
        }

        var text = string.Join('\n', CaptureTestKit.Tshark(path, "-V"));

        text.ShouldContain("Cisco Discovery Protocol");
        text.ShouldContain("Device ID: leaf-101(FDO23490570)");
        text.ShouldContain("Software version: Cisco Nexus Operating System (NX-OS) Software, Version 10.3(6)");
        text.ShouldContain("Platform: N9K-C93108TC-EX");
        text.ShouldContain("Sent through Interface: mgmt0");
        text.ShouldContain("IP Address: 10.0.0.101");
        // One frame of odd length, one of even: Cisco's checksum right for both.
        text.Split('\n').Count(l => l.Contains("Checksum: 0x", StringComparison.Ordinal) && l.Contains("[correct]", StringComparison.Ordinal)).ShouldBe(2);
        text.ShouldContain("Link Layer Discovery Protocol");
        text.ShouldContain("System Name = leaf-101");
        text.ShouldContain("Port Id: mgmt0");
        text.ShouldContain("Management Address: 10.0.0.101");
        text.ShouldNotContain("Malformed");
    }

    [Fact]
    public void CdpAndLldp_HostileTextsFromAScriptsConfiguration_CutToFitOneEthernetFrame()
    {
        var hostile = Leaf with
        {
            DeviceId = new string('h', 100_000) + "\0\r\n\u00e9",
            Hostname = new string('h', 100_000),
            SoftwareVersion = new string('v', 70_000),
            Platform = "\u0001\u0002" + new string('p', 5000),
            PortId = new string('m', 3000),
        };

        var cdp = LinkAnnouncementFrames.Cdp(hostile);
        var lldp = LinkAnnouncementFrames.Lldp(hostile);

        cdp.Length.ShouldBeLessThanOrEqualTo(1514);
        lldp.Length.ShouldBeLessThanOrEqualTo(1514);
        var packet = Protocols.Cdp.CdpPacket.Decode(cdp.AsSpan(22));
        packet.GetText(Protocols.Cdp.CdpTlvType.DeviceId)!.Length.ShouldBe(255);
        Protocols.Cdp.CdpPacket.ChecksumValid(cdp.AsSpan(22)).ShouldBeTrue();
    }
}
