using PoapLab.Switch.Flash;
using PoapLab.Switch.Flash.Native;

namespace PoapLab.Switch.Tests.Flash.Native;

public sealed class LinuxFsTests : IDisposable
{
    private readonly HostedTree _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void OpenBeneath_FileInside_OpensAndFstatSaysRegular()
    {
        File.WriteAllText(_h.HostPath("f"), "12345");
        using var root = LinuxFs.OpenRoot(_h.Root);
        using var handle = LinuxFs.OpenBeneath(root, "f", LinuxFs.OPath);
        var status = LinuxFs.Fstat(handle);
        status.IsRegular.ShouldBeTrue();
        status.Size.ShouldBe(5);
        status.Links.ShouldBe(1u);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("../host/secret.txt")]
    [InlineData("/etc/passwd")]
    public void OpenBeneath_AbsoluteOrAboveTheRoot_Exdev(string path)
    {
        using var root = LinuxFs.OpenRoot(_h.Root);
        var e = Should.Throw<SwitchFileException>(() => LinuxFs.OpenBeneath(root, path, LinuxFs.OPath));
        e.Errno.ShouldBe(LinuxFs.EXdev);
        e.Kind.ShouldBe(SwitchFileError.OutsideTree);
    }

    [Fact]
    public void OpenBeneath_TwoStepSymlink_Exdev()
    {
        _h.Symlink("b", _h.CanaryDir);
        _h.Symlink("a", "b/..");
        using var root = LinuxFs.OpenRoot(_h.Root);
        Should.Throw<SwitchFileException>(() => LinuxFs.OpenBeneath(root, "a/host/secret.txt", LinuxFs.ORdOnly)).Errno.ShouldBe(LinuxFs.EXdev);
        Should.Throw<SwitchFileException>(() => LinuxFs.OpenBeneath(root, "a/canary-dir/canary.txt", LinuxFs.ORdOnly)).Errno.ShouldBe(LinuxFs.EXdev);
    }

    [Fact]
    public void OpenBeneath_MagicLinkInsideTheTree_Refused()
    {
        // A link to a magic link (/proc/self/fd/N): refused, whether by RESOLVE_BENEATH (absolute) or RESOLVE_NO_MAGICLINKS.
        _h.Symlink("fd", "/proc/self/fd/0");
        using var root = LinuxFs.OpenRoot(_h.Root);
        Should.Throw<SwitchFileException>(() => LinuxFs.OpenBeneath(root, "fd", LinuxFs.ORdOnly)).Kind.ShouldBe(SwitchFileError.OutsideTree);
    }

    [Fact]
    public void OpenBeneath_NoFollowOnALink_Eloop()
    {
        _h.Symlink("l", "f");
        File.WriteAllText(_h.HostPath("f"), "x");
        using var root = LinuxFs.OpenRoot(_h.Root);
        Should.Throw<SwitchFileException>(() => LinuxFs.OpenBeneath(root, "l", LinuxFs.ORdOnly | LinuxFs.ONoFollow)).Errno.ShouldBe(LinuxFs.ELoop);
    }

    [Fact]
    public void StatEntry_Symlink_TheLinkItself()
    {
        _h.Symlink("l", _h.Secret);
        using var root = LinuxFs.OpenRoot(_h.Root);
        LinuxFs.StatEntry(root, "l")!.Value.IsSymlink.ShouldBeTrue();
        LinuxFs.StatEntry(root, "missing").ShouldBeNull();
    }

    [Fact]
    public void UnlinkAndRename_Link_ActOnTheLinkNotTheTarget()
    {
        _h.Symlink("l", _h.Secret);
        using var root = LinuxFs.OpenRoot(_h.Root);
        LinuxFs.Rename(root, "l", root, "m");
        LinuxFs.Unlink(root, "m", directory: false);
        Directory.GetFileSystemEntries(_h.Root).ShouldBeEmpty();
        _h.CanariesIntact();
    }

    [Fact]
    public void MkdirAndRemove_InsideTheRoot_Work()
    {
        using var root = LinuxFs.OpenRoot(_h.Root);
        LinuxFs.Mkdir(root, "d", 0b111_101_101);
        Directory.Exists(_h.HostPath("d")).ShouldBeTrue();
        LinuxFs.Unlink(root, "d", directory: true);
        Directory.Exists(_h.HostPath("d")).ShouldBeFalse();
    }

    [Fact]
    public void Reopen_PathHandle_ReadsTheSameInode()
    {
        File.WriteAllText(_h.HostPath("f"), "abc");
        using var root = LinuxFs.OpenRoot(_h.Root);
        using var pathHandle = LinuxFs.OpenBeneath(root, "f", LinuxFs.OPath | LinuxFs.ONoFollow);
        // Replaced after the O_PATH open: the reopen still reads what was checked.
        File.Delete(_h.HostPath("f"));
        File.WriteAllText(_h.HostPath("f"), "other");
        using var handle = LinuxFs.Reopen(pathHandle, LinuxFs.ORdOnly);
        using var stream = new FileStream(handle, FileAccess.Read);
        new StreamReader(stream).ReadToEnd().ShouldBe("abc");
    }

    [Fact]
    public void IsSupported_ThisMachine_True()
    {
        // CI and development machines are Linux x86_64 or arm64 with openat2 (5.6+).
        LinuxFs.IsSupported.ShouldBeTrue();
    }
}
