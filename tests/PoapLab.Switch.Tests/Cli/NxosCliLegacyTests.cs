using System.Text.Json;
using System.Text.RegularExpressions;
using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli;

/// <summary>A Nexus 3000 running 6.0(2)U6(10): two images, kickstart and system.</summary>
public sealed class NxosCliLegacyTests
{
    private const string Version = "6.0(2)U6(10)";
    private const string Model = "N3K-C3172PQ-10GE";

    [Fact]
    public async Task ShowVersion_6x_SystemAndKickstartLinesForLegacyRegexes()
    {
        using var sw = new CliTestSwitch(Version, Model);
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
        using var sw = new CliTestSwitch(Version, Model);
        var json = JsonDocument.Parse(await sw.Ok("show version", json: true)).RootElement;
        json.GetProperty("sys_ver_str").GetString().ShouldBe(Version);
        json.GetProperty("kickstart_ver_str").GetString().ShouldBe(Version);
        json.GetProperty("isan_file_name").GetString().ShouldBe("bootflash:///n3000-uk9.6.0.2.U6.10.bin");
        json.GetProperty("kick_file_name").GetString().ShouldBe("bootflash:///n3000-uk9-kickstart.6.0.2.U6.10.bin");
        json.TryGetProperty("nxos_ver_str", out _).ShouldBeFalse();
    }

    [Fact]
    public async Task ShowVersion_RunningImageWith6xName_IsShownAsIs()
    {
        using var sw = new CliTestSwitch(Version, "N3K-C3548P-10GX");
        (await sw.Ok("show version | i 'image file'")).ShouldBe(
            "  kickstart image file is: bootflash:///n3500-uk9-kickstart.6.0.2.U6.10.bin\n" +
            "  system image file is:    bootflash:///n3500-uk9.6.0.2.U6.10.bin\n");
        sw.State.RunningImage = "n3000-uk9.6.0.2.U6.9.bin";
        (await sw.Ok("show version | grep 'image file'")).ShouldContain("bootflash:///n3000-uk9-kickstart.6.0.2.U6.9.bin");
    }

    [Fact]
    public async Task BootKickstartAndSystem_6x_SetThePairShownByShowBootAndRunningConfig()
    {
        using var sw = new CliTestSwitch(Version, Model);
        sw.WriteFile("n3000-uk9-kickstart.6.0.2.U6.10.bin", "k");
        sw.WriteFile("n3000-uk9.6.0.2.U6.10.bin", "s");

        await sw.Ok("config terminal ; boot kickstart bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin ; boot system bootflash:/n3000-uk9.6.0.2.U6.10.bin");

        sw.State.KickstartBootVariable.ShouldBe("bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin");
        sw.State.SystemBootVariable.ShouldBe("bootflash:/n3000-uk9.6.0.2.U6.10.bin");
        (await sw.Ok("show boot")).ShouldContain(
            "kickstart variable = bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin\nsystem variable = bootflash:/n3000-uk9.6.0.2.U6.10.bin\nBoot POAP Disabled\n");
        var running = await sw.Ok("show running-config | grep ^boot");
        running.ShouldBe("boot kickstart bootflash:/n3000-uk9-kickstart.6.0.2.U6.10.bin\nboot system bootflash:/n3000-uk9.6.0.2.U6.10.bin\n");
    }

    [Fact]
    public async Task BootSystem_MissingImage_NoSuchFile()
    {
        using var sw = new CliTestSwitch(Version, Model);
        var result = await sw.Run("conf t ; boot system bootflash:/missing.bin");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file");
        sw.State.SystemBootVariable.ShouldBeNull();
    }

    [Fact]
    public async Task BootNxos_On6x_IsInvalid()
    {
        using var sw = new CliTestSwitch(Version, Model);
        var result = await sw.Run("config terminal ; boot nxos bootflash:/x.bin");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("boot nxos bootflash:/x.bin\n     ^\n% Invalid command at '^' marker.\n");
    }

    [Fact]
    public async Task BootKickstart_OnModernImage_IsInvalid()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("k.bin", "k");
        var result = await sw.Run("config terminal ; boot kickstart bootflash:/k.bin");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("boot kickstart bootflash:/k.bin\n     ^\n% Invalid command at '^' marker.\n");
        sw.State.KickstartBootVariable.ShouldBeNull();
    }

    [Fact]
    public async Task InstallAllKickstartSystem_6x_SetsPairAndReloads()
    {
        using var sw = new CliTestSwitch(Version, Model);
        sw.WriteFile("k.bin", "k");
        sw.WriteFile("s.bin", "s");
        var output = await sw.Ok("install all kickstart bootflash:k.bin system bootflash:s.bin");
        output.ShouldContain("Verifying image bootflash:s.bin for boot variable \"system\".\n");
        sw.State.KickstartBootVariable.ShouldBe("bootflash:/k.bin");
        sw.State.SystemBootVariable.ShouldBe("bootflash:/s.bin");
        sw.Cli.ReloadRequested.ShouldBeTrue();
    }

    [Fact]
    public async Task InstallAllKickstartSystem_MissingSystem_FailsWithoutChanges()
    {
        using var sw = new CliTestSwitch(Version, Model);
        sw.WriteFile("k.bin", "k");
        var result = await sw.Run("install all kickstart bootflash:k.bin system bootflash:s.bin");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Install has failed. Return code 0x40930011.");
        sw.State.KickstartBootVariable.ShouldBeNull();
        sw.Cli.ReloadRequested.ShouldBeFalse();
        (await sw.Run("install all nxos bootflash:k.bin")).Status.ShouldBe(CliStatus.SyntaxError);
    }

    [Fact]
    public async Task ShowInventoryChassisGrepSn_LegacyScriptsReadSerial()
    {
        using var sw = new CliTestSwitch(Version, Model);
        var line = await sw.Ok("show inventory chassis | grep SN:");
        line.ShouldBe("PID: N3K-C3172PQ-10GE    ,  VID: V02  ,  SN: FDO23490570\n");
    }

    [Fact]
    public async Task DirFreeSpaceChain_LegacyScriptsReadANumber()
    {
        using var sw = new CliTestSwitch(Version, Model);
        sw.WriteFile("a.txt", new string('a', 100));
        (await sw.Ok("dir bootflash: | last 3 | grep free | sed 's/[^0-9]*//g'")).ShouldBe(sw.Bootflash.FreeBytes + "\n");
        sw.Bootflash.FreeBytes.ShouldBeLessThanOrEqualTo(CliTestSwitch.Capacity - 100);
    }
}
