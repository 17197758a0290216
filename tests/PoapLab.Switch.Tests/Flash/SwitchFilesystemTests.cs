using PoapLab.Switch.Flash;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Flash;

public sealed class SwitchFilesystemTests : IDisposable
{
    private readonly HostedTree _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void ClearVolatile_LinksInTmpToHostDirectories_OnlyTheLinksGo()
    {
        var fs = new SwitchFilesystem(Path.Combine(_h.Root, "switch"));
        File.CreateSymbolicLink(Path.Combine(fs.TmpPath, "host"), _h.CanaryDir);
        File.CreateSymbolicLink(Path.Combine(fs.TmpPath, "a"), "b/..");
        File.CreateSymbolicLink(Path.Combine(fs.TmpPath, "b"), _h.CanaryDir);
        File.CreateSymbolicLink(Path.Combine(fs.NxosTmpPath, "secret"), _h.Secret);
        Directory.CreateDirectory(Path.Combine(fs.TmpPath, "d", "e"));
        File.WriteAllText(Path.Combine(fs.TmpPath, "d", "e", "f"), "x");

        fs.ClearVolatile();

        Directory.GetFileSystemEntries(fs.TmpPath).ShouldBeEmpty();
        Directory.GetFileSystemEntries(fs.NxosTmpPath).ShouldBeEmpty();
        _h.CanariesIntact();
    }

    [Fact]
    public void Owner_NotSet_NothingChowned()
    {
        var fs = new SwitchFilesystem(Path.Combine(_h.Root, "switch"));
        fs.Owner.ShouldBeNull();
        fs.HandOverWritableTrees();
        using (var f = fs.BootflashFiles.Create("x"))
        {
            f.WriteByte(1);
        }
        FileTreeTests.Owner(Path.Combine(fs.BootflashPath, "x")).Uid.ShouldBe(FileTreeTests.Owner(_h.Secret).Uid);
    }

    [Fact]
    public void HandOverWritableTrees_OwnerSet_WritableEntriesChownedLinkTargetsAndIsanNot()
    {
        Requires.That(Environment.UserName == "root", "chown needs root");
        var fs = new SwitchFilesystem(Path.Combine(_h.Root, "switch"));
        Directory.CreateDirectory(Path.Combine(fs.BootflashPath, "scripts"));
        File.WriteAllText(Path.Combine(fs.BootflashPath, "scripts", "script.sh"), "x");
        File.CreateSymbolicLink(Path.Combine(fs.TmpPath, "secret"), _h.Secret);
        File.WriteAllText(Path.Combine(fs.UsbPath, "u"), "u");
        var secretOwner = FileTreeTests.Owner(_h.Secret);
        var isanOwner = FileTreeTests.Owner(fs.IsanPath);

        fs.Owner = new FileOwner(54321, 54321);
        fs.HandOverWritableTrees();
        using (var f = fs.NxosTmpFiles.Create("made-after"))
        {
            f.WriteByte(1);
        }

        foreach (var p in new[]
        {
            fs.BootflashPath, Path.Combine(fs.BootflashPath, "scripts"), Path.Combine(fs.BootflashPath, "scripts", "script.sh"),
            fs.TmpPath, Path.Combine(fs.TmpPath, "secret"), fs.NxosTmpPath, Path.Combine(fs.NxosTmpPath, "made-after"), Path.Combine(fs.UsbPath, "u"),
        })
        {
            FileTreeTests.Owner(p).ShouldBe((54321u, 54321u), p);
        }
        FileTreeTests.Owner(_h.Secret).ShouldBe(secretOwner);
        FileTreeTests.Owner(fs.IsanPath).ShouldBe(isanOwner);
        _h.CanariesIntact();
    }
}
