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
    public void Resolve_NxosAndScriptForms_SameHostPath(string path)
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 1 << 20);
        flash.Resolve(path).ShouldBe(Path.Combine(flash.RootPath, "poap.cfg"));
    }

    [Theory]
    [InlineData("bootflash:../outside")]
    [InlineData("/bootflash/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("/bootflashx/a")]
    [InlineData("usb1:a")]
    public void Resolve_EscapesAndOtherFilesystems_Null(string path)
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 1 << 20);
        flash.Resolve(path).ShouldBeNull();
    }

    [Fact]
    public void Resolve_SymlinkPointingOutside_Null()
    {
        var flash = new Bootflash(Path.Combine(_dir, "bf"), 1 << 20);
        var outside = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(flash.RootPath, "link"), outside);
        flash.Resolve("bootflash:link/file").ShouldBeNull();
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
