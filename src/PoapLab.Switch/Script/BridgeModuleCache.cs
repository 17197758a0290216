using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using PoapLab.Core.Processes;

namespace PoapLab.Switch.Script;

/// <summary>
/// The Python side of the bridge (sitecustomize, <c>cli</c>, <c>syslog</c>, the legacy
/// <c>cisco</c> module, the yaml stand-in), written once per interpreter and byte-compiled by
/// that interpreter's own <c>py_compile</c> (<c>__pycache__/NAME.cpython-3XX.pyc</c> on Python 3,
/// <c>NAME.pyc</c> beside the source on 2.7), so that no script run compiles them again: each
/// run's sandbox binds the directory read-only.
/// </summary>
/// <remarks>
/// The cache lives in a private (0700) directory of this process under the temp directory,
/// owned by PoapLab's user and deleted when the process exits (one left by a killed process is
/// removed by the next one: see <see cref="CreateProcessRoot"/>). Each run checks the directory it binds against what was built
/// (the same files, no other, each with the SHA-256 it had): a cache changed in between is not
/// used, a fresh one is built beside it. The script only ever sees it through a read-only bind.
/// </remarks>
internal sealed class BridgeModuleCache
{
    /// <summary>The directory name prefix under the temp directory (followed by the pid).</summary>
    internal const string RootPrefix = "poaplab-pycache-";

    /// <summary>How long the interpreter may take to compile the modules before the cache goes without bytecode.</summary>
    private static readonly TimeSpan CompileLimit = TimeSpan.FromSeconds(60);

    // Compiles pairs of (source, name shown in tracebacks) with the interpreter's own py_compile
    // (its default cfile: __pycache__ on 3.x, beside the source on 2.7). Python 2.7 and 3.x.
    private const string CompileProgram =
        "import sys, py_compile\n" +
        "a = sys.argv[1:]\n" +
        "for i in range(0, len(a), 2):\n" +
        "    py_compile.compile(a[i], dfile=a[i + 1], doraise=True)\n";

    private const UnixFileMode DirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const UnixFileMode ModuleFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, Built> _built = new(StringComparer.Ordinal);
    private readonly Lazy<string> _root;
    private int _generation;

    /// <summary>The cache every <see cref="ScriptHost"/> of this process shares.</summary>
    public static BridgeModuleCache Shared { get; } = new(null);

