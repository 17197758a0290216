using System.Diagnostics;
using PoapLab.Switch.Flash;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Flash;

/// <summary>
/// A tree beside host canaries: <c>host/canary-dir/canary.txt</c> and <c>host/secret.txt</c>
/// stand for the host's files; every attack test checks them from the host side afterwards.
/// </summary>
internal sealed class HostedTree : IDisposable
{
    public const string CanaryText = "canary: the host's own bytes\n";

    public HostedTree()
    {
        Dir = Directory.CreateTempSubdirectory("poaplab-tree-").FullName;
        Root = Directory.CreateDirectory(Path.Combine(Dir, "tree")).FullName;
        CanaryDir = Directory.CreateDirectory(Path.Combine(Dir, "host", "canary-dir")).FullName;
        CanaryFile = Path.Combine(CanaryDir, "canary.txt");
        Secret = Path.Combine(Dir, "host", "secret.txt");
        File.WriteAllText(CanaryFile, CanaryText);
        File.WriteAllText(Secret, CanaryText);
        Tree = new FileTree(Root);
    }

    public string Dir { get; }

    public string Root { get; }

    public string CanaryDir { get; }

    public string CanaryFile { get; }

    public string Secret { get; }

    public FileTree Tree { get; }

    public string HostPath(string relative) => Path.Combine(Root, relative);

    public void Symlink(string relative, string target) => File.CreateSymbolicLink(HostPath(relative), target);

    /// <summary>The canaries are as they were: same bytes, nothing added, nothing removed, owned by whoever made them.</summary>
    public void CanariesIntact()
    {
        File.ReadAllText(CanaryFile).ShouldBe(CanaryText);
        File.ReadAllText(Secret).ShouldBe(CanaryText);
        Directory.GetFileSystemEntries(CanaryDir).Select(Path.GetFileName).ShouldBe(["canary.txt"]);
        Directory.GetFileSystemEntries(Path.Combine(Dir, "host")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ShouldBe(["canary-dir", "secret.txt"]);
    }

    /// <summary>A hard link at <paramref name="relative"/> to a host path (<c>ln</c>).</summary>
    public void HardLink(string relative, string target) => Run("ln", target, HostPath(relative));

    public void Fifo(string relative) => FifoAt(HostPath(relative));

    /// <summary>A FIFO at a host path (<c>mkfifo</c>).</summary>
    public static void FifoAt(string hostPath) => Run("mkfifo", hostPath);

    /// <summary>A character device node with the numbers of /dev/null (1, 3): needs CAP_MKNOD.</summary>
    public void NullDevice(string relative)
    {
        Requires.That(Environment.UserName == "root", "creating a device node needs root (CAP_MKNOD)");
        Run("mknod", HostPath(relative), "c", "1", "3");
    }

    private static void Run(string tool, params string[] args)
    {
        var path = Requires.Tool(tool, "coreutils");
        using var p = Process.Start(new ProcessStartInfo(path, args) { RedirectStandardError = true })!;
        p.WaitForExit(10_000).ShouldBeTrue();
        p.ExitCode.ShouldBe(0, p.StandardError.ReadToEnd());
    }

    public void Dispose()
    {
        // Directory.Delete unlinks links without following them.
        Directory.Delete(Dir, recursive: true);
    }
}
