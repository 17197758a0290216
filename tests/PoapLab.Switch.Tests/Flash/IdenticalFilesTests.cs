using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Tests.Flash;

/// <summary>A run's copy-backs keep each content once: identical files are hard links, anything else its own copy, nothing outside the output.</summary>
public sealed class IdenticalFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-identical-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Flash(string name, byte[] content)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir, "flash-" + name)).FullName;
        var path = Path.Combine(dir, "nxos64-cs.10.3.6.M.bin");
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Image(byte fill = 0x5A, int size = 256 * 1024)
    {
        var bytes = new byte[size];
        Array.Fill(bytes, fill);
        return bytes;
    }

    private string Out(string name) => Directory.CreateDirectory(Path.Combine(_dir, "out", name)).FullName;

    [Fact]
    public void CopyOrLink_SameContentTwice_SecondIsALinkToTheFirst()
    {
        var identical = new IdenticalFiles();
        var first = Path.Combine(Out("leaf-1"), "nxos64-cs.10.3.6.M.bin");
        var second = Path.Combine(Out("leaf-2"), "nxos64-cs.10.3.6.M.bin");

        identical.CopyOrLink(Flash("a", Image()), first).ShouldBeFalse();
        identical.CopyOrLink(Flash("b", Image()), second).ShouldBeTrue();

        File.ReadAllBytes(second).ShouldBe(Image());
        Inode(second).ShouldBe(Inode(first));
        identical.Linked.ShouldBe(1);
        identical.BytesSaved.ShouldBe(256 * 1024);
    }

    [Fact]
    public void CopyOrLink_SameNameAndSizeOtherContent_CopiedOnItsOwn()
    {
        // A script makes a file look like the image: same name, same size, one byte different.
        var identical = new IdenticalFiles();
        var real = Path.Combine(Out("leaf-1"), "nxos64-cs.10.3.6.M.bin");
        var fake = Path.Combine(Out("leaf-2"), "nxos64-cs.10.3.6.M.bin");
        var lookalike = Image();
        lookalike[^1] = 0;

        identical.CopyOrLink(Flash("a", Image()), real);
        identical.CopyOrLink(Flash("b", lookalike), fake).ShouldBeFalse();

        Inode(fake).ShouldNotBe(Inode(real));
        File.ReadAllBytes(real).ShouldBe(Image());
        File.ReadAllBytes(fake).ShouldBe(lookalike);
    }

    [Fact]
    public void CopyOrLink_KeptFileSwappedForALink_NeverLinkedThroughIt()
    {
        var identical = new IdenticalFiles();
        var kept = Path.Combine(Out("leaf-1"), "nxos64-cs.10.3.6.M.bin");
        identical.CopyOrLink(Flash("a", Image()), kept);
        // The kept file's place now holds a link to a file outside the output with the same bytes.
        var outside = Path.Combine(_dir, "outside.bin");
        File.WriteAllBytes(outside, Image());
        File.Delete(kept);
        File.CreateSymbolicLink(kept, outside);
        var next = Path.Combine(Out("leaf-2"), "nxos64-cs.10.3.6.M.bin");

        identical.CopyOrLink(Flash("b", Image()), next).ShouldBeFalse();

        Inode(next).ShouldNotBe(Inode(outside));
        Links(outside).ShouldBe(1u);
        File.ReadAllBytes(next).ShouldBe(Image());
    }

    [Fact]
    public void CopyOrLink_KeptFileRewritten_CopiedNotLinked()
    {
        var identical = new IdenticalFiles();
        var kept = Path.Combine(Out("leaf-1"), "nxos64-cs.10.3.6.M.bin");
        identical.CopyOrLink(Flash("a", Image()), kept);
        using (var f = new FileStream(kept, FileMode.Open, FileAccess.Write))
        {
            f.WriteByte(1);
        }
        var next = Path.Combine(Out("leaf-2"), "nxos64-cs.10.3.6.M.bin");

        identical.CopyOrLink(Flash("b", Image()), next).ShouldBeFalse();

        File.ReadAllBytes(next).ShouldBe(Image());
    }

    [Fact]
    public void CopyOrLink_SourceIsALink_RefusedAndNothingRead()
    {
        var identical = new IdenticalFiles();
        var secret = Path.Combine(_dir, "secret");
        File.WriteAllBytes(secret, Image());
        var flash = Directory.CreateDirectory(Path.Combine(_dir, "flash-link")).FullName;
        File.CreateSymbolicLink(Path.Combine(flash, "nxos.bin"), secret);
        var target = Path.Combine(Out("leaf-1"), "nxos.bin");

        Should.Throw<IOException>(() => identical.CopyOrLink(Path.Combine(flash, "nxos.bin"), target));

        File.Exists(target).ShouldBeFalse();
    }

    [Fact]
    public void CopyOrLink_SmallFiles_AlwaysCopied()
    {
        var identical = new IdenticalFiles();
        var a = Path.Combine(Out("leaf-1"), "poap.cfg");
        var b = Path.Combine(Out("leaf-2"), "poap.cfg");

        identical.CopyOrLink(Flash("a", Image(size: 100)), a).ShouldBeFalse();
        identical.CopyOrLink(Flash("b", Image(size: 100)), b).ShouldBeFalse();

        Inode(b).ShouldNotBe(Inode(a));
    }

    [Fact]
    public void CopyOrLink_TargetExists_NeverOverwritten()
    {
        var identical = new IdenticalFiles();
        var kept = Path.Combine(Out("leaf-1"), "nxos.bin");
        identical.CopyOrLink(Flash("a", Image()), kept);
        var taken = Path.Combine(Out("leaf-2"), "nxos.bin");
        File.WriteAllText(taken, "mine");

        Should.Throw<IOException>(() => identical.CopyOrLink(Flash("b", Image()), taken));

        File.ReadAllText(taken).ShouldBe("mine");
    }

    [Fact]
    public void CopyTree_LinksAndHostileNamesOnTheFlash_NothingWrittenOutside()
    {
        var identical = new IdenticalFiles();
        var outsideDir = Directory.CreateDirectory(Path.Combine(_dir, "outside")).FullName;
        var flash = Directory.CreateDirectory(Path.Combine(_dir, "flash-hostile")).FullName;
        File.WriteAllBytes(Path.Combine(flash, "nxos64-cs.10.3.6.M.bin"), Image());
        // A link named like the image, a link to a directory outside, names made to look like paths.
        File.CreateSymbolicLink(Path.Combine(flash, "image.bin"), Path.Combine(outsideDir, "image.bin"));
        Directory.CreateSymbolicLink(Path.Combine(flash, "scripts"), outsideDir);
        File.WriteAllBytes(Path.Combine(flash, "..image.bin"), Image());
        File.WriteAllBytes(Path.Combine(flash, "a\nb.bin"), Image());
        var to = Out("leaf-1");
        long budget = long.MaxValue;

        FlashMount.CopyTree(flash, to, long.MaxValue, ref budget, identical);

        Directory.EnumerateFileSystemEntries(outsideDir).ShouldBeEmpty();
        new FileInfo(Path.Combine(to, "image.bin")).LinkTarget.ShouldBe(Path.Combine(outsideDir, "image.bin"));
        new DirectoryInfo(Path.Combine(to, "scripts")).LinkTarget.ShouldBe(outsideDir);
        Inode(Path.Combine(to, "..image.bin")).ShouldBe(Inode(Path.Combine(to, "nxos64-cs.10.3.6.M.bin")));
        File.ReadAllBytes(Path.Combine(to, "a\nb.bin")).ShouldBe(Image());
    }

    private static ulong Inode(string path) => Stat(path).Ino;

    private static uint Links(string path) => Stat(path).Nlink;

    private static (ulong Ino, uint Nlink) Stat(string path)
    {
        using var dir = PoapLab.Switch.Flash.Native.LinuxFs.OpenRoot(Path.GetDirectoryName(path)!);
        var status = PoapLab.Switch.Flash.Native.LinuxFs.StatEntry(dir, Path.GetFileName(path))!.Value;
        return (status.Inode, status.Links);
    }
}
