using System.Text.Json;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary><c>show cdp neighbors</c>.</summary>
public sealed class CdpCommandsTests
{
    [Fact]
    public async Task ShowCdpNeighborsInterface_LongDeviceId_MatchesContractLayout()
    {
        using var sw = new CliTestSwitch();
        sw.State.CdpNeighbors.Add(new CdpNeighbor("oob-sw1(FOC213230KP)", "mgmt0", "Eth1/48", "N3K-C3172PQ-XL"));
        sw.State.CdpNeighbors.Add(new CdpNeighbor("spine1", "Ethernet1/49", "Ethernet1/1", "N9K-C9364C"));
        var output = await sw.Ok("show cdp neighbors interface mgmt0");
        output.ShouldBe(
            "Capability Codes: R - Router, T - Trans-Bridge, B - Source-Route-Bridge\n" +
            "                  S - Switch, H - Host, I - IGMP, r - Repeater,\n" +
            "                  V - VoIP-Phone, D - Remotely-Managed-Device,\n" +
            "                  s - Supports-STP-Dispute\n" +
            "\n" +
            "Device-ID          Local Intrfce  Hldtme Capability  Platform      Port ID\n" +
            "oob-sw1(FOC213230KP)\n" +
            "                    mgmt0          138    R S I s   N3K-C3172PQ-XL  Eth1/48\n" +
            "\n" +
            "Total entries displayed: 1\n");
        (await sw.Ok("show cdp neighbors interface ethernet 1/49")).ShouldContain("spine1              Ethernet1/49");
    }

    [Fact]
    public async Task ShowCdpNeighbors_Clid_OneRowIsObjectSeveralAreArray()
    {
        using var sw = new CliTestSwitch();
        sw.State.CdpNeighbors.Add(new CdpNeighbor("oob-sw1(FOC213230KP)", "mgmt0", "Eth1/48", "N3K-C3172PQ-XL"));
        var one = JsonDocument.Parse(await sw.Ok("show cdp neighbors interface mgmt0", json: true)).RootElement;
        var row = one.GetProperty("TABLE_cdp_neighbor_brief_info").GetProperty("ROW_cdp_neighbor_brief_info");
        row.ValueKind.ShouldBe(JsonValueKind.Object);
        row.GetProperty("device_id").GetString().ShouldBe("oob-sw1(FOC213230KP)");
        row.GetProperty("intf_id").GetString().ShouldBe("mgmt0");
        row.GetProperty("port_id").GetString().ShouldBe("Eth1/48");
        row.GetProperty("platform_id").GetString().ShouldBe("N3K-C3172PQ-XL");
        row.GetProperty("ttl").GetInt32().ShouldBe(138);
        row.GetProperty("capability").GetArrayLength().ShouldBe(4);

        sw.State.CdpNeighbors.Add(new CdpNeighbor("oob-sw2", "mgmt0", "Eth1/47", "N3K-C3172PQ-XL", "S"));
        var two = JsonDocument.Parse(await sw.Ok("show cdp neighbors interface mgmt0", json: true)).RootElement;
        var rows = two.GetProperty("TABLE_cdp_neighbor_brief_info").GetProperty("ROW_cdp_neighbor_brief_info");
        rows.ValueKind.ShouldBe(JsonValueKind.Array);
        rows[1].GetProperty("capability").GetString().ShouldBe("switch");
    }
}