    /// <param name="root">Where to build (tests); null for a private directory of this process, removed at exit.</param>
    internal BridgeModuleCache(string? root)
    {
        _root = new Lazy<string>(() => root ?? CreateProcessRoot(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Counts builds (tests check that a changed cache is rebuilt, an intact one is not).</summary>
    internal int Builds => Volatile.Read(ref _generation);

    /// <summary>The directories to bind for <paramref name="interpreter"/>, built at first use and checked on every use.</summary>
    public async Task<BridgeModules> GetAsync(PythonInterpreter interpreter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(interpreter);
        var key = KeyOf(interpreter);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_built.TryGetValue(key, out var built) && Intact(built))
            {
                return built.Modules;
            }
            built = await BuildAsync(interpreter, cancellationToken).ConfigureAwait(false);
            _built[key] = built;
            return built.Modules;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>An interpreter replaced in place (a new build of the same version) gets its own cache.</summary>
    private static string KeyOf(PythonInterpreter interpreter)
    {
        var info = new FileInfo(interpreter.Executable);
        var target = info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info : info;
        var stamp = target.Exists ? string.Create(CultureInfo.InvariantCulture, $"{target.FullName}|{target.Length}|{target.LastWriteTimeUtc.Ticks}") : "missing";
        return $"{interpreter.Executable}|{interpreter.Version}|{stamp}";
    }

    private async Task<Built> BuildAsync(PythonInterpreter interpreter, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Increment(ref _generation);
        var directory = Path.Combine(_root.Value, string.Create(CultureInfo.InvariantCulture, $"python{interpreter.Major}-{generation}"));
        var modules = new BridgeModules(Path.Combine(directory, "lib"), Path.Combine(directory, "lib-legacy"), Path.Combine(directory, ScriptHost.FallbackDirectoryName));
        var compile = new List<string>();
        void Write(string target, string mountPoint, string name)
        {
            Directory.CreateDirectory(target, DirectoryMode);
            var path = Path.Combine(target, name);
            File.WriteAllText(path, ScriptHost.PythonModuleSource(name));
            compile.Add(path);
            compile.Add(mountPoint + "/" + name);
        }

        Directory.CreateDirectory(directory, DirectoryMode);
        foreach (var name in ScriptHost.PythonModuleNames)
        {
            if (name == ScriptHost.StandInYamlModuleName)
            {
                Write(modules.Fallback, ScriptHost.BridgeMountPoint + "/" + ScriptHost.FallbackDirectoryName, name);
                continue;
            }
            Write(modules.LegacyLib, ScriptHost.BridgeMountPoint + "/lib", name);
            if (name != ScriptHost.LegacyCiscoModuleName)
            {
                Write(modules.Lib, ScriptHost.BridgeMountPoint + "/lib", name);
            }
        }
        // Without bytecode (an interpreter that cannot start, a compile that fails) the runs
        // still work: each compiles the sources in memory, as before there was a cache.
        await CompileAsync(interpreter, compile, cancellationToken).ConfigureAwait(false);
        Seal(directory);
        return new Built(modules, directory, Manifest(directory));
    }

    private static async Task CompileAsync(PythonInterpreter interpreter, List<string> pairs, CancellationToken cancellationToken)
    {
        // -E: nothing of the environment, -S: no site (no .pth file of the host runs here).
        var start = new ProcessStartInfo(interpreter.Executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        foreach (var a in (string[])["-E", "-S", "-c", CompileProgram, .. pairs])
        {
            start.ArgumentList.Add(a);
        }
        Process process;
        try
        {
            process = ChildProcessLauncher.Start(start);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return;
        }
        using (process)
        {
            process.StandardInput.Close();
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(cancellationToken), process.StandardError.ReadToEndAsync(cancellationToken));
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(CompileLimit);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                await drain.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Directories 0755 and files 0644, whatever umask the compile ran under.</summary>
    private static void Seal(string directory)
    {
        File.SetUnixFileMode(directory, DirectoryMode);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", Recursive))
        {
            if (entry.LinkTarget is not null)
            {
                throw new IOException($"the Python module cache {directory} holds a link: {entry.FullName}");
            }
            File.SetUnixFileMode(entry.FullName, entry is DirectoryInfo ? DirectoryMode : ModuleFileMode);
        }
    }

    private static readonly EnumerationOptions Recursive = new() { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };

    /// <summary>Every entry under <paramref name="directory"/>: a directory as "d", a file as its SHA-256, a link as "l".</summary>
    private static Dictionary<string, string> Manifest(string directory)
    {
        var manifest = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", Recursive))
        {
            var relative = Path.GetRelativePath(directory, entry.FullName);
            if (entry.LinkTarget is not null)
            {
                manifest[relative] = "l";
            }
            else if (entry is DirectoryInfo)
            {
                manifest[relative] = "d";
            }
            else
            {
                using var stream = new FileStream(entry.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
                manifest[relative] = Convert.ToHexString(SHA256.HashData(stream));
            }
        }
        return manifest;
    }

    private static bool Intact(Built built)
    {
        try
        {
            var now = Manifest(built.Directory);
            return now.Count == built.Manifest.Count && now.All(kv => built.Manifest.TryGetValue(kv.Key, out var v) && v == kv.Value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// A private directory of this process, removed at exit. Its owner holds a lock on a file in it
    /// for as long as it lives (flock(2), which the kernel drops when the process dies, whatever
    /// pid namespace it ran in): one whose lock can be taken belongs to a process gone, killed
    /// before it could clean up, and is removed.
    /// </summary>
    private static string CreateProcessRoot()
    {
        var temp = Path.GetTempPath();
        RemoveAbandoned(temp);
        var root = Path.Combine(temp, string.Create(CultureInfo.InvariantCulture, $"{RootPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        s_lock = new FileStream(Path.Combine(root, LockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            s_lock.Dispose();
            TryDelete(root);
        };
        return root;
    }

    /// <summary>Removes the caches under <paramref name="temp"/> whose process is gone (their lock can be taken).</summary>
    internal static void RemoveAbandoned(string temp)
    {
        foreach (var stale in Directory.EnumerateDirectories(temp, RootPrefix + "*"))
        {
            try
            {
                // .NET takes flock(LOCK_EX | LOCK_NB) for FileShare.None on Unix.
                using (new FileStream(Path.Combine(stale, LockFileName), FileMode.Open, FileAccess.Read, FileShare.None))
                {
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Held by a live process (or not ours to take): left alone.
                continue;
            }
            TryDelete(stale);
        }
    }

    /// <summary>The file whose lock says the cache's process is alive.</summary>
    internal const string LockFileName = "owner.lock";

    /// <summary>Held open (locked) for the life of the process.</summary>
    private static FileStream s_lock = null!;

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private sealed record Built(BridgeModules Modules, string Directory, Dictionary<string, string> Manifest);
}

/// <summary>The host directories a run binds at <c>/.poaplab/lib</c> and <c>/.poaplab/fallback</c>.</summary>
/// <param name="Lib">sitecustomize, the bridge client, <c>cli</c>, <c>syslog</c>.</param>
/// <param name="LegacyLib">The same and NX-OS 6.x's <c>cisco</c> module.</param>
/// <param name="Fallback">The yaml stand-in, for interpreters without PyYAML.</param>
internal sealed record BridgeModules(string Lib, string LegacyLib, string Fallback);
