using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Tests.Flash;

/// <summary>What a filesystem copies back: regular files at every depth, links as links, nothing else.</summary>
public sealed class FlashMountTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-flashmount-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void CopyTree_FilesAtEveryDepthFifoAndLink_FilesCopiedFifoDroppedLinkKept()
    {
        var flash = Directory.CreateDirectory(Path.Combine(_dir, "flash")).FullName;
        File.WriteAllText(Path.Combine(flash, "a.cfg"), "a");
        HostedTree.FifoAt(Path.Combine(flash, "pipe"));
        File.WriteAllText(Path.Combine(flash, "b.cfg"), "b");
        var nested = Directory.CreateDirectory(Path.Combine(flash, "scripts", "deeper")).FullName;
        File.WriteAllText(Path.Combine(flash, "scripts", "c.py"), "c");
        File.WriteAllText(Path.Combine(nested, "d.log"), "d");
        HostedTree.FifoAt(Path.Combine(nested, "pipe"));
        File.CreateSymbolicLink(Path.Combine(flash, "link.cfg"), "a.cfg");
        var to = Directory.CreateDirectory(Path.Combine(_dir, "out")).FullName;
        long budget = long.MaxValue;

        FlashMount.CopyTree(flash, to, long.MaxValue, ref budget, new IdenticalFiles());

        File.ReadAllText(Path.Combine(to, "a.cfg")).ShouldBe("a");
        File.ReadAllText(Path.Combine(to, "b.cfg")).ShouldBe("b");
        File.ReadAllText(Path.Combine(to, "scripts", "c.py")).ShouldBe("c");
        File.ReadAllText(Path.Combine(to, "scripts", "deeper", "d.log")).ShouldBe("d");
        File.Exists(Path.Combine(to, "pipe")).ShouldBeFalse();
        File.Exists(Path.Combine(to, "scripts", "deeper", "pipe")).ShouldBeFalse();
        new FileInfo(Path.Combine(to, "link.cfg")).LinkTarget.ShouldBe("a.cfg");
        budget.ShouldBe(long.MaxValue - 4);
    }
}
