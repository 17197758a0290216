using System.Diagnostics;

namespace PoapLab.Switch.Script;

public sealed partial class ScriptHost
{
    /// <summary>Where the sandbox sees the bridge directory (Python modules and socket).</summary>
    public const string BridgeMountPoint = "/.poaplab";

    private const string SocketName = "bridge.sock";
    private const string ResourcePrefix = "PoapLab.Switch.Script.Python.";

    /// <summary>NX-OS 6.x's module: written into the sandbox only for legacy runs, whose absence makes <c>import cisco</c> fail.</summary>
    private const string LegacyCiscoModuleName = "cisco.py";

    /// <summary>PoapLab's minimal PyYAML stand-in: written only for interpreters without PyYAML.</summary>
    private const string StandInYamlModuleName = "yaml.py";

    /// <summary>Under the bridge directory: modules sitecustomize puts at the end of sys.path, after site-packages.</summary>
    internal const string FallbackDirectoryName = "fallback";

    // sun_path holds 108 bytes; keep well inside it.
    private const int MaxSocketPathLength = 100;

    // On Debian these are symlinks into /usr (merged /usr); elsewhere they may be directories.
    private static readonly string[] RootLinks = ["bin", "lib", "lib32", "lib64", "libx32", "sbin"];

    private static ProcessStartInfo BuildStartInfo(string bwrap, string bridgeDirectory, ScriptRunRequest request)
    {
        var fs = request.Filesystem;
        var start = new ProcessStartInfo(bwrap)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var args = start.ArgumentList;
        void Add(params string[] values)
        {
            foreach (var value in values)
            {
                args.Add(value);
            }
        }

        // An empty root: only what is bound below exists for the script.
        Add("--tmpfs", "/");
        Add("--ro-bind", "/usr", "/usr");
        foreach (var name in RootLinks)
        {
            var host = "/" + name;
            var info = new FileInfo(host);
            if (info.LinkTarget is { } target)
            {
                Add("--symlink", target, host);
            }
            else if (Directory.Exists(host))
            {
                Add("--ro-bind", host, host);
            }
        }
        Add("--ro-bind", "/etc", "/etc");
        foreach (var prefix in InterpreterDirectories(request.Interpreter))
        {
            Add("--ro-bind", prefix, prefix);
        }

        // The switch's filesystem, where the script expects it.
        Add("--bind", fs.BootflashPath, "/bootflash");
        Add("--bind", fs.TmpPath, "/tmp");
        Add("--bind", fs.NxosTmpPath, "/nxos/tmp");
        Add("--bind", fs.UsbPath, "/usbslot1");
        Add("--ro-bind", fs.IsanPath, "/isan");
        Add("--ro-bind", bridgeDirectory, BridgeMountPoint);

        Add("--dev", "/dev");
        Add("--proc", "/proc");
        // After the mount points exist: the root tmpfs turns read-only, so /x or /root/x
        // fail as on the switch instead of landing in a throwaway tmpfs.
        Add("--remount-ro", "/");

        // No network: the script reaches servers only through `copy` on the switch's CLI.
        Add("--unshare-all", "--hostname", "switch", "--die-with-parent", "--new-session");

        Add("--clearenv");
        Add("--setenv", "PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
        Add("--setenv", "HOME", "/bootflash");
        Add("--setenv", "PYTHONPATH", BridgeMountPoint + "/lib");
        Add("--setenv", "PYTHONDONTWRITEBYTECODE", "1");
        Add("--setenv", "LANG", "C.UTF-8");
        Add("--setenv", "TZ", "UTC");
        foreach (var (name, value) in request.Environment.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Add("--setenv", name, value);
        }
        Add("--chdir", "/bootflash");
        Add("--", request.Interpreter.Executable, request.ScriptPath);
        return start;
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

    /// <summary>A private (0700) directory with a path short enough for a Unix socket.</summary>
    private static string CreateBridgeDirectory()
    {
        var candidate = Directory.CreateTempSubdirectory("poaplab-script-").FullName;
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
        var path = Path.Combine("/tmp", "poaplab-script-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
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

    private static void WritePythonModules(string bridgeDirectory, bool legacyCisco, bool standInYaml)
    {
        var lib = Path.Combine(bridgeDirectory, "lib");
        Directory.CreateDirectory(lib);
        if (PythonModuleNames.Count == 0)
        {
            throw new InvalidOperationException("the script bridge's Python modules are missing from the assembly");
        }
        foreach (var name in PythonModuleNames)
        {
            if (name == StandInYamlModuleName)
            {
                if (standInYaml)
                {
                    // After site-packages, so a PyYAML the interpreter does have always wins.
                    var fallback = Path.Combine(bridgeDirectory, FallbackDirectoryName);
                    Directory.CreateDirectory(fallback);
                    WritePythonModule(name, fallback);
                }
                continue;
            }
            if (name == LegacyCiscoModuleName && !legacyCisco)
            {
                continue;
            }
            WritePythonModule(name, lib);
        }
    }

    private static void WritePythonModule(string name, string directory)
    {
        using var source = typeof(ScriptHost).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"resource {ResourcePrefix + name} vanished");
        using var target = File.Create(Path.Combine(directory, name));
        source.CopyTo(target);
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
