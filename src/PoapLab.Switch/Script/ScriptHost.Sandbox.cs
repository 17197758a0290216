using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Flash.Native;
using PoapLab.Switch.Script.Sandbox;

namespace PoapLab.Switch.Script;

public sealed partial class ScriptHost
{
    /// <summary>Where the sandbox sees the bridge directory (Python modules and socket).</summary>
    public const string BridgeMountPoint = "/.poaplab";

    private const string SocketName = "bridge.sock";
    private const string ResourcePrefix = "PoapLab.Switch.Script.Python.";

    /// <summary>NX-OS 6.x's module: written into the sandbox only for legacy runs, whose absence makes <c>import cisco</c> fail.</summary>
    internal const string LegacyCiscoModuleName = "cisco.py";

    /// <summary>PoapLab's minimal PyYAML stand-in: written only for interpreters without PyYAML.</summary>
    internal const string StandInYamlModuleName = "yaml.py";

    /// <summary>Under the bridge directory: modules sitecustomize puts at the end of sys.path, after site-packages.</summary>
    internal const string FallbackDirectoryName = "fallback";

    // sun_path holds 108 bytes; keep well inside it.
    private const int MaxSocketPathLength = 100;

    // On Debian these are symlinks into /usr (merged /usr); elsewhere they may be directories.
    private static readonly string[] RootLinks = ["bin", "lib", "lib32", "lib64", "libx32", "sbin"];

    /// <summary>The file (in the bridge directory) holding the seccomp program bwrap reads from fd 9.</summary>
    private const string SeccompFileName = "seccomp.bpf";

    /// <summary>The seccomp program of a run, which bwrap reads from fd 9.</summary>
    private static string SeccompPath(string bridgeDirectory) => Path.Combine(bridgeDirectory, SeccompFileName);

    /// <summary>The synthetic /etc (in the bridge directory).</summary>
    private const string EtcDirectoryName = "etc";

    private const string Prlimit = "/usr/bin/prlimit";
    private const string Setpriv = "/usr/bin/setpriv";

