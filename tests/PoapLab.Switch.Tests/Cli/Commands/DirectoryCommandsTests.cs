using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli.Commands;

public sealed class DirectoryCommandsTests
{
    [Fact]
    public async Task CdPwd_WithinOneSession_BareNamesInCurrentDirectory()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("pwd")).ShouldBe("bootflash:\n");
        await sw.Ok("mkdir bootflash:poap");
        (await sw.Ok("cd bootflash:poap ; pwd")).ShouldBe("bootflash:poap\n");
        sw.Transfers.Payload = "hostname leaf\n"u8.ToArray();
        await sw.Ok("cd poap ; copy tftp://10.0.0.1/leaf.cfg tmp_cfg vrf management");
        File.ReadAllText(sw.FlashFile("poap/tmp_cfg")).ShouldBe("hostname leaf\n");
        // Each cli() call is a session of its own: the next starts at bootflash: again.
        (await sw.Ok("pwd")).ShouldBe("bootflash:\n");
        (await sw.Ok("cd volatile: ; pwd")).ShouldBe("volatile:\n");
        (await sw.Run("cd bootflash:missing")).Status.ShouldBe(CliStatus.ExecError);
    }

    [Fact]
    public async Task MkdirRmdir_EmptyAndNot_AsNxos()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("mkdir bootflash:d");
        Directory.Exists(sw.FlashFile("d")).ShouldBeTrue();
        (await sw.Run("mkdir bootflash:d")).Output.ShouldContain("already exists");
        sw.WriteFile("d/f", "x");
        (await sw.Run("rmdir bootflash:d")).Output.ShouldContain("not empty");
        File.Delete(sw.FlashFile("d/f"));
        await sw.Ok("rmdir bootflash:d");
        Directory.Exists(sw.FlashFile("d")).ShouldBeFalse();
    }

    [Fact]
    public async Task Move_VolatileToBootflash_FileMoves()
    {
        using var sw = new CliTestSwitch();
        sw.Transfers.Payload = "hostname leaf\n"u8.ToArray();
        await sw.Ok("copy http://10.0.0.1/leaf.cfg volatile:poap.cfg vrf management");
        File.Exists(Path.Combine(sw.Filesystem.VolatilePath, "poap.cfg")).ShouldBeTrue();
        (await sw.Ok("dir volatile:")).ShouldContain("poap.cfg\n");
        (await sw.Ok("dir volatile:")).ShouldContain("Usage for volatile://sup-local\n");
        await sw.Ok("move volatile:poap.cfg bootflash:");
        File.Exists(Path.Combine(sw.Filesystem.VolatilePath, "poap.cfg")).ShouldBeFalse();
        File.ReadAllText(sw.FlashFile("poap.cfg")).ShouldBe("hostname leaf\n");
        await sw.Ok("move bootflash:poap.cfg bootflash:renamed.cfg");
        File.Exists(sw.FlashFile("renamed.cfg")).ShouldBeTrue();
        (await sw.Run("move bootflash:nope.cfg bootflash:x")).Output.ShouldContain("No such file");
        // A filesystem as the destination takes the remote file's name.
        await sw.Ok("copy http://10.0.0.1:5000/api/register/nxos volatile: vrf management");
        File.Exists(Path.Combine(sw.Filesystem.VolatilePath, "nxos")).ShouldBeTrue();
    }

    [Fact]
    public async Task VolatileStaging_CopyRunningAndScheduled_AsZtpScripts()
    {
        using var sw = new CliTestSwitch();
        sw.Transfers.Payload = "hostname ztp-leaf\nip host ztp-server 10.0.0.1\n"u8.ToArray();
        await sw.Ok("copy http://10.0.0.1:5000/api/config0/nxos running-config vrf management");
        sw.State.Hostname.ShouldBe("ztp-leaf");
        await sw.Ok("copy running-config volatile:poap.conf");
        await sw.Ok("copy volatile:poap.conf scheduled-config");
        sw.State.ScheduledConfig.ShouldContain("ip host ztp-server 10.0.0.1");
        await sw.Ok("copy running-config startup-config");
        sw.State.StartupConfig.ShouldNotBeNull();
        await sw.Ok("show hostname > volatile:host.txt");
        File.ReadAllText(Path.Combine(sw.Filesystem.VolatilePath, "host.txt")).ShouldBe("ztp-leaf\n");
        await sw.Ok("terminal dont-ask ; delete volatile:poap.conf");
        File.Exists(Path.Combine(sw.Filesystem.VolatilePath, "poap.conf")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("move bootflash:../x bootflash:y")]
    [InlineData("move bootflash:a volatile:../../etc/passwd")]
    [InlineData("cd bootflash:../..")]
    [InlineData("mkdir ../outside")]
    [InlineData("rmdir volatile:..")]
    [InlineData("copy bootflash:a ../../a")]
    [InlineData("delete volatile:../bootflash/a")]
    public async Task PathTraversal_OutOfFilesystem_Refused(string command)
    {
        using var sw = new CliTestSwitch();
        sw.WriteFile("a", "secret");
        var result = await sw.Run(command);
        result.Status.ShouldNotBe(CliStatus.Ok, result.Output);
        File.ReadAllText(sw.FlashFile("a")).ShouldBe("secret");
        Directory.Exists(Path.Combine(sw.Root, "outside")).ShouldBeFalse();
        File.Exists(Path.Combine(sw.Root, "a")).ShouldBeFalse();
    }

    [Fact]
    public async Task Move_LinkPlantedInVolatile_NotFollowedOutOfTree()
    {
        // Attack: a link inside a filesystem pointing at the host is resolved by the kernel beneath the tree.
        using var sw = new CliTestSwitch();
        var outside = Path.Combine(sw.Root, "host-secret");
        File.WriteAllText(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(sw.Filesystem.VolatilePath, "link"), outside);
        (await sw.Run("move volatile:link bootflash:stolen")).Status.ShouldBe(CliStatus.ExecError);
        File.Exists(sw.FlashFile("stolen")).ShouldBeFalse();
        (await sw.Run("copy volatile:link bootflash:stolen")).Status.ShouldBe(CliStatus.ExecError);
        File.Exists(sw.FlashFile("stolen")).ShouldBeFalse();
    }

    [Fact]
    public async Task CopyToVolatile_LargerThanVolatile_NoSpace()
    {
        // Attack: volatile: is not a mounted tmpfs; its size is the CLI's to keep.
        using var sw = new CliTestSwitch(capacity: 1L << 40);
        sw.Transfers.Payload = new byte[1024];
        sw.Transfers.AnnounceSize = false;
        var big = Path.Combine(sw.Filesystem.VolatilePath, "big");
        using (var f = File.Create(big))
        {
            f.SetLength(PoapLab.Switch.Flash.NxosFilesystems.VolatileBytes - 100);
        }
        (await sw.Run("copy http://10.0.0.1/x volatile:x vrf management")).Output.ShouldContain("No space left on device");
        File.Exists(Path.Combine(sw.Filesystem.VolatilePath, "x")).ShouldBeFalse();
    }

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
}
