using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Tests.Flash;

public sealed class NxosFilesystemsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "poaplab-fs-" + Guid.NewGuid().ToString("N"));
    private readonly NxosFilesystems _fs;

    public NxosFilesystemsTests()
    {
        var switchFs = new SwitchFilesystem(_root);
        _fs = new NxosFilesystems(switchFs, new Bootflash(switchFs.BootflashFiles, 1_000_000));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("bootflash:x", "bootflash", "x")]
    [InlineData("bootflash:///poap/x", "bootflash", "poap/x")]
    [InlineData("/bootflash/poap/./x", "bootflash", "poap/x")]
    [InlineData("volatile:poap.conf", "volatile", "poap.conf")]
    [InlineData("usbslot1:img.bin", "usb1", "img.bin")]
    [InlineData("logflash:", "logflash", "")]
    [InlineData("tmp_cfg", "bootflash", "scripts/tmp_cfg")]
    [InlineData("../x", "bootflash", "x")]
    public void Resolve_Forms_FilesystemAndRelative(string text, string fs, string relative)
    {
        var path = _fs.Resolve(text, new NxosPath(_fs.Bootflash, "scripts"));
        path.ShouldNotBeNull();
        path.Filesystem.Name.ShouldBe(fs);
        path.Relative.ShouldBe(relative);
    }

    [Theory]
    [InlineData("bootflash:../etc/passwd")]
    [InlineData("../../x")]
    [InlineData("slot0:x")]
    [InlineData("/etc/passwd")]
    [InlineData("volatile:a\0b")]
    [InlineData("")]
    public void Resolve_OutOfFilesystemOrUnknown_Null(string text) =>
        _fs.Resolve(text, new NxosPath(_fs.Bootflash, "scripts")).ShouldBeNull();
}
