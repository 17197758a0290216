using System.Net;
using System.Net.Sockets;
using PoapLab.Switch.Script;
using PoapLab.Switch.Tests.Script;

namespace PoapLab.Switch.Tests.Script.Sandbox;

/// <summary>
/// The sandbox proof: a script that tries every way out of /bootflash and /tmp fails
/// each time, and nothing on the host outside the switch's directory changes.
/// </summary>
public sealed class ScriptSandboxTests
{
    public static TheoryData<string> Interpreters => new() { "default", "2.7" };

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task RunAsync_ScriptTriesToWriteOutside_EveryAttemptFailsAndHostUnchanged(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip(python);
        var outside = Path.Combine(sw.Parent, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "precious.txt"), "host data\n");
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var repository = SandboxedSwitch.RepositoryRoot();
        string[] hostTargets =
        [
            "/etc/poaplab-escape",
            "/root/poaplab-escape",
            Path.Combine(home, "poaplab-escape"),
            "/poaplab-escape",
            "/usr/poaplab-escape",
            "/bootflash/../poaplab-escape",
            "/tmp/../poaplab-escape",
            "/isan/poaplab-escape",
            "/isan/etc/poaplab-escape",
            "/.poaplab/poaplab-escape",
            "/.poaplab/lib/cli.py",
            Path.Combine(outside, "poaplab-escape"),
            Path.Combine(sw.Parent, "poaplab-escape"),
            Path.Combine(repository, "poaplab-escape"),
        ];
        string[] lines =
        [
            .. hostTargets,
            "link " + outside,
            "visible " + outside,
            "visible " + repository,
            // The interpreter's prefix may lie under HOME (pyenv) and is then bound at its own path; nothing else of HOME may show.
            .. Directory.EnumerateFileSystemEntries(home).Where(e => Path.GetFileName(e) != ".pyenv").Take(3).Select(e => "visible " + e),
            "control /bootflash/inside.txt",
            "control /tmp/inside.txt",
            "control /nxos/tmp/inside.txt",
            "control /usbslot1/inside.txt",
        ];
        File.WriteAllLines(Path.Combine(sw.Filesystem.BootflashPath, "escape-targets.txt"), lines);
        var before = Snapshot(sw.Parent, sw.Filesystem.Root);
        var hostFilesBefore = HostEscapes(home);

        var result = await sw.RunAsync(SandboxedSwitch.Fixture("sandbox_escape.py"), interpreter, cancellationToken: TestContext.Current.CancellationToken);

        result.End.ShouldBe(ScriptEnd.Exited, result.Stderr);
        result.ExitCode.ShouldBe(0, result.Stderr);
        var report = File.ReadAllLines(Path.Combine(sw.Filesystem.BootflashPath, "escape-report.txt"))
            .Select(l => l.Split('\t'))
            .ToList();
        var controls = report.Where(r => r[0] == "control").ToList();
        var attempts = report.Where(r => r[0] != "control").ToList();

        // Each target was tried six ways (open, mkdir, symlink, os.system, shell redirection, subprocess).
        attempts.Count(r => r[0] != "visible").ShouldBe((hostTargets.Length + 1) * 6);
        attempts.Count(r => r[0] == "visible").ShouldBe(lines.Count(l => l.StartsWith("visible ", StringComparison.Ordinal)) + 1);
        attempts.Where(r => r[2] != "DENIED").Select(r => $"{r[0]} {r[1]}").ShouldBeEmpty();

        // The controls prove the script ran with write access where the switch has it.
        controls.Count.ShouldBe(4);
        File.ReadAllText(Path.Combine(sw.Filesystem.BootflashPath, "inside.txt")).ShouldBe("inside\n");
        File.ReadAllText(Path.Combine(sw.Filesystem.TmpPath, "inside.txt")).ShouldBe("inside\n");
        File.ReadAllText(Path.Combine(sw.Filesystem.NxosTmpPath, "inside.txt")).ShouldBe("inside\n");
        File.ReadAllText(Path.Combine(sw.Filesystem.UsbPath, "inside.txt")).ShouldBe("inside\n");

