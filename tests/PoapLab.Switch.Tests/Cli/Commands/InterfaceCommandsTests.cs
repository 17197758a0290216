using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoapLab.Core.Events;
using PoapLab.Switch.Cli;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Tests.Cli.Commands;

public sealed class InterfaceCommandsTests
{
    private static CliTestSwitch WithLease(string intf = "mgmt0", string vrf = "management", params string[] dns)
    {
        var sw = new CliTestSwitch();
        sw.State.Lease = new DhcpLease(
            intf, vrf, IPAddress.Parse("192.0.2.10"), IPAddress.Parse("255.255.255.0"), IPAddress.Parse("192.0.2.1"),
            [.. (dns.Length == 0 ? ["192.0.2.53"] : dns).Select(IPAddress.Parse)], "lab.example", "leaf-101",
            IPAddress.Parse("192.0.2.2"), TimeSpan.FromDays(1));
        return sw;
    }

    [Fact]
    public async Task ShowInterfaceMgmt0_WithLease_AddressMaskMacAndMtu()
    {
        using var sw = WithLease();
        var output = await sw.Ok("show interface mgmt0");
        output.ShouldStartWith("mgmt0 is up\nadmin state is up,\n  Hardware: GigabitEthernet, address: d4c9.3c85.7d80 (bia d4c9.3c85.7d80)\n");
        output.ShouldContain("  Internet Address is 192.0.2.10/24\n");
        output.ShouldContain("  MTU 1500 bytes, BW 1000000 Kbit , DLY 10 usec\n");
        output.ShouldContain("    0 input packets 0 unicast packets 0 multicast packets\n");
        output.ShouldNotContain("\r");
        (await sw.Ok("sh int mgmt 0")).ShouldBe(output);
    }

    [Fact]
    public async Task ShowInterfaceMgmt0_AfterDownload_CountsTraffic()
    {
        using var sw = WithLease();
        sw.Transfers.Payload = new byte[14600];
        await sw.Ok("copy tftp://192.0.2.2/f bootflash:f vrf management");
        var json = JsonDocument.Parse(await sw.Ok("show interface mgmt0", json: true)).RootElement
            .GetProperty("TABLE_interface").GetProperty("ROW_interface");
        json.GetProperty("vdc_lvl_in_pkts").GetInt64().ShouldBe(10);
        json.GetProperty("vdc_lvl_in_bytes").GetInt64().ShouldBe(14600 + (10 * 54));
        json.GetProperty("vdc_lvl_out_pkts").GetInt64().ShouldBe(5);
        (await sw.Ok("show interface mgmt0 | grep 'input packets'")).ShouldBe("    10 input packets 10 unicast packets 0 multicast packets\n");
    }

    [Fact]
    public async Task ShowInterfaceMgmt0_Json_NxosKeys()
    {
        using var sw = WithLease();
        var row = JsonDocument.Parse(await sw.Ok("show interface mgmt0 | json")).RootElement
            .GetProperty("TABLE_interface").GetProperty("ROW_interface");
        row.GetProperty("interface").GetString().ShouldBe("mgmt0");
        row.GetProperty("eth_hw_addr").GetString().ShouldBe("d4c9.3c85.7d80");
        row.GetProperty("eth_ip_addr").GetString().ShouldBe("192.0.2.10");
        row.GetProperty("eth_ip_mask").GetInt32().ShouldBe(24);
        row.GetProperty("eth_ip_prefix").GetString().ShouldBe("192.0.2.0");
        row.GetProperty("eth_mtu").GetString().ShouldBe("1500");
    }

    [Fact]
    public async Task Json_OneRecordPerCommand_KeysInNxosOrder()
    {
        // The key order the handlers printed before text and JSON came from one record each.
        using var sw = WithLease(dns: ["192.0.2.53", "192.0.2.54"]);
        var row = JsonDocument.Parse(await sw.Ok("show interface mgmt0", json: true)).RootElement.GetProperty("TABLE_interface").GetProperty("ROW_interface");
        string.Join(' ', row.EnumerateObject().Select(p => p.Name)).ShouldBe(
            "interface state admin_state eth_hw_desc eth_hw_addr eth_bia_addr eth_ip_addr eth_ip_mask eth_ip_prefix eth_mtu eth_bw eth_dly " +
            "eth_reliability eth_txload eth_rxload medium eth_duplex eth_speed eth_autoneg eth_mdix eth_ethertype vdc_lvl_in_avg_bits " +
            "vdc_lvl_in_avg_pkts vdc_lvl_out_avg_bits vdc_lvl_out_avg_pkts vdc_lvl_in_pkts vdc_lvl_in_ucast vdc_lvl_in_mcast vdc_lvl_in_bcast " +
            "vdc_lvl_in_bytes vdc_lvl_out_pkts vdc_lvl_out_ucast vdc_lvl_out_mcast vdc_lvl_out_bcast vdc_lvl_out_bytes");
        row.GetProperty("eth_bw").GetInt32().ShouldBe(1000000);
        row.GetProperty("eth_reliability").GetString().ShouldBe("255");

        var brief = JsonDocument.Parse(await sw.Ok("show ip interface brief vrf all", json: true)).RootElement;
        string.Join(' ', brief.EnumerateObject().Select(p => p.Name)).ShouldBe("TABLE_vrf TABLE_intf");
        string.Join(' ', brief.GetProperty("TABLE_intf").GetProperty("ROW_intf").EnumerateObject().Select(p => p.Name))
            .ShouldBe("vrf-name-out intf-name proto-state link-state admin-state iod prefix ip-disabled");
        brief.GetProperty("TABLE_intf").GetProperty("ROW_intf").GetProperty("iod").GetInt32().ShouldBe(2);

        var hosts = JsonDocument.Parse(await sw.Ok("show hosts", json: true)).RootElement;
        string.Join(' ', hosts.EnumerateObject().Select(p => p.Name)).ShouldBe("dns_lookup default_domain name_server TABLE_vrf");
        var hostRows = hosts.GetProperty("TABLE_vrf").GetProperty("ROW_vrf");
        hostRows.GetArrayLength().ShouldBe(3);
        string.Join(' ', hostRows[0].EnumerateObject().Select(p => p.Name)).ShouldBe("vrf use_vrf token config");
        hostRows[0].GetProperty("token").GetString().ShouldBe("domain");
    }

