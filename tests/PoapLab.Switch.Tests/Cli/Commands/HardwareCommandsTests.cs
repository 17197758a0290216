using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Tests.Cli.Commands;

public sealed class HardwareCommandsTests
{
    [Fact]
    public async Task ShowHardware_SerialImageAndFlash_Printed()
    {
        using var sw = new CliTestSwitch();
        var output = await sw.Ok("show hardware");
        output.ShouldContain("  NXOS image file is: bootflash:///nxos.9.3.8.bin\n");
        output.ShouldContain("  bootflash:   53298520 kB\n");
        output.ShouldContain("Switch hardware ID information\n");
        output.ShouldContain("  Serial number is FDO23490570\n");
        (await sw.Ok("show hardware | grep \"Serial number is\"")).ShouldBe("  Serial number is FDO23490570\n");
    }

    [Fact]
    public async Task ShowVersionImage_ValidImage_PassedThirdWordVersionEleventh()
    {
        using var sw = new CliTestSwitch();
        NxosImage.Generate(sw.FlashFile("nxos.9.3.10.bin"), NxosVersion.Parse("9.3(10)"), null, 4096);
        var output = await sw.Ok("show version image bootflash:nxos.9.3.10.bin");
        var words = output.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        words[2].ShouldBe("Passed");
        words[10].ShouldBe("9.3(10)");
        output[(output.IndexOf("MD5", StringComparison.Ordinal) + 17)..].ShouldStartWith("Passed");
        (await sw.Ok("show version image nxos.9.3.10.bin")).ShouldStartWith("MD5 Verification Passed");
    }

    [Fact]
    public async Task ShowVersionImage_LegacySystemImage_SystemLine()
    {
        using var sw = new CliTestSwitch("6.0(2)U6(10)", "N3K-C3172PQ-10GE");
        NxosImage.Generate(sw.FlashFile("n3000-uk9.6.0.2.U6.10.bin"), NxosVersion.Parse("6.0(2)U6(10)"), null, 4096);
        (await sw.Ok("show version image bootflash:n3000-uk9.6.0.2.U6.10.bin")).ShouldContain("system:     version 6.0(2)U6(10)\n");
    }

    [Fact]
    public async Task ShowVersionImage_MissingOrJunk_NoSuchFileOrFailed()
    {
        using var sw = new CliTestSwitch();
        (await sw.Run("show version image bootflash:nope.bin")).Output.ShouldContain("No such file");
        sw.WriteFile("junk.bin", "junk");
        (await sw.Ok("show version image bootflash:junk.bin")).ShouldStartWith("MD5 Verification Failed");
        // Attack: a path out of the filesystem is no file.
        (await sw.Run("show version image bootflash:../../etc/passwd")).Output.ShouldContain("No such file");
    }

    [Fact]
    public async Task ShowPlatformInfo_BoxOnlineGrepSed_One()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("show system internal platform internal info | grep box_online | sed 's/[^0-9]*//g'")).ShouldBe("1\n");
    }
}
