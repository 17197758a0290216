using System.Text.Json;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary><c>show module</c>, <c>show inventory</c>, <c>show chassis-family</c>, <c>show hostname</c>, <c>show clock</c>.</summary>
public sealed class SystemShowCommandsTests
{
    [Fact]
    public async Task ShowInventoryChassisGrepSn_LegacyScriptsReadSerial()
    {
        using var sw = CliTestSwitch.Nxos6();
        var line = await sw.Ok("show inventory chassis | grep SN:");
        line.ShouldBe("PID: N3K-C3172PQ-10GE    ,  VID: V02  ,  SN: FDO23490570\n");
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
    public async Task ShowModule_ScriptOneLiners_ModelLineAndNoStandby()
    {
        using var sw = new CliTestSwitch();
        // The third line is the module row: scripts split it and take the model.
        var row = await sw.Ok("show module | sed -n '3p'");
        row.Split(' ', StringSplitOptions.RemoveEmptyEntries).ShouldContain("N9K-C93108TC-EX");
        row.ShouldEndWith("active *\n");
        // A one-supervisor box has no standby: the reference script's HA check finds nothing.
        (await sw.Ok("show module | grep ha-standby")).ShouldBe("");
    }
}
