using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoapLab.Core.Events;
using PoapLab.Switch.Cli;
using PoapLab.Switch.State;
using PoapLab.Switch.Tests.Flash;

namespace PoapLab.Switch.Tests.Cli;

public sealed class NxosCliShowTests
{
    [Theory]
    [InlineData("9.3(8)", "9.3(8)", "bootflash:///nxos.9.3.8.bin")]
    [InlineData("10.3(6)M", "10.3(6) [Maintenance Release]", "bootflash:///nxos64-cs.10.3.6.M.bin")]
    [InlineData("7.0(3)I7(9)", "7.0(3)I7(9)", "bootflash:///nxos.7.0.3.I7.9.bin")]
    public async Task ShowVersion_EachRelease_PassesTheScriptsRegexes(string version, string printed, string image)
    {
        using var sw = new CliTestSwitch(version);
        var output = await sw.Ok("show version");

        output.ShouldNotContain("\r");
        Regex.Match(output, @"NXOS.*version\s*(.*)\n").Groups[1].Value.ShouldBe(printed);
        Regex.Match(output, @"BIOS.*version\s*(.*)\n").Groups[1].Value.ShouldBe("07.69");
        Regex.Match(output, @"NXOS image file is:\s+(.+)").Groups[1].Value.ShouldBe(image);
        Regex.Match(output, @"bootflash:\s+(\d+)").Groups[1].Value.ShouldBe("53298520");
        Regex.IsMatch(output, @"system.*version", RegexOptions.IgnoreCase).ShouldBeTrue();
        Regex.IsMatch(output, @"(\d+)\.(\d+)\((\d+)[a-z]?\)").ShouldBeTrue();
        Regex.IsMatch(output, @"(\d+)\.(\d+)\((\d+)\)[A-Z]+(\d+)\((\w+)\)").ShouldBe(version.Contains('I', StringComparison.Ordinal));
        output.ShouldContain("  cisco Nexus9000 C93108TC-EX chassis\n  ");
        output.ShouldContain("  Processor Board ID FDO23490570\n");
        output.ShouldContain("  Device name: switch\n");
    }

    [Fact]
    public async Task ShowVersion_AfterClockAdvances_ReportsUptime()
    {
        using var sw = new CliTestSwitch();
        sw.Clock.Advance(new TimeSpan(1, 2, 3, 4));
        (await sw.Ok("show version")).ShouldContain("Kernel uptime is 1 day(s), 2 hour(s), 3 minute(s), 4 second(s)\n");
    }

    [Fact]
    public async Task ShowVersion_Clid_HasNxosKeys()
    {
        using var sw = new CliTestSwitch("10.3(6)M");
        var json = JsonDocument.Parse(await sw.Ok("show version", json: true)).RootElement;
        json.GetProperty("bios_ver_str").GetString().ShouldBe("07.69");
        json.GetProperty("nxos_ver_str").GetString().ShouldBe("10.3(6)");
        json.GetProperty("nxos_file_name").GetString().ShouldBe("bootflash:///nxos64-cs.10.3.6.M.bin");
        json.GetProperty("chassis_id").GetString().ShouldBe("Nexus9000 C93108TC-EX Chassis");
        json.GetProperty("proc_board_id").GetString().ShouldBe("FDO23490570");
        json.GetProperty("host_name").GetString().ShouldBe("switch");
        json.GetProperty("bootflash_size").GetInt64().ShouldBe(53298520);
    }

