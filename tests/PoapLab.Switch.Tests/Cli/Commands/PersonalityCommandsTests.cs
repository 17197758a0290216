using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli.Commands;

public sealed class PersonalityCommandsTests
{
    private const string Restore = "personality restore bootflash:personality.tar user-name admin password secret hostname 192.0.2.2 vrf management";

    private static void WriteTar(CliTestSwitch sw, bool gzip, params (string Name, string Content)[] members)
    {
        using var file = File.Create(sw.FlashFile("personality.tar"));
        using Stream target = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var writer = new TarWriter(target, TarEntryFormat.Ustar, leaveOpen: true);
        foreach (var (name, content) in members)
        {
            var entry = new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
            writer.WriteEntry(entry);
        }
    }

    [Theory]
    [InlineData(false, "running-config")]
    [InlineData(true, "personality/running-config")]
    public async Task Restore_ArchiveWithRunningConfig_StagesConfigForNextBoot(bool gzip, string configName)
    {
        using var sw = new CliTestSwitch();
        var top = configName[..^"running-config".Length];
        WriteTar(sw, gzip, (configName, "!Command: show running-config\nhostname leaf-101\ninterface mgmt0\n  ip address 192.0.2.10/24\n"),
            (top + "data/scripts/hello.py", "print('hi')\n"), (top + "package_list", "foo.rpm\n"));

        var output = await sw.Ok(Restore);

        output.ShouldContain("Staged 3 configuration line(s)");
        output.ShouldEndWith("Personality restore completed.\n");
        sw.State.ScheduledConfig.ShouldBe(["hostname leaf-101", "interface mgmt0", "  ip address 192.0.2.10/24"]);
        File.ReadAllText(sw.FlashFile("scripts/hello.py")).ShouldBe("print('hi')\n");
        File.Exists(sw.FlashFile("package_list")).ShouldBeFalse();
        var staged = sw.State.Personality.ShouldNotBeNull();
        staged.Archive.ShouldBe("bootflash:personality.tar");
        staged.UserName.ShouldBe("admin");
        staged.Server.ShouldBe("192.0.2.2");
        staged.Vrf.ShouldBe("management");
        staged.DataFiles.ShouldBe(["bootflash:scripts/hello.py"]);
    }

    [Fact]
    public async Task Restore_MissingArchive_NoSuchFile()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run(Restore);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("bootflash:personality.tar: No such file or directory");
        sw.State.Personality.ShouldBeNull();
    }

    [Fact]
    public async Task Restore_NotATar_Fails()
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("personality.tar", "this is not a tar file\n");
        var result = await sw.Run(Restore);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldStartWith("Error: bootflash:personality.tar is not a valid personality tar file");
        sw.State.ScheduledConfig.ShouldBeEmpty();
    }

    [Fact]
    public async Task Restore_TarWithoutRunningConfig_Fails()
    {
        using var sw = new CliTestSwitch();
        WriteTar(sw, false, ("package_list", "x\n"));
        (await sw.Run(Restore)).Output.ShouldContain("it has no running-config");
    }

    [Fact]
    public async Task Restore_DataEscapingBootflash_PermissionDenied()
    {
        using var sw = new CliTestSwitch();
        WriteTar(sw, false, ("running-config", "hostname x\n"), ("data/../../escape", "x"));
        (await sw.Run(Restore)).Output.ShouldContain("Permission denied");
        sw.State.ScheduledConfig.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("personality restore bootflash:personality.tar user-name", "% Incomplete command")]
    [InlineData("personality restore bootflash:personality.tar colour red", "% Invalid command")]
    [InlineData("personality restore", "% Incomplete command")]
    public async Task Restore_BadSyntax_ParserErrors(string command, string error)
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run(command);
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldContain(error);
    }

    [Fact]
    public async Task Restore_OnReleaseWithoutPersonality_Invalid()
    {
        using var sw = new CliTestSwitch("7.0(3)I7(9)");
        var result = await sw.Run(Restore);
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldStartWith(Restore + "\n^\n% Invalid command");
    }

    [Fact]
    public async Task PersonalityRestore_ArchiveThroughLinkOutOrFifo_RefusedCanaryKept()
    {
        using var t = new CliAttackHost();
        t.Fifo("pipe.tar");
        (await t.Run("personality restore bootflash:a/canary-dir/canary.txt")).Output.ShouldContain("Permission denied");
        (await t.Run("personality restore bootflash:pipe.tar")).Status.ShouldBe(CliStatus.ExecError);
        t.Switch.State.ScheduledConfig.ShouldBeEmpty();
        t.Host.CanariesIntact();
    }
}