        Snapshot(sw.Parent, sw.Filesystem.Root).ShouldBe(before);
        HostEscapes(home).ShouldBe(hostFilesBefore);
        Directory.EnumerateFileSystemEntries(sw.Filesystem.IsanPath, "*", SearchOption.AllDirectories)
            .ShouldBe([Path.Combine(sw.Filesystem.IsanPath, "etc"), Path.Combine(sw.Filesystem.IsanPath, "bin")], ignoreOrder: true);
        Directory.EnumerateFileSystemEntries(repository, "poaplab-escape*").ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task RunAsync_ScriptPlantsUserSiteCode_NextRunOnTheSwitchDoesNotRunIt(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip(python);
        // HOME is /bootflash: Python's user site directory would be on the flash, where a script
        // can leave a .pth or usercustomize to run in every later interpreter of that switch.
        var planted = await sw.RunAsync(
            "import os, sys\n" +
            "site = '/bootflash/.local/lib/python%d.%d/site-packages' % sys.version_info[:2]\n" +
            "os.makedirs(site)\n" +
            "open(os.path.join(site, 'usercustomize.py'), 'w').write(\"open('/bootflash/ran-usercustomize', 'w').close()\\n\")\n" +
            "open(os.path.join(site, 'planted.pth'), 'w').write(\"import os; open('/bootflash/ran-pth', 'w').close()\\n\")\n" +
            "sys.stdout.write('%d' % sys.flags.no_user_site)\n",
            interpreter, cancellationToken: TestContext.Current.CancellationToken);
        planted.ExitCode.ShouldBe(0, planted.Stderr);
        planted.Stdout.ShouldBe("1");

        var next = await sw.RunAsync("import sys\nsys.stdout.write(repr([p for p in sys.path if '.local' in p]))\n", interpreter, cancellationToken: TestContext.Current.CancellationToken);

        next.ExitCode.ShouldBe(0, next.Stderr);
        next.Stdout.ShouldBe("[]");
        File.Exists(Path.Combine(sw.Filesystem.BootflashPath, "ran-usercustomize")).ShouldBeFalse();
        File.Exists(Path.Combine(sw.Filesystem.BootflashPath, "ran-pth")).ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_WritableTrees_ScriptWritesEachAndTheHostSeesIt()
    {
        using var sw = SandboxedSwitch.Create();
        File.WriteAllText(Path.Combine(sw.Filesystem.BootflashPath, "from-host.cfg"), "hostname leaf\n");

        var result = await sw.RunAsync(
            "import os\n" +
            "for d in ('/bootflash', '/tmp', '/nxos/tmp', '/usbslot1'):\n" +
            "    open(os.path.join(d, 'written.txt'), 'w').write(d + '\\n')\n" +
            "open('/bootflash/from-host.cfg', 'a').write('feature scp-server\\n')\n",
            cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr + result.Stdout);
        File.ReadAllText(Path.Combine(sw.Filesystem.BootflashPath, "written.txt")).ShouldBe("/bootflash\n");
        File.ReadAllText(Path.Combine(sw.Filesystem.TmpPath, "written.txt")).ShouldBe("/tmp\n");
        File.ReadAllText(Path.Combine(sw.Filesystem.NxosTmpPath, "written.txt")).ShouldBe("/nxos/tmp\n");
        File.ReadAllText(Path.Combine(sw.Filesystem.UsbPath, "written.txt")).ShouldBe("/usbslot1\n");
        // A file PoapLab put on the flash is the script's to change, as on the switch.
        File.ReadAllText(Path.Combine(sw.Filesystem.BootflashPath, "from-host.cfg")).ShouldBe("hostname leaf\nfeature scp-server\n");
    }

    [Fact]
    public async Task RunAsync_Network_HostLoopbackUnreachable()
    {
        using var sw = SandboxedSwitch.Create();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var script =
            "import socket\n" +
            "s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n" +
            "s.settimeout(2)\n" +
            "try:\n" +
            $"    s.connect(('127.0.0.1', {port}))\n" +
            "    print('connected')\n" +
            "except (OSError, IOError) as e:\n" +
            "    print('failed')\n";

        var result = await sw.RunAsync(script, cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        // The sandbox has a network namespace of its own: the host's loopback, where the lab's servers listen, is not there.
        result.Stdout.ShouldBe("failed\n");
        listener.Pending().ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_HostFilesystem_OnlyTheSwitchTreeAndSystemDirectoriesVisible()
    {
        using var sw = SandboxedSwitch.Create();

        var result = await sw.RunAsync("import os\nprint(' '.join(sorted(os.listdir('/'))))\nprint(os.path.exists('/root'), os.path.exists('/work'), os.path.exists('/home'))\n",
            cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        var lines = result.Stdout.Split('\n');
        lines[0].Split(' ').ShouldBe([".poaplab", "bin", "bootflash", "dev", "etc", "isan", "lib", "lib64", "nxos", "proc", "sbin", "tmp", "usbslot1", "usr"], ignoreOrder: true);
        lines[1].ShouldBe("False False False");
    }

    /// <summary>Every entry under <paramref name="root"/> except the switch's tree: path, kind, size, mtime, link target.</summary>
    private static List<string> Snapshot(string root, string excluded) =>
        [.. new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(i => i.FullName != excluded && !i.FullName.StartsWith(excluded + "/", StringComparison.Ordinal))
            .Select(i => $"{i.FullName}|{i.Attributes}|{(i as FileInfo)?.Length}|{i.LastWriteTimeUtc.Ticks}|{i.LinkTarget}")
            .Order(StringComparer.Ordinal)];

    private static List<string> HostEscapes(string home) =>
        [.. new[] { "/etc", "/root", home, "/", "/usr" }
            .Distinct()
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "poaplab-escape*"))
            .Order(StringComparer.Ordinal)];
}
