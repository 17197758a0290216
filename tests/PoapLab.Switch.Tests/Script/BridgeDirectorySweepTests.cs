using System.Diagnostics;
using PoapLab.Switch.Script;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script;

/// <summary>
/// The bridge directories a PoapLab killed outright left in /tmp (a SIGKILL gives it no chance
/// to remove them) are removed by the next PoapLab — and nothing else is, however the names in a
/// shared /tmp are laid out.
/// </summary>
public sealed class BridgeDirectorySweepTests : IDisposable
{
    private readonly string _parent = Directory.CreateTempSubdirectory("poaplab-sweep-").FullName;

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    /// <summary>The pid of a process that has ended (and been reaped).</summary>
    private static int GonePid()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }

    /// <summary>A bridge directory as a run makes it: synthetic /etc, a module mount point, the socket's name.</summary>
    private string LeftBehind(int pid, string suffix = "aB3dE9")
    {
        var dir = Path.Combine(_parent, $"poaplab-script-{pid}-{suffix}");
        Directory.CreateDirectory(Path.Combine(dir, "etc"));
        Directory.CreateDirectory(Path.Combine(dir, "lib"));
        File.WriteAllText(Path.Combine(dir, "etc", "passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\n");
        return dir;
    }

    [Fact]
    public void Sweep_DirectoryOfAProcessThatIsGone_Removed()
    {
        var stale = LeftBehind(GonePid());

        ScriptHost.SweepStaleBridgeDirectories([_parent]).ShouldBe(1);

        Directory.Exists(stale).ShouldBeFalse();
    }

    [Fact]
    public void Sweep_DirectoryOfARunningProcessOrOfThisOne_Kept()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var theirs = LeftBehind(sleeper.Id);
            var mine = LeftBehind(Environment.ProcessId);

            ScriptHost.SweepStaleBridgeDirectories([_parent]).ShouldBe(0);

            Directory.Exists(theirs).ShouldBeTrue();
            Directory.Exists(mine).ShouldBeTrue();
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit();
        }
    }

    [Fact]
    public void Sweep_LinkNamedLikeALeftDirectory_NeitherRemovedNorFollowed()
    {
        // Attack: a name the sweep looks for, pointing at files that are not PoapLab's.
        var victim = Directory.CreateDirectory(Path.Combine(_parent, "victim")).FullName;
        File.WriteAllText(Path.Combine(victim, "canary"), "keep me");
        var link = Path.Combine(_parent, $"poaplab-script-{GonePid()}-link01");
        Directory.CreateSymbolicLink(link, victim);
        var file = Path.Combine(_parent, $"poaplab-script-{GonePid()}-file01");
        File.WriteAllText(file, "not a directory");

        ScriptHost.SweepStaleBridgeDirectories([_parent]).ShouldBe(0);

        File.ReadAllText(Path.Combine(victim, "canary")).ShouldBe("keep me");
        new FileInfo(link).LinkTarget.ShouldBe(victim);
        File.Exists(file).ShouldBeTrue();
    }

    [Fact]
    public void Sweep_NamesWithoutAPid_Kept()
    {
        var names = new[] { "poaplab-script-", "poaplab-script-abc-def", "poaplab-script--12", "poaplab-script-+12-x", "poaplab-script-0x1F-x", "poaplab-script-99999999999-x" };
        foreach (var name in names)
        {
            Directory.CreateDirectory(Path.Combine(_parent, name));
        }

        ScriptHost.SweepStaleBridgeDirectories([_parent]).ShouldBe(0);

        names.ShouldAllBe(n => Directory.Exists(Path.Combine(_parent, n)));
    }

    [Fact]
    public void Sweep_AsRootDirectoryOfAnotherUser_Kept()
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (to give the directory to another user)");
        // Attack: another user's directory under the name, with a process long gone: not
        // PoapLab's to remove, whatever it is called.
        var theirs = LeftBehind(GonePid());
        PoapLab.Switch.Script.Sandbox.SandboxNative.LChownTree(theirs, 65534, 65534);
        var ours = LeftBehind(GonePid(), "zZ9yY8");
        PoapLab.Switch.Script.Sandbox.SandboxNative.LChownTree(ours, PoapLab.Switch.Script.Sandbox.SandboxIdentity.RangeStart + 7, PoapLab.Switch.Script.Sandbox.SandboxIdentity.RangeStart + 7);

        ScriptHost.SweepStaleBridgeDirectories([_parent]).ShouldBe(1);

        Directory.Exists(theirs).ShouldBeTrue();
        Directory.Exists(ours).ShouldBeFalse();
    }
}
