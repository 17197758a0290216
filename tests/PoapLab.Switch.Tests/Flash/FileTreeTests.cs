using System.Text;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Flash.Native;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Flash;

public sealed class FileTreeTests : IDisposable
{
    /// <summary>Nothing here may wait on a FIFO: every call that could must finish well within this.</summary>
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(10);

    private readonly HostedTree _h = new();

    public void Dispose() => _h.Dispose();

    private FileTree Tree => _h.Tree;

    private static string Read(Stream s)
    {
        using var reader = new StreamReader(s, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static void Write(Stream s, string text)
    {
        using (s)
        {
            s.Write(Encoding.UTF8.GetBytes(text));
        }
    }

    private static SwitchFileError ErrorOf(Action action) => Should.Throw<SwitchFileException>(action).Kind;

    private static async Task<SwitchFileError> ErrorWithinAsync(Action action)
    {
        var task = Task.Run(() => Should.Throw<SwitchFileException>(action).Kind, TestContext.Current.CancellationToken);
        return await task.WaitAsync(NoHang, TestContext.Current.CancellationToken);
    }

    // ---- happy paths ----

    [Fact]
    public void CreateAndOpenRead_RegularFile_RoundTrips()
    {
        Tree.CreateDirectory("scripts");
        Write(Tree.Create("scripts/a.txt"), "hello\n");
        Read(Tree.OpenRead("scripts/a.txt")).ShouldBe("hello\n");
        File.ReadAllText(_h.HostPath("scripts/a.txt")).ShouldBe("hello\n");
    }

    [Fact]
    public void Append_ExistingFile_AddsAtTheEnd()
    {
        Write(Tree.Create("log"), "one\n");
        Write(Tree.Append("log"), "two\n");
        Write(Tree.Append("new"), "x");
        File.ReadAllText(_h.HostPath("log")).ShouldBe("one\ntwo\n");
        File.ReadAllText(_h.HostPath("new")).ShouldBe("x");
    }

    [Fact]
    public void OpenRead_LinkInsideTheTree_Followed()
    {
        Directory.CreateDirectory(_h.HostPath("sub"));
        File.WriteAllText(_h.HostPath("sub/file"), "inside");
        _h.Symlink("inner", "sub/file");
        Read(Tree.OpenRead("inner")).ShouldBe("inside");
        ErrorOf(() => Tree.OpenRead("inner", followLinks: false)).ShouldBe(SwitchFileError.NotRegularFile);
    }

    [Fact]
    public void StatListWalk_TreeWithLinkAndDirectory_EntriesAsLstatSeesThem()
    {
        Tree.CreateDirectory("d");
        Write(Tree.Create("d/f"), "12345");
        _h.Symlink("out", _h.CanaryDir);
        Tree.Stat("d/f")!.Size.ShouldBe(5);
        Tree.Stat("missing").ShouldBeNull();
        Tree.Stat("d/missing/deeper").ShouldBeNull();
        Tree.List("").Select(e => (e.Name, e.Kind)).ShouldBe([("d", FileEntryKind.Directory), ("out", FileEntryKind.Symlink)]);
        Tree.Walk().Select(e => e.Path).ShouldBe(["d", "d/f", "out"]);
    }

    [Fact]
    public void RenameCopySetModified_InsideTheTree_Work()
    {
        Write(Tree.Create("a"), "abc");
        Tree.Rename("a", "b");
        Tree.Copy("b", "c", limit: 100).ShouldBe(3);
        var when = new DateTimeOffset(2021, 4, 8, 10, 0, 0, TimeSpan.Zero);
        Tree.SetModified("c", when);
        File.ReadAllText(_h.HostPath("c")).ShouldBe("abc");
        File.Exists(_h.HostPath("a")).ShouldBeFalse();
        File.GetLastWriteTimeUtc(_h.HostPath("c")).ShouldBe(when.UtcDateTime);
    }

    [Fact]
    public void Copy_PastTheLimit_NoSpaceAndNothingLeft()
    {
        Write(Tree.Create("a"), new string('x', 1000));
        ErrorOf(() => Tree.Copy("a", "b", limit: 999)).ShouldBe(SwitchFileError.NoSpace);
        File.Exists(_h.HostPath("b")).ShouldBeFalse();
    }

    [Fact]
    public void UsedBytes_HardLinkedTwiceAndLinkOut_EachInodeOnceLinksNothing()
    {
        Write(Tree.Create("a"), new string('x', 1000));
        _h.HardLink("b", _h.HostPath("a"));
        _h.Symlink("big", _h.CanaryFile);
        Tree.UsedBytes().ShouldBe(1000);
    }

    [Fact]
    public void DeleteDirectory_Recursive_RemovesEverythingInside()
    {
        Tree.CreateDirectories("d/e/f");
        Write(Tree.Create("d/e/f/x"), "x");
        Tree.DeleteDirectory("d", recursive: true);
        Directory.Exists(_h.HostPath("d")).ShouldBeFalse();
    }

    // ---- attacks: each checked from the host side ----

    [Fact]
    public void EveryOperation_TwoStepSymlinkOut_RefusedAndCanaryUntouched()
    {
        // a -> b/.. looks inside by text; the kernel follows b -> the host's canary dir's parent first.
        _h.Symlink("b", _h.CanaryDir);
        _h.Symlink("a", "b/..");
        const string Through = "a/canary-dir/canary.txt";

        ErrorOf(() => Tree.OpenRead(Through)).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Create(Through)).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Append(Through)).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.DeleteFile(Through)).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.List("a/canary-dir")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.List("b")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Stat(Through)).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.SetModified(Through, DateTimeOffset.UnixEpoch)).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Rename(Through, "stolen")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.CreateDirectory("a/canary-dir/new")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Walk("b")).ShouldBe(SwitchFileError.OutsideTree);
        Write(Tree.Create("x"), "x");
        ErrorOf(() => Tree.Rename("x", "b/planted")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Copy("x", "b/planted", 100)).ShouldBe(SwitchFileError.OutsideTree);

        _h.CanariesIntact();
    }

    [Fact]
    public void WalkClearUsedBytes_LinksToHostDirectory_NotFollowed()
    {
        _h.Symlink("b", _h.CanaryDir);
        _h.Symlink("a", "b/..");
        _h.Symlink("abs", _h.Dir);
        Tree.Walk().Select(e => (e.Path, e.Kind)).Order().ShouldBe([("a", FileEntryKind.Symlink), ("abs", FileEntryKind.Symlink), ("b", FileEntryKind.Symlink)]);
        Tree.UsedBytes().ShouldBe(0);
        Tree.Clear();
        Directory.GetFileSystemEntries(_h.Root).ShouldBeEmpty();
        _h.CanariesIntact();
    }

    [Fact]
    public void FileOperations_AbsoluteSymlinkToHostFile_LinkReplacedNeverFollowed()
    {
        _h.Symlink("link", _h.Secret);
        ErrorOf(() => Tree.OpenRead("link")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Append("link")).ShouldBe(SwitchFileError.NotRegularFile);
        Tree.Stat("link", followLinks: false)!.Kind.ShouldBe(FileEntryKind.Symlink);
        ErrorOf(() => Tree.Stat("link")).ShouldBe(SwitchFileError.OutsideTree);

        Write(Tree.Create("link"), "written inside");
        new FileInfo(_h.HostPath("link")).LinkTarget.ShouldBeNull();
        File.ReadAllText(_h.HostPath("link")).ShouldBe("written inside");
        _h.CanariesIntact();
    }

    [Theory]
    [InlineData("../host/secret.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../host/secret.txt")]
    public void EveryOperation_DotDotOrAbsolute_StaysInside(string path)
    {
        Directory.CreateDirectory(_h.HostPath("sub"));
        // An absolute path is taken relative to the root (nothing there); ".." above the root is the kernel's EXDEV.
        Should.Throw<SwitchFileException>(() => Tree.OpenRead(path)).Kind.ShouldBeOneOf(SwitchFileError.OutsideTree, SwitchFileError.NotFound);
        Should.Throw<SwitchFileException>(() => Tree.DeleteFile(path)).Kind.ShouldBeOneOf(SwitchFileError.OutsideTree, SwitchFileError.NotFound);
        Should.Throw<SwitchFileException>(() => Tree.Create(path.Replace("secret.txt", "new.txt", StringComparison.Ordinal))).Kind
            .ShouldBeOneOf(SwitchFileError.OutsideTree, SwitchFileError.NotFound);
        _h.CanariesIntact();
        File.Exists(Path.Combine(_h.Dir, "host", "new.txt")).ShouldBeFalse();
    }

    [Fact]
    public async Task OpenRead_Fifo_RefusedWithoutBlocking()
    {
        _h.Fifo("script.sh");
        (await ErrorWithinAsync(() => Tree.OpenRead("script.sh"))).ShouldBe(SwitchFileError.NotRegularFile);
        (await ErrorWithinAsync(() => Tree.OpenRead("script.sh", followLinks: false))).ShouldBe(SwitchFileError.NotRegularFile);
        (await ErrorWithinAsync(() => Tree.Append("script.sh"))).ShouldBe(SwitchFileError.NotRegularFile);
        (await ErrorWithinAsync(() => Tree.Copy("script.sh", "copy", 100))).ShouldBe(SwitchFileError.NotRegularFile);
        Tree.Stat("script.sh")!.Kind.ShouldBe(FileEntryKind.Other);
        Tree.UsedBytes().ShouldBe(0);
    }

    [Fact]
    public async Task Create_OverFifo_ReplacesItWithoutBlocking()
    {
        _h.Fifo("x_script.log");
        var task = Task.Run(() => Write(Tree.Create("x_script.log"), "file now"), TestContext.Current.CancellationToken);
        await task.WaitAsync(NoHang, TestContext.Current.CancellationToken);
        File.ReadAllText(_h.HostPath("x_script.log")).ShouldBe("file now");
    }

    [Fact]
    public async Task OpenReadAndCreate_DeviceNode_NeverOpened()
    {
        _h.NullDevice("dev");
        (await ErrorWithinAsync(() => Tree.OpenRead("dev"))).ShouldBe(SwitchFileError.NotRegularFile);
        (await ErrorWithinAsync(() => Tree.Append("dev"))).ShouldBe(SwitchFileError.NotRegularFile);
        Tree.Stat("dev", followLinks: false)!.Kind.ShouldBe(FileEntryKind.Other);
        Write(Tree.Create("dev"), "regular now");
        File.ReadAllText(_h.HostPath("dev")).ShouldBe("regular now");
    }

    [Fact]
    public void CreateAndAppend_HardLinkToHostFile_HostFileUnchanged()
    {
        // The tree and the canary share a filesystem here; a script cannot make such a link across its bind mounts, the host can.
        _h.HardLink("hl", _h.Secret);
        ErrorOf(() => Tree.Append("hl")).ShouldBe(SwitchFileError.PermissionDenied);
        Write(Tree.Create("hl"), "new inode");
        File.ReadAllText(_h.HostPath("hl")).ShouldBe("new inode");
        _h.CanariesIntact();
    }

    [Fact]
    public void Operations_DirectorySwappedForSymlinkBetweenCalls_RefusedAndCanaryUntouched()
    {
        Tree.CreateDirectory("scripts");
        Write(Tree.Create("scripts/a"), "a");
        Tree.List("scripts").Count.ShouldBe(1);

        // The script swaps the directory for a link to the host between two of the harness's calls.
        Directory.Delete(_h.HostPath("scripts"), recursive: true);
        _h.Symlink("scripts", _h.CanaryDir);

        ErrorOf(() => Tree.List("scripts")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.Create("scripts/a")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.DeleteFile("scripts/canary.txt")).ShouldBe(SwitchFileError.OutsideTree);
        ErrorOf(() => Tree.DeleteDirectory("scripts", recursive: true)).ShouldBe(SwitchFileError.NotDirectory);
        Tree.Delete("scripts");
        File.Exists(_h.HostPath("scripts")).ShouldBeFalse();
        _h.CanariesIntact();
    }

    [Fact]
    public void EnsureDirectory_LinkOrFifoInItsPlace_RealDirectoryMade()
    {
        _h.Symlink("scripts", _h.CanaryDir);
        Tree.EnsureDirectory("scripts");
        new DirectoryInfo(_h.HostPath("scripts")).LinkTarget.ShouldBeNull();
        Write(Tree.Create("scripts/script.sh"), "print(1)\n");

        _h.Fifo("other");
        Tree.EnsureDirectory("other");
        Directory.Exists(_h.HostPath("other")).ShouldBeTrue();
        _h.CanariesIntact();
    }

    [Fact]
    public void Owner_Set_NewFilesAndDirectoriesChowned()
    {
        Requires.That(Environment.UserName == "root", "chown needs root");
        Tree.Owner = new FileOwner(12345, 23456);
        Tree.CreateDirectory("d");
        Write(Tree.Create("d/f"), "x");
        Write(Tree.Append("d/g"), "x");
        foreach (var p in new[] { "d", "d/f", "d/g" })
        {
            var (uid, gid) = Owner(_h.HostPath(p));
            uid.ShouldBe(12345u, p);
            gid.ShouldBe(23456u, p);
        }
    }

    [Fact]
    public void ChangeOwner_LinkToHostFile_LinkChownedTargetNot()
    {
        Requires.That(Environment.UserName == "root", "chown needs root");
        Tree.CreateDirectory("d");
        Write(Tree.Create("d/f"), "x");
        _h.Symlink("d/out", _h.Secret);
        var before = Owner(_h.Secret);
        Tree.ChangeOwner(new FileOwner(12345, 12345));
        Owner(_h.Root).ShouldBe((12345u, 12345u));
        Owner(_h.HostPath("d/f")).ShouldBe((12345u, 12345u));
        Owner(_h.HostPath("d/out")).ShouldBe((12345u, 12345u));
        Owner(_h.Secret).ShouldBe(before);
    }

    [Fact]
    public async Task Operations_DirectoryAndLinkSwappedConcurrently_CanaryUntouched()
    {
        // A script racing the harness: "d" flips between a real directory and a link to the host's directory.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var swapper = Task.Run(() =>
        {
            for (var i = 0; i < 20_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    Directory.CreateDirectory(_h.HostPath("real"));
                    File.WriteAllText(_h.HostPath("real/f"), "inside");
                    Directory.Move(_h.HostPath("real"), _h.HostPath("d"));
                    Directory.Delete(_h.HostPath("d"), recursive: true);
                    File.CreateSymbolicLink(_h.HostPath("d"), _h.CanaryDir);
                    File.Delete(_h.HostPath("d"));
                }
                catch (IOException)
                {
                    // The harness removed it first: carry on racing.
                }
            }
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < 2_000 && !swapper.IsCompleted; i++)
        {
            try
            {
                switch (i % 6)
                {
                    case 0: Write(Tree.Create("d/canary.txt"), "overwritten"); break;
                    case 1: Tree.DeleteFile("d/canary.txt"); break;
                    case 2: Tree.Delete("d"); break;
                    case 3: Tree.Clear(); break;
                    case 4: Write(Tree.Append("d/canary.txt"), "appended"); break;
                    default: _ = Tree.Walk(); _ = Tree.UsedBytes(); break;
                }
            }
            catch (SwitchFileException)
            {
            }
            catch (IOException)
            {
                // .NET's own enumeration of /proc/self/fd/N when the directory vanished under it.
            }
        }
        await stop.CancelAsync();
        await swapper.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        _h.CanariesIntact();
    }

    /// <summary>The owner of the entry itself (lstat), read from the host side.</summary>
    internal static (uint Uid, uint Gid) Owner(string path)
    {
        using var dir = LinuxFs.OpenRoot(Path.GetDirectoryName(path)!);
        var status = LinuxFs.StatEntry(dir, Path.GetFileName(path)).ShouldNotBeNull();
        return (status.Uid, status.Gid);
    }
}