    [Fact]
    public async Task ShowHosts_NoLease_BroadcastNameServerAndNoRows()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("show hosts")).ShouldBe(
            "DNS lookup enabled\nDefault domain for vrf:default is -\nName/address lookup uses domain service\nName servers are 255.255.255.255\n\n" +
            "Vrf          Use-vrf      Token      Config\n\nHost                                     Address\n");
        (await sw.Run("show hosts x")).Status.ShouldBe(CliStatus.SyntaxError);
    }

    [Fact]
    public async Task ShowInterfaceMgmt0_WithoutLease_NoAddressLine()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("show interface mgmt0")).ShouldNotContain("Internet Address");
    }

    [Fact]
    public async Task ShowInterface_FrontPanelPort_InvalidAndUnsupportedEvent()
    {
        using var sw = WithLease();
        var result = await sw.Run("show interface ethernet1/1");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("show interface ethernet1/1\n               ^\n% Invalid command at '^' marker.\n");
        sw.Timeline.Events.Single(e => e.Kind == EventKinds.CliUnsupported).Get("word").ShouldBe("ethernet1/1");
    }

    [Fact]
    public async Task ShowIpInterfaceBriefVrfAll_MgmtInManagementVrf_ProtocolLineParses()
    {
        using var sw = WithLease();
        var output = await sw.Ok("show ip interface brief vrf all");
        output.ShouldBe(
            "IP Interface Status for VRF \"default\"(1)\n" +
            "Interface            IP Address      Interface Status\n" +
            "\n" +
            "IP Interface Status for VRF \"management\"(2)\n" +
            "Interface            IP Address      Interface Status\n" +
            "mgmt0                192.0.2.10      protocol-up/link-up/admin-up       \n");
        var line = await sw.Ok("show ip interface brief vrf all | i protocol");
        line.ShouldBe("mgmt0                192.0.2.10      protocol-up/link-up/admin-up       \n");
        // What forks do with it: the second column.
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1].ShouldBe("192.0.2.10");
    }

    [Fact]
    public async Task ShowIpInterfaceBrief_DefaultVrfOnly_MgmtNotListed()
    {
        using var sw = WithLease();
        (await sw.Ok("show ip interface brief | i protocol")).ShouldBe("");
        (await sw.Ok("show ip interface brief vrf management | i protocol")).ShouldContain("mgmt0");
        (await sw.Run("show ip interface brief vrf nope")).Output.ShouldBe("% VRF nope not found\n");
    }

    [Fact]
    public async Task ShowIpInterfaceBrief_InbandLease_EthInDefaultVrf()
    {
        using var sw = WithLease("Ethernet1/1", "default");
        (await sw.Ok("show ip interface brief vrf all | i protocol")).ShouldStartWith("Eth1/1               192.0.2.10      protocol-up");
        (await sw.Ok("show interface mgmt0")).ShouldNotContain("Internet Address");
    }

    [Fact]
    public async Task ShowIpInterfaceBrief_Json_TableIntfRows()
    {
        using var sw = WithLease();
        var root = JsonDocument.Parse(await sw.Ok("show ip interface brief vrf all", json: true)).RootElement;
        var row = root.GetProperty("TABLE_intf").GetProperty("ROW_intf");
        row.GetProperty("intf-name").GetString().ShouldBe("mgmt0");
        row.GetProperty("prefix").GetString().ShouldBe("192.0.2.10");
        row.GetProperty("vrf-name-out").GetString().ShouldBe("management");
        row.GetProperty("proto-state").GetString().ShouldBe("up");
        root.GetProperty("TABLE_vrf").GetProperty("ROW_vrf").GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task ShowHosts_NameServersFromLease()
    {
        using var sw = WithLease(dns: ["192.0.2.53", "192.0.2.54"]);
        (await sw.Ok("show hosts | i 'Name servers'")).ShouldBe("Name servers are 192.0.2.53 192.0.2.54\n");
        // A script's "sed 's/.*: //'" finds no colon in the documented line and logs it whole.
        (await sw.Ok("show hosts | i 'Name servers' | sed 's/.*: //'")).ShouldBe("Name servers are 192.0.2.53 192.0.2.54\n");
        var output = await sw.Ok("show hosts");
        output.ShouldContain("Default domain for vrf:default is lab.example\n");
        output.ShouldContain("management   management   name_srvr  192.0.2.54\n");
        var json = JsonDocument.Parse(await sw.Ok("show hosts", json: true)).RootElement;
        json.GetProperty("name_server").GetString().ShouldBe("192.0.2.53 192.0.2.54");
    }

    [Fact]
    public async Task ShowHosts_NoLease_LimitedBroadcast()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("show hosts | include Name")).ShouldBe("Name/address lookup uses domain service\nName servers are 255.255.255.255\n");
        Regex.IsMatch(await sw.Ok("show hosts"), "^DNS lookup enabled\n").ShouldBeTrue();
    }
}
