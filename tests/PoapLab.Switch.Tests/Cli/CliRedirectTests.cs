using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli;

/// <summary>Output redirection to a file (<c>&gt;</c>, <c>&gt;&gt;</c>).</summary>
public sealed class CliRedirectTests
{
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
