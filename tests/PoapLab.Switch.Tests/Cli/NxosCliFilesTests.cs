using System.Text.Json;
using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli;

public sealed class NxosCliFilesTests
{
    [Fact]
    public async Task Delete_WithDontAsk_RemovesTheFileSilently()
    {
        using var sw = new CliTestSwitch();
        var path = sw.WriteFile("old.cfg", "x");
        (await sw.Ok("terminal dont-ask ; delete bootflash:old.cfg")).ShouldBe("");
        File.Exists(path).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_WithoutDontAsk_PromptTakesDefaultYes()
    {
        using var sw = new CliTestSwitch();
        var path = sw.WriteFile("poap/old.cfg", "x");
        (await sw.Ok("delete bootflash:poap/old.cfg")).ShouldBe("Do you want to delete \"/poap/old.cfg\" ? (yes/no/abort)   [y] \n");
        File.Exists(path).ShouldBeFalse();
        (await sw.Ok("delete bootflash:poap no-prompt")).ShouldBe("");
        Directory.Exists(Path.GetDirectoryName(path)).ShouldBeFalse();
    }

    [Fact]
    public async Task Delete_Missing_NoSuchFile()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("delete bootflash:nope.bin");
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("No such file or directory");
        result.Output.ShouldContain("no such file");
        (await sw.Run("delete bootflash:")).Output.ShouldContain("Permission denied");
        (await sw.Run("delete slot0:x")).Output.ShouldContain("Permission denied");
    }

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
    public async Task Redirect_InstallOutputToBootflash_WritesFileReturnsNothing()
    {
        using var sw = new CliTestSwitch();
        var image = sw.FlashFile("nxos.9.3.9.bin");
        PoapLab.Switch.Identity.NxosImage.Generate(image, PoapLab.Switch.Identity.NxosVersion.Parse("9.3(9)"), null, 1000);

        var output = await sw.Ok("terminal dont-ask ; install all nxos nxos.9.3.9.bin bios > bootflash:install_output.txt");

        output.ShouldBe("");
        File.ReadAllText(sw.FlashFile("install_output.txt")).ShouldContain("Install has been successful.\n");
        sw.Cli.ReloadRequested.ShouldBeFalse();
        await sw.Ok("show version | grep 'NXOS: version' >> /bootflash/install_output.txt");
        File.ReadAllText(sw.FlashFile("install_output.txt")).ShouldEndWith(" NXOS: version 9.3(8)\n");
        await sw.Ok("show hostname >bootflash:h.txt");
        File.ReadAllText(sw.FlashFile("h.txt")).ShouldBe("switch\n");
    }

    [Fact]
    public async Task Redirect_BadTargets_FailLikeNxos()
    {
        using var sw = new CliTestSwitch();
        (await sw.Run("show hostname > bootflash:nodir/x.txt")).Output.ShouldContain("No such file");
        (await sw.Run("show hostname > slot0:x.txt")).Output.ShouldContain("Permission denied");
        (await sw.Run("show hostname > volatile:../../x.txt")).Output.ShouldContain("Permission denied");
        (await sw.Run("show hostname >")).Output.ShouldContain("% Incomplete command");
        var extra = await sw.Run("show hostname > bootflash:a b");
        extra.Status.ShouldBe(CliStatus.SyntaxError);
        extra.Output.ShouldBe("show hostname > bootflash:a b\n                            ^\n% Invalid command at '^' marker.\n");
        // A quoted '>' is a pattern, not a redirect.
        sw.WriteFile("t.txt", "a>b\nc\n");
        (await sw.Ok("show file bootflash:t.txt | grep '>'")).ShouldBe("a>b\n");
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

    // ---- a hostile script's links and FIFOs on bootflash: checked from the host side ----

    [Theory]
    [InlineData("delete bootflash:a/canary-dir/canary.txt no-prompt")]
    [InlineData("delete bootflash:b/canary.txt no-prompt")]
    [InlineData("delete bootflash:a/canary-dir no-prompt")]
    public async Task Delete_ThroughLinkOut_PermissionDeniedCanaryKept(string command)
    {
        using var t = new CliAttackHost();
        var result = await t.Run(command);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Permission denied");
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task Delete_LinkToHostDirectory_RemovesTheLinkOnly()
    {
        using var t = new CliAttackHost();
        (await t.Run("delete bootflash:b no-prompt")).Status.ShouldBe(CliStatus.Ok);
        (await t.Run("delete bootflash:abs no-prompt")).Status.ShouldBe(CliStatus.Ok);
        File.Exists(t.Switch.FlashFile("b")).ShouldBeFalse();
        File.Exists(t.Switch.FlashFile("abs")).ShouldBeFalse();
        t.Host.CanariesIntact();
    }

    [Theory]
    [InlineData("show version > bootflash:a/canary-dir/canary.txt")]
    [InlineData("show version >> bootflash:a/canary-dir/canary.txt")]
    [InlineData("show version > bootflash:b/new.txt")]
    [InlineData("show version >> bootflash:abs")]
    public async Task Redirect_ThroughLinkOut_PermissionDeniedCanaryKept(string command)
    {
        using var t = new CliAttackHost();
        var result = await t.Run(command);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("Permission denied");
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task Redirect_OntoLinkToHostFile_PermissionDeniedLinkAndCanaryKept()
    {
        using var t = new CliAttackHost();
        // The name resolves outside the flash: refused as any path off the flash is.
        (await t.Run("show version > bootflash:abs")).Output.ShouldContain("Permission denied");
        new FileInfo(t.Switch.FlashFile("abs")).LinkTarget.ShouldBe(t.Host.Secret);
        t.Host.CanariesIntact();
    }

    [Fact]
    public async Task Redirect_ToFifo_AppendRefusedOverwriteReplacesNoHang()
    {
        using var t = new CliAttackHost();
        t.Fifo("out.txt");
        (await t.Run("show version >> bootflash:out.txt")).Output.ShouldContain("Permission denied");
        (await t.Run("show version > bootflash:out.txt")).Status.ShouldBe(CliStatus.Ok);
        File.ReadAllText(t.Switch.FlashFile("out.txt")).ShouldContain("NX-OS");
    }
}
