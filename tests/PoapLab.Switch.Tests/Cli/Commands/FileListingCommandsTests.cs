using System.Security.Cryptography;
using System.Text.Json;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Tests.Flash;

namespace PoapLab.Switch.Tests.Cli.Commands;

/// <summary><c>dir</c> and <c>show file</c>.</summary>
public sealed class FileListingCommandsTests
{
    [Fact]
    public async Task ShowFile_TextFile_PrintsContent()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("poap_2.cfg", "hostname leaf\ninterface mgmt0\n  vrf member management");
        (await sw.Ok("show file bootflash:poap_2.cfg")).ShouldBe("hostname leaf\ninterface mgmt0\n  vrf member management\n");
        (await sw.Ok("show file bootflash:poap_2.cfg | section interface")).ShouldBe("interface mgmt0\n  vrf member management\n");
        (await sw.Run("show file bootflash:missing")).Output.ShouldContain("No such file");
    }

    [Fact]
    public async Task Dir_Subdirectory_ListsItsEntries()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("poap_files/a.cfg", "12345");
        sw.WriteFile("top.txt", "x");
        var output = await sw.Ok("dir bootflash:/poap_files");
        output.ShouldContain("  a.cfg\n");
        output.ShouldNotContain("top.txt");
        output.ShouldContain("bytes free\n");
        (await sw.Ok("dir")).ShouldContain("  poap_files/\n");
        (await sw.Run("dir bootflash:/nope")).Output.ShouldContain("No such file");
    }

    [Fact]
    public async Task Dir_Json_RowsAndUsage()
    {
        using var sw = new CliTestSwitch();
        File.SetLastWriteTimeUtc(sw.WriteFile("a.cfg", "12345"), new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        sw.WriteFile("b.cfg", "1");
        var json = JsonDocument.Parse(await sw.Ok("dir bootflash:", json: true)).RootElement;
        var rows = json.GetProperty("TABLE_dir").GetProperty("ROW_dir");
        rows.GetArrayLength().ShouldBe(2);
        rows[0].GetProperty("fname").GetString().ShouldBe("a.cfg");
        rows[0].GetProperty("fsize").GetInt64().ShouldBe(5);
        rows[0].GetProperty("timestamp").GetString().ShouldBe("Jan 01 00:00:00 2024");
        json.GetProperty("bytesfree").GetInt64().ShouldBe(sw.Bootflash.FreeBytes);
        json.GetProperty("bytestotal").GetInt64().ShouldBe(CliTestSwitch.Capacity);
        (await sw.Ok("dir | xml")).ShouldContain("<fname>b.cfg</fname>");
    }

    [Fact]
    public async Task DirFreeSpaceChain_LegacyScriptsReadANumber()
    {
        using var sw = CliTestSwitch.Nxos6();
        sw.WriteFile("a.txt", new string('a', 100));
        (await sw.Ok("dir bootflash: | last 3 | grep free | sed 's/[^0-9]*//g'")).ShouldBe(sw.Bootflash.FreeBytes + "\n");
        sw.Bootflash.FreeBytes.ShouldBeLessThanOrEqualTo(CliTestSwitch.Capacity - 100);
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
