using System.Text.Json;
using System.Text.RegularExpressions;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary><c>show version</c> on single-image and dual-image (6.x) releases.</summary>
public sealed class ShowVersionCommandsTests
{
    [Fact]
    public async Task ShowVersion_6x_SystemAndKickstartLinesForLegacyRegexes()
    {
        using var sw = CliTestSwitch.Nxos6();
        var output = await sw.Ok("show version");

        output.ShouldContain("  BIOS:      version 07.69\n  loader:    version N/A\n  kickstart: version 6.0(2)U6(10)\n  system:    version 6.0(2)U6(10)\n");
        output.ShouldContain("  kickstart image file is: bootflash:///n3000-uk9-kickstart.6.0.2.U6.10.bin\n");
        output.ShouldContain("  system image file is:    bootflash:///n3000-uk9.6.0.2.U6.10.bin\n");
        output.ShouldContain("  cisco Nexus 3172 Chassis (\"48x10GT + 6x40/100G Ethernet Module\")\n");
        Regex.Match(output, @"system.*version\s*(.*)\n").Groups[1].Value.ShouldBe("6.0(2)U6(10)");
        Regex.Match(output, @"BIOS.*version\s*(.*)\n").Groups[1].Value.ShouldBe("07.69");
        Regex.Match(output, @"bootflash:\s+(\d+)").Groups[1].Value.ShouldBe("53298520");
        Regex.IsMatch(output, @"NXOS.*version").ShouldBeFalse();
        var m = Regex.Match(output, @"(\d+)\.(\d+)\((\d+)\)[A-Z]+(\d+)\((\w+)\)");
        m.Value.ShouldBe("6.0(2)U6(10)");
    }

    [Fact]
    public async Task ShowVersion_6xJson_SysVerAndIsanFile()
    {
        using var sw = CliTestSwitch.Nxos6();
        var json = JsonDocument.Parse(await sw.Ok("show version", json: true)).RootElement;
        json.GetProperty("sys_ver_str").GetString().ShouldBe(CliTestSwitch.Nxos6Version);
        json.GetProperty("kickstart_ver_str").GetString().ShouldBe(CliTestSwitch.Nxos6Version);
        json.GetProperty("isan_file_name").GetString().ShouldBe("bootflash:///n3000-uk9.6.0.2.U6.10.bin");
        json.GetProperty("kick_file_name").GetString().ShouldBe("bootflash:///n3000-uk9-kickstart.6.0.2.U6.10.bin");
        json.TryGetProperty("nxos_ver_str", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task ShowVersion_RunningImageWith6xName_IsShownAsIs()
    {
        using var sw = new CliTestSwitch(CliTestSwitch.Nxos6Version, "N3K-C3548P-10GX");
        (await sw.Ok("show version | i 'image file'")).ShouldBe(
            "  kickstart image file is: bootflash:///n3500-uk9-kickstart.6.0.2.U6.10.bin\n" +
            "  system image file is:    bootflash:///n3500-uk9.6.0.2.U6.10.bin\n");
        sw.State.RunningImage = "n3000-uk9.6.0.2.U6.9.bin";
        (await sw.Ok("show version | grep 'image file'")).ShouldContain("bootflash:///n3000-uk9-kickstart.6.0.2.U6.9.bin");
    }

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
    public async Task ShowVersion_ScriptOneLiners_ReleaseImageAndBiosOut()
    {
        // The one-liners of the multi-upgrade rewrite of the reference script (docs/nxos-commands.md, rows 74-77).
        using var sw = new CliTestSwitch();
        (await sw.Ok("show version | i 'NXOS: version' | head lines 1 | sed 's/.*version //'")).ShouldBe("9.3(8)\n");
        (await sw.Ok("show version | i 'NXOS image file' | tr '///' '\n' | sed -n '4p'")).ShouldBe("nxos.9.3.8.bin\n");
        (await sw.Ok("show version | i 'BIOS: version' | sed 's/.*version //'")).ShouldBe("07.69\n");
        (await sw.Ok("show version | i 'BIOS compile time: ' | sed 's/.*:  //'")).ShouldBe("04/08/2021\n");
        (await sw.Ok("show version | i 'NXOS compile time: '")).ShouldBe("  NXOS compile time:  8/31/2021 12:00:00 [08/31/2021 23:49:50]\n");
    }
}
