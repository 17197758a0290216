using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Tests.Flash;

public sealed class BootflashTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-flash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("bootflash:poap.cfg")]
    [InlineData("bootflash:/poap.cfg")]
    [InlineData("bootflash:///poap.cfg")]
    [InlineData("/bootflash/poap.cfg")]
    public void ToRelative_NxosAndScriptForms_SamePath(string path)
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 1 << 20);
        flash.ToRelative(path).ShouldBe("poap.cfg");
    }

    [Theory]
    [InlineData("bootflash:../outside")]
    [InlineData("/bootflash/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("/bootflashx/a")]
    [InlineData("usb1:a")]
    public void ToRelative_EscapesAndOtherFilesystems_Null(string path)
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 1 << 20);
        flash.ToRelative(path).ShouldBeNull();
    }

    [Fact]
    public void Files_SymlinkPointingOutside_RefusedByTheKernel()
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 1 << 20);
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "file"), "canary");
        Directory.CreateSymbolicLink(Path.Combine(flash.RootPath, "link"), outside);

        var rel = flash.ToRelative("bootflash:link/file").ShouldNotBeNull();
        Should.Throw<SwitchFileException>(() => flash.Files.OpenRead(rel)).Kind.ShouldBe(SwitchFileError.OutsideTree);
    }

    [Fact]
    public void UsedBytes_LinkToLargeHostFile_CountsNothing()
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 10_000);
        var outside = Path.Combine(_dir, "big");
        File.WriteAllBytes(outside, new byte[5_000]);
        File.CreateSymbolicLink(Path.Combine(flash.RootPath, "big"), outside);
        flash.UsedBytes.ShouldBe(0);
    }

    [Fact]
    public void FreeBytes_FilesAndSystemBytes_Subtracted()
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 10_000, systemBytes: 1_000);
        File.WriteAllBytes(Path.Combine(flash.RootPath, "a"), new byte[2_500]);
        Directory.CreateDirectory(Path.Combine(flash.RootPath, "scripts"));
        File.WriteAllBytes(Path.Combine(flash.RootPath, "scripts", "b"), new byte[500]);
        flash.UsedBytes.ShouldBe(4_000);
        flash.FreeBytes.ShouldBe(6_000);
    }
}
