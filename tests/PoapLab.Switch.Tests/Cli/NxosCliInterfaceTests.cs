using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoapLab.Core.Events;
using PoapLab.Switch.Cli;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Tests.Cli;

public sealed class NxosCliInterfaceTests
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