    [Fact]
    public async Task ShowVersion_PipeJson_SameAsClid()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("show version | json")).ShouldBe(await sw.Ok("show version", json: true));
        (await sw.Ok("show version | xml")).ShouldContain("<bios_ver_str>07.69</bios_ver_str>");
    }

    [Fact]
    public async Task ShowModule_Text_MatchesNxosLayout()
    {
        using var sw = new CliTestSwitch();
        var output = await sw.Ok("show module");
        output.ShouldStartWith(
            "Mod Ports             Module-Type                      Model           Status\n" +
            "--- ----- ------------------------------------- --------------------- ---------\n" +
            "1    54   48x10GT + 6x40/100G Ethernet Module    N9K-C93108TC-EX       active *\n\n" +
            "Mod  Sw                       Hw    Slot\n" +
            "---  ----------------------- ------ ----\n" +
            "1    9.3(8)                   1.0    NA\n");
        output.ShouldContain("1    d4-c9-3c-85-7d-80 to d4-c9-3c-85-7d-c7  FDO23490570\n");
        (await sw.Ok("show module | grep ha-standby")).ShouldBe("");
    }

    [Fact]
    public async Task ShowModule_Clid_SingleModuleRowIsAnObject()
    {
        using var sw = new CliTestSwitch();
        var json = JsonDocument.Parse(await sw.Ok("show module", json: true)).RootElement;
        var row = json.GetProperty("TABLE_modinfo").GetProperty("ROW_modinfo");
        row.ValueKind.ShouldBe(JsonValueKind.Object);
        row.GetProperty("model").GetString().ShouldBe("N9K-C93108TC-EX");
    }

    [Fact]
    public async Task ShowInventory_ChassisGrepSn_GivesSerialLine()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("show inventory chassis | grep SN:")).ShouldBe("PID: N9K-C93108TC-EX     ,  VID: V02  ,  SN: FDO23490570\n");
        var json = JsonDocument.Parse(await sw.Ok("show inventory", json: true)).RootElement;
        var rows = json.GetProperty("TABLE_inv").GetProperty("ROW_inv");
        rows.ValueKind.ShouldBe(JsonValueKind.Array);
        rows.GetArrayLength().ShouldBe(2);
        rows[0].GetProperty("serialnum").GetString().ShouldBe("FDO23490570");
    }

    [Fact]
    public async Task ShowChassisFamily_LastTokenIsFamily()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("show chassis-family")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1].Trim().ShouldBe("Fretta");
    }

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

    [Fact]
    public async Task Clid_CommandWithoutJsonForm_IsExecError()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("show running-config", json: true);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("% Invalid");
        (await sw.Run("terminal dont-ask", json: true)).Status.ShouldBe(CliStatus.Ok);
    }

    [Fact]
    public async Task ShowFileMd5sum_ExistingFile_PrintsRealMd5()
    {
        using var sw = new CliTestSwitch();
        var path = sw.WriteFile("poap_2.cfg", "hostname leaf-101\n");
        var expected = Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(path)));
        (await sw.Ok("show file bootflash:poap_2.cfg md5sum")).ShouldBe(expected + "\n");
        (await sw.Ok("show file bootflash:///poap_2.cfg md5sum")).ShouldBe(expected + "\n");
        (await sw.Ok("show file bootflash:poap_2.cfg")).ShouldBe("hostname leaf-101\n");
    }

    [Fact]
    public async Task ShowFileMd5sum_MissingFile_NoSuchFile()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("show file bootflash:nxos.bin md5sum");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file or directory");
        result.Output.ShouldContain("no such file");
    }

    [Fact]
    public async Task Dir_LegacyFreeSpaceOneLiner_YieldsFreeBytes()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("a.bin", new string('x', 1234));
        sw.WriteFile("sub/b.bin", new string('y', 10));
        var output = await sw.Ok("dir bootflash:");
        output.ShouldContain("Usage for bootflash://sup-local\n");
        output.ShouldContain("       1234    ");
        output.ShouldContain("  sub/\n");
        (await sw.Ok("dir bootflash: | last 3 | grep free | sed 's/[^0-9]*//g'"))
            .ShouldBe(sw.Bootflash.FreeBytes + "\n");
        sw.Bootflash.FreeBytes.ShouldBe(CliTestSwitch.Capacity - 1244);
    }

    [Fact]
    public async Task UnknownCommand_SyntaxErrorWithMarkerAndUnsupportedEvent()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("show vlan brief");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("show vlan brief\n     ^\n% Invalid command at '^' marker.\n");
        var unsupported = sw.Timeline.Events.Single(e => e.Kind == EventKinds.CliUnsupported);
        unsupported.Get("command").ShouldBe("show vlan brief");
        unsupported.Get("word").ShouldBe("vlan");
    }

    [Fact]
    public async Task ExecuteAsync_EachCommand_RecordsCliCommandEvent()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("terminal dont-ask ; show hostname");
        var events = sw.Timeline.Events.Where(e => e.Kind == EventKinds.CliCommand).ToList();
        events.Select(e => e.Get("command")).ShouldBe(["terminal dont-ask", "show hostname"]);
        events[1].Get("status").ShouldBe("Ok");
        events[1].Get("output").ShouldBe("switch");
    }

    [Fact]
    public async Task Abbreviations_AreAcceptedLikeNxos()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("sh ver")).ShouldBe(await sw.Ok("show version"));
        (await sw.Run("sh")).Output.ShouldContain("% Incomplete command");
        (await sw.Run("show c")).Output.ShouldContain("% Ambiguous command");
    }

    // ---- a hostile script's links and FIFOs on bootflash: checked from the host side ----

    [Theory]
    [InlineData("show file bootflash:a/canary-dir/canary.txt")]
    [InlineData("show file bootflash:b/canary.txt")]
    [InlineData("show file bootflash:abs")]
    [InlineData("show file bootflash:abs md5sum")]
    public async Task ShowFile_ThroughLinkOut_NoSuchFileAndNoHostBytes(string command)
    {
        using var t = new CliAttackHost();
        var result = await t.Run(command);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file or directory");
        result.Output.ShouldNotContain(HostedTree.CanaryText.Trim());
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task ShowFile_Fifo_RefusedNoHang()
    {
        using var t = new CliAttackHost();
        t.Fifo("pipe");
        (await t.Run("show file bootflash:pipe")).Output.ShouldContain("Permission denied");
        (await t.Run("show file bootflash:pipe md5sum")).Output.ShouldContain("Permission denied");
    }

    [Theory]
    [InlineData("dir bootflash:b")]
    [InlineData("dir bootflash:a/canary-dir")]
    [InlineData("dir bootflash:a")]
    public async Task Dir_ThroughLinkOut_NoSuchFileAndNoHostNames(string command)
    {
        using var t = new CliAttackHost();
        var result = await t.Run(command);
        result.Output.ShouldContain("No such file or directory");
        result.Output.ShouldNotContain("canary.txt");
        result.Output.ShouldNotContain("secret");
    }

    [Fact]
    public async Task Dir_FlashWithLinksOut_ListsTheLinksCountsNoHostBytes()
    {
        using var t = new CliAttackHost();
        t.Fifo("pipe");
        var output = await t.Switch.Ok("dir bootflash:");
        output.ShouldContain("  a\n");
        output.ShouldContain("  b\n");
        output.ShouldContain("  pipe\n");
        output.ShouldNotContain("canary.txt");
        output.ShouldContain("  0 bytes used");
    }
}