    /// <summary>
    /// What a run's sandbox is made of (<see cref="SandboxPlan"/>): an empty root with the
    /// host's /usr, the interpreter and the switch's trees bound into it, a synthetic /etc, a
    /// minimal /dev, its own /proc, no network, the script's own uid, limits and seccomp program.
    /// </summary>
    private static SandboxPlan BuildPlan(string bridgeDirectory, BridgeModules modules, ScriptRunRequest request, SandboxIdentity identity, SandboxLimits limits)
    {
        var fs = request.Filesystem;
        var steps = new List<SandboxStep>
        {
            // An empty root: only what is bound below exists for the script.
            new SandboxStep.Tmpfs("/"),
            new SandboxStep.Bind("/usr", "/usr", ReadOnly: true),
        };
        foreach (var name in RootLinks)
        {
            var host = "/" + name;
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                steps.Add(new SandboxStep.Symlink(target, host));
            }
            else if (Directory.Exists(host))
            {
                steps.Add(new SandboxStep.Bind(host, host, ReadOnly: true));
            }
        }
        // Not the host's /etc: a switch's few files (no shadow, no keys, no credentials).
        steps.Add(new SandboxStep.Bind(Path.Combine(bridgeDirectory, EtcDirectoryName), "/etc", ReadOnly: true));
        var made = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prefix in InterpreterDirectories(request.Interpreter))
        {
            // bwrap would make the parents with the host's modes (/root is 0700), which the
            // script's uid cannot cross: they are the sandbox's own directories, open to read.
            for (var parent = Path.GetDirectoryName(prefix); parent is { Length: > 1 }; parent = Path.GetDirectoryName(parent))
            {
                made.Add(parent);
            }
        }
        foreach (var parent in made.OrderBy(p => p.Length))
        {
            steps.Add(new SandboxStep.Directory(parent, OpenDirectory));
        }
        foreach (var prefix in InterpreterDirectories(request.Interpreter))
        {
            steps.Add(new SandboxStep.Bind(prefix, prefix, ReadOnly: true));
        }

        // The switch's filesystem, where the script expects it.
        steps.Add(new SandboxStep.Bind(fs.BootflashPath, "/bootflash", ReadOnly: false));
        steps.Add(new SandboxStep.Bind(fs.TmpPath, "/tmp", ReadOnly: false));
        steps.Add(new SandboxStep.Directory("/nxos", OpenDirectory));
        steps.Add(new SandboxStep.Bind(fs.NxosTmpPath, "/nxos/tmp", ReadOnly: false));
        steps.Add(new SandboxStep.Bind(fs.UsbPath, "/usbslot1", ReadOnly: false));
        steps.Add(new SandboxStep.Bind(fs.IsanPath, "/isan", ReadOnly: true));
        steps.Add(new SandboxStep.Bind(bridgeDirectory, BridgeMountPoint, ReadOnly: true));
        // The bridge's modules with their bytecode, shared by every run of this interpreter and
        // read-only to each: a legacy image's run also sees the cisco module.
        steps.Add(new SandboxStep.Bind(request.LegacyCiscoModule ? modules.LegacyLib : modules.Lib, BridgeMountPoint + "/lib", ReadOnly: true));
        if (!request.Interpreter.HasYaml)
        {
            steps.Add(new SandboxStep.Bind(modules.Fallback, BridgeMountPoint + "/" + FallbackDirectoryName, ReadOnly: true));
        }

        // A minimal /dev (null, zero, full, random, urandom, tty, pts) and a fresh /proc of
        // the sandbox's own pid namespace; /dev/shm bounded.
        steps.Add(new SandboxStep.Devices("/dev"));
        steps.Add(new SandboxStep.Tmpfs("/dev/shm", limits.SharedMemoryBytes));
        steps.Add(new SandboxStep.Proc("/proc"));
        // After the mount points exist: the root tmpfs turns read-only, so /x or /root/x
        // fail as on the switch instead of landing in a throwaway tmpfs.
        steps.Add(new SandboxStep.RemountReadOnly("/"));

        var environment = new List<KeyValuePair<string, string>>
        {
            new("PATH", "/usr/bin:/bin:/usr/sbin:/sbin"),
            new("HOME", "/bootflash"),
            new("PYTHONPATH", BridgeMountPoint + "/lib"),
            new("PYTHONDONTWRITEBYTECODE", "1"),
            new("LANG", "C.UTF-8"),
            new("TZ", "UTC"),
        };
        environment.AddRange(request.Environment.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        // -s: no user site directory. HOME is the flash, so Python would otherwise run
        // /bootflash/.local/lib/pythonX.Y/site-packages (its .pth files, usercustomize) in every
        // later run on this switch before that run's script: a script could plant code there for
        // the next one. The switch's interpreter has no such directory; PythonLocator asks with -s too.
        return new SandboxPlan(steps, environment, "/bootflash", "switch", limits, identity,
            [request.Interpreter.Executable, "-s", request.ScriptPath], [BridgeMountPoint + "/lib"], SeccompProgram);
    }

    private const UnixFileMode OpenDirectory = (UnixFileMode)0x1ED; // 0755

    /// <summary>The seccomp program of every run (the machine's architecture does not change).</summary>
    private static byte[] SeccompProgram => s_seccomp.Value;

    private static readonly Lazy<byte[]> s_seccomp = new(SeccompFilter.Build);

    /// <summary>
    /// The bubblewrap command line of a plan (its seccomp program, <see cref="SeccompPath"/>, is
    /// opened on fd 9 by the launcher's guard shell): <c>bwrap</c> (namespaces, mounts, seccomp,
    /// no_new_privs) → <c>prlimit</c> (resource limits) → <c>setpriv</c> (when PoapLab is root: the
    /// run's own uid, no groups, no capabilities) → the interpreter. Each step execs the next, so
    /// the interpreter keeps the pid bwrap forked.
    /// </summary>
    private static ProcessStartInfo BuildStartInfo(string bwrap, SandboxPlan plan)
    {
        var start = new ProcessStartInfo(bwrap)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // bwrap itself (pid 1 of the sandbox, whose /proc/1/environ the script may read when
        // it shares PoapLab's uid) gets nothing of PoapLab's environment.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        var args = start.ArgumentList;
        foreach (var word in plan.BwrapArguments(seccompFd: 9))
        {
            args.Add(word);
        }
        args.Add("--");
        args.Add(Prlimit);
        foreach (var limit in plan.Limits.PrlimitArguments())
        {
            args.Add(limit);
        }
        args.Add("--");
        if (plan.Identity is { HostUid: { } uid, HostGid: { } gid })
        {
            foreach (var word in new[]
            {
                Setpriv, "--reuid=" + uid.ToString(CultureInfo.InvariantCulture), "--regid=" + gid.ToString(CultureInfo.InvariantCulture),
                "--clear-groups", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
            })
            {
                args.Add(word);
            }
        }
        foreach (var word in plan.Command)
        {
            args.Add(word);
        }
        return start;
    }

    /// <summary>The limits of one run: the defaults, with the file size bounded by the flash and CPU by the timeout.</summary>
    private static SandboxLimits LimitsFor(ScriptRunRequest request, SandboxLimits defaults) => defaults with
    {
        FileSizeBytes = Math.Max(1, Math.Min(defaults.FileSizeBytes, request.BootflashCapacityBytes)),
        CpuSeconds = Math.Min(defaults.CpuSeconds, (long)Math.Ceiling(Math.Min(request.Timeout.TotalSeconds, 86_400)) + 5),
    };

    /// <summary>
    /// Writes what the sandbox is made of beside the bridge's Python modules: the synthetic
    /// /etc and the seccomp program; and, when the script gets a uid of its own, gives it
    /// the bridge directory (read-only in the sandbox, but its socket must be connectable)
    /// and the switch's writable trees.
    /// </summary>
    private static void PrepareSandbox(string bridgeDirectory, ScriptRunRequest request, SandboxIdentity identity, bool seccompFile)
    {
        uint insideUid = identity.HostUid ?? SandboxNative.GetEffectiveUserId();
        uint insideGid = identity.HostGid ?? SandboxNative.GetEffectiveGroupId();
        SyntheticEtc.Write(Path.Combine(bridgeDirectory, EtcDirectoryName), insideUid, insideGid);
        if (seccompFile)
        {
            // For bwrap, which reads it from fd 9; the fork server gets it in the plan.
            File.WriteAllBytes(Path.Combine(bridgeDirectory, SeccompFileName), SeccompProgram);
        }
        if (identity is { HostUid: { } uid, HostGid: { } gid })
        {
            SandboxNative.LChownTree(bridgeDirectory, uid, gid);
            // What the switch writes while the script runs (copy, the agent's files) is the script's too.
            request.Filesystem.Owner = new FileOwner(uid, gid);
            request.Filesystem.HandOverWritableTrees();
        }
    }

    /// <summary>
    /// After a run: the switch's trees go back to PoapLab's own user (when the script had a uid
    /// of its own), and in every mode lose the set-user-ID, set-group-ID and sticky bits the
    /// script may have set, so that nothing in the report runs as anyone but its caller. It
    /// starts only once no process is left in the sandbox's pid namespace (its teardown ends a
    /// moment after bwrap exits), so nothing changes the trees while they are walked.
    /// </summary>
    private async Task ReclaimSandboxAsync(ScriptRunRequest request, string? pidNamespace)
    {
        var fs = request.Filesystem;
        fs.Owner = null;
        if (pidNamespace is not null && !await NamespaceEmptyAsync(pidNamespace).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"a process of the script's sandbox ({pidNamespace}) outlived it; its files were not taken back");
        }
        // Through the trees: by descriptor, never following a link the script left. (The bridge
        // directory needs nothing: it is deleted right after.)
        var self = new FileOwner(SandboxNative.GetEffectiveUserId(), SandboxNative.GetEffectiveGroupId());
        foreach (var tree in fs.WritableTrees)
        {
            try
            {
                tree.ChangeOwner(self, stripSpecialBits: true);
            }
            catch (IOException)
            {
                // A tree that cannot be walked to its end (nested past the tree's limit) keeps
                // what was not reached; the others do not wait for it.
            }
        }
    }

    /// <summary>The sandbox's pid namespace (<c>pid:[inode]</c>), read from bwrap's child; null when it never appeared.</summary>
    private async Task<string?> PidNamespaceOfAsync(Process sandbox)
    {
        var start = _realTime.GetTimestamp();
        while (_realTime.GetElapsedTime(start) < FindScriptLimit && !sandbox.HasExited)
        {
            foreach (var init in ChildrenOf(sandbox.Id))
            {
                try
                {
                    if (new FileInfo($"/proc/{init}/ns/pid").LinkTarget is { } link && link != new FileInfo("/proc/self/ns/pid").LinkTarget)
                    {
                        return link;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
            await Task.Delay(TimeSpan.FromMilliseconds(2), _realTime, CancellationToken.None).ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>Waits (bounded, on the real clock) until no process of the host is in <paramref name="pidNamespace"/>.</summary>
    private async Task<bool> NamespaceEmptyAsync(string pidNamespace)
    {
        var start = _realTime.GetTimestamp();
        while (true)
        {
            if (!SandboxNative.AnyProcessIn(pidNamespace))
            {
                return true;
            }
            if (_realTime.GetElapsedTime(start) > DrainLimit)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(10), _realTime, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The interpreter's installation, bound read-only at its own path when outside /usr.</summary>
    private static IEnumerable<string> InterpreterDirectories(PythonInterpreter interpreter)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in new[] { interpreter.Prefix, Path.GetDirectoryName(interpreter.Executable) ?? "/" })
        {
            var full = Path.GetFullPath(dir).TrimEnd('/');
            if (full.Length == 0 || IsUnder(full, "/usr") || IsUnder(full, "/etc") || !Directory.Exists(full))
            {
                continue;
            }
            if (seen.Any(s => IsUnder(full, s)))
            {
                continue;
            }
            seen.Add(full);
            yield return full;
        }
    }

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root + "/", StringComparison.Ordinal);

    private const string BridgePrefix = "poaplab-script-";
    private static int s_swept;

    /// <summary>
    /// A private (0700) directory with a path short enough for a Unix socket, named after this
    /// process (<c>poaplab-script-PID-…</c>) so that one a killed PoapLab left can be told from
    /// one a running PoapLab uses. The first call also sweeps the ones left behind.
    /// </summary>
    private static string CreateBridgeDirectory()
    {
        if (Interlocked.Exchange(ref s_swept, 1) == 0)
        {
            SweepStaleBridgeDirectories([Path.GetTempPath(), "/tmp"]);
        }
        var prefix = BridgePrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-";
        var candidate = Directory.CreateTempSubdirectory(prefix).FullName;
        if (candidate.Length + 1 + SocketName.Length < MaxSocketPathLength)
        {
            return candidate;
        }
        Directory.Delete(candidate);
        // TMPDIR is too deep for sun_path: /tmp always exists on Debian.
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the script sandbox (bubblewrap) needs Linux");
        }
        var path = Path.Combine("/tmp", prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>
    /// Removes the bridge directories (synthetic /etc, module mount points, socket: no mount, no
    /// process) that a PoapLab killed outright (SIGKILL, a power cut) could not remove itself.
    /// Only a directory whose name carries the pid of a process that is gone, that is a directory
    /// itself (never a link, never followed), and that this process's user made — owned by it,
    /// or as root by a sandbox uid (<see cref="SandboxIdentity.RangeStart"/>) — so that a sweep
    /// run as root in a shared /tmp cannot be turned against anyone else's files. Returns how
    /// many it removed.
    /// </summary>
    internal static int SweepStaleBridgeDirectories(IEnumerable<string> parents)
    {
        var me = SandboxNative.GetEffectiveUserId();
        var removed = 0;
        if (!LinuxFs.IsSupported || !Directory.Exists($"/proc/{Environment.ProcessId}"))
        {
            // No /proc to tell a live process from a gone one: every directory is left alone.
            return 0;
        }
        foreach (var parent in parents.Select(p => Path.GetFullPath(p)).Distinct(StringComparer.Ordinal))
        {
            string[] entries;
            SafeFileHandle directory;
            try
            {
                entries = Directory.GetFileSystemEntries(parent, BridgePrefix + "*");
                directory = LinuxFs.OpenRoot(parent);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            using var held = directory;
            foreach (var entry in entries)
            {
                var rest = Path.GetFileName(entry)[BridgePrefix.Length..];
                var dash = rest.IndexOf('-', StringComparison.Ordinal);
                if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    || pid == Environment.ProcessId || Directory.Exists($"/proc/{pid}"))
                {
                    continue;
                }
                FileStatus? status;
                try
                {
                    status = LinuxFs.StatEntry(directory, Path.GetFileName(entry));
                }
                catch (SwitchFileException)
                {
                    continue;
                }
                if (status is not { IsDirectory: true, Uid: var owner })
                {
                    continue;
                }
                var made = owner == me
                    || (me == 0 && owner >= SandboxIdentity.RangeStart && owner - SandboxIdentity.RangeStart < 65536u * SandboxIdentity.PerProcess);
                if (!made)
                {
                    continue;
                }
                try
                {
                    Directory.Delete(entry, recursive: true);
                    removed++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another PoapLab's sweep got there first, or it is not ours to remove after all.
                }
            }
        }
        return removed;
    }

    private static void DeleteBridgeDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>The Python side of the bridge, from the assembly's resources.</summary>
    internal static IReadOnlyList<string> PythonModuleNames { get; } =
        [.. typeof(ScriptHost).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)];

    /// <summary>The empty directories the module cache is bound over (the bridge directory itself is read-only in the sandbox).</summary>
    private static void CreateModuleMountPoints(string bridgeDirectory, bool standInYaml)
    {
        if (PythonModuleNames.Count == 0)
        {
            throw new InvalidOperationException("the script bridge's Python modules are missing from the assembly");
        }
        Directory.CreateDirectory(Path.Combine(bridgeDirectory, "lib"));
        if (standInYaml)
        {
            // sitecustomize puts it after site-packages, so a PyYAML the interpreter does have always wins.
            Directory.CreateDirectory(Path.Combine(bridgeDirectory, FallbackDirectoryName));
        }
    }

    /// <summary>The text of one of the embedded Python modules (tests run them outside the sandbox).</summary>
    internal static string PythonModuleSource(string name)
    {
        using var source = typeof(ScriptHost).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new ArgumentException($"no embedded Python module {name}", nameof(name));
        using var reader = new StreamReader(source);
        return reader.ReadToEnd();
    }
}
