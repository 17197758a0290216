using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PoapLab.Switch.Script;

/// <summary>
/// Finds the host Python interpreter a scenario asks for: Debian's <c>python3</c> by
/// default, or a named version from PATH or pyenv's versions directory. Always the real
/// binary, never a pyenv shim (a shim is a shell script that costs ~50 ms per start).
/// </summary>
public static partial class PythonLocator
{
    private const string DebianPython = "/usr/bin/python3";

    // Python 2.7 and 3.x alike; -E/-s keep the caller's environment and user site out of the answer.
    private const string QueryScript =
        "import os, sys\n" +
        "sys.stdout.write('%d.%d.%d\\n' % tuple(sys.version_info[:3]))\n" +
        "sys.stdout.write(sys.prefix + '\\n')\n" +
        "sys.stdout.write(os.path.realpath(sys.executable) + '\\n')\n" +
        "try:\n" +
        "    import yaml\n" +
        "    sys.stdout.write('yaml\\n')\n" +
        "except Exception:\n" +
        "    sys.stdout.write('no-yaml\\n')\n";

    // Tasks, not values: callers await the one query in flight instead of blocking a pool
    // thread each on it (a fleet of switches resolving at once starved the pool).
    private static readonly ConcurrentDictionary<string, Lazy<Task<InterpreterFacts>>> Facts = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Lazy<Task<PythonInterpreter>>> Resolved = new(StringComparer.Ordinal);

    /// <summary>
    /// Resolves <paramref name="requested"/>: null or <c>default</c> (Debian's python3 with
    /// PyYAML), <c>3</c>, <c>3.12</c>, <c>3.12.1</c>, <c>python3.12</c>, <c>2.7</c>,
    /// <c>python2.7</c>, or an absolute path. Each interpreter is asked once per process.
    /// </summary>
    /// <exception cref="PythonNotFoundException">No matching interpreter, or the default one lacks PyYAML.</exception>
    public static PythonInterpreter Resolve(string? requested) =>
        ResolveAsync(requested, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// As <see cref="Resolve"/>, without blocking a thread while the interpreter is asked: every
    /// caller of one request awaits the same query, which runs once per process.
    /// </summary>
    /// <exception cref="PythonNotFoundException">No matching interpreter, or the default one lacks PyYAML.</exception>
    public static async Task<PythonInterpreter> ResolveAsync(string? requested, CancellationToken cancellationToken)
    {
        var key = string.IsNullOrWhiteSpace(requested) ? "default" : requested.Trim();
        var lazy = Resolved.GetOrAdd(key, k => new Lazy<Task<PythonInterpreter>>(() => ResolveUncachedAsync(k)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PythonNotFoundException or ArgumentException)
        {
            // A missing interpreter may be installed while the process runs (tests, long sessions).
            Resolved.TryRemove(new KeyValuePair<string, Lazy<Task<PythonInterpreter>>>(key, lazy));
            throw;
        }
    }

    private static async Task<PythonInterpreter> ResolveUncachedAsync(string key)
    {
        // Off the caller's stack: the lazy's factory returns at once, the query runs on its own.
        await Task.Yield();
        if (key == "default")
        {
            return await ResolveDefaultAsync().ConfigureAwait(false);
        }
        if (Path.IsPathRooted(key))
        {
            if (!File.Exists(key))
            {
                throw new PythonNotFoundException(key, $"the Python interpreter {key} named by the scenario does not exist; name another with python: in the scenario");
            }
            return Describe(await QueryAsync(key).ConfigureAwait(false));
        }

        var match = VersionRequest().Match(key);
        if (!match.Success)
        {
            throw new ArgumentException($"'{key}' does not name a Python interpreter: use default, 3, 3.12, python3.12, 2.7, python2.7 or an absolute path", nameof(key));
        }
        var wanted = match.Groups["version"].Value;
        foreach (var candidate in Candidates(wanted))
        {
            var facts = await QueryAsync(candidate).ConfigureAwait(false);
            if (facts.Version == wanted || facts.Version.StartsWith(wanted + ".", StringComparison.Ordinal))
            {
                return Describe(facts);
            }
        }
        throw new PythonNotFoundException(key, NotFoundMessage(wanted));
    }

    private static async Task<PythonInterpreter> ResolveDefaultAsync()
    {
        if (!File.Exists(DebianPython))
        {
            throw new PythonNotFoundException("default",
                $"python3 ({DebianPython}, Debian's interpreter with PyYAML) is needed to run POAP scripts but was not found; install it with apt-get install python3 python3-yaml, or name another with python: in the scenario");
        }
        var facts = await QueryAsync(DebianPython).ConfigureAwait(false);
        if (!facts.HasYaml)
        {
            throw new PythonNotFoundException("default",
                $"{facts.Executable} cannot import yaml, which POAP scripts import; install it with apt-get install python3-yaml");
        }
        return Describe(facts);
    }

    private static PythonInterpreter Describe(InterpreterFacts facts) =>
        new(facts.Executable, facts.Version, facts.Prefix) { HasYaml = facts.HasYaml };

    private static string NotFoundMessage(string wanted)
    {
        var name = "python" + wanted;
        var why = wanted == "2" || wanted.StartsWith("2.7", StringComparison.Ordinal) ? " (NX-OS 7.x images run Python 2.7)" : "";
        var install = wanted switch
        {
            "2" or "2.7" => "2.7.18",
            _ => wanted,
        };
        return $"{name} is needed by this scenario{why} but was not found on PATH or under {VersionsDirectory()}; " +
               $"install it with pyenv install {install} or name another with python: in the scenario";
    }

    /// <summary>Real binaries that may be <c>python{wanted}</c>: PATH first (minus shims), then pyenv versions, newest first.</summary>
    private static IEnumerable<string> Candidates(string wanted)
    {
        var names = new List<string> { "python" + wanted };
        if (wanted.Count(c => c == '.') == 2)
        {
            // 3.12.1: the binary is python3.12; the version check picks the patch level.
            names[0] = "python" + wanted[..wanted.LastIndexOf('.')];
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var path = Path.Combine(dir, name);
                if (IsRealBinary(path) && seen.Add(RealPath(path)))
                {
                    yield return path;
                }
            }
        }

        var versions = VersionsDirectory();
        if (!Directory.Exists(versions))
        {
            yield break;
        }
        var installs = Directory.GetDirectories(versions)
            .Select(d => (Dir: d, Version: ParseVersion(Path.GetFileName(d))))
            .Where(v => v.Version is not null)
            .OrderByDescending(v => v.Version)
            .Select(v => v.Dir);
        foreach (var install in installs)
        {
            foreach (var name in names)
            {
                var path = Path.Combine(install, "bin", name);
                if (IsRealBinary(path) && seen.Add(RealPath(path)))
                {
                    yield return path;
                }
            }
        }
    }

    private static string VersionsDirectory()
    {
        var root = Environment.GetEnvironmentVariable("PYENV_ROOT");
        return Path.Combine(string.IsNullOrEmpty(root) ? "/root/.pyenv" : root, "versions");
    }

    private static Version? ParseVersion(string name) =>
        Version.TryParse(name, out var version) ? version : null;

    /// <summary>An ELF executable, not a script (pyenv shims are bash scripts).</summary>
    private static bool IsRealBinary(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }
        try
        {
            Span<byte> magic = stackalloc byte[4];
            using var stream = File.OpenRead(path);
            return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4
                && magic[0] == 0x7F && magic[1] == (byte)'E' && magic[2] == (byte)'L' && magic[3] == (byte)'F';
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string RealPath(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
    }

    private static async Task<InterpreterFacts> QueryAsync(string executable)
    {
        var lazy = Facts.GetOrAdd(RealPath(executable), exe => new Lazy<Task<InterpreterFacts>>(() => QueryUncachedAsync(exe)));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch (PythonNotFoundException)
        {
            Facts.TryRemove(new KeyValuePair<string, Lazy<Task<InterpreterFacts>>>(RealPath(executable), lazy));
            throw;
        }
    }

    private static async Task<InterpreterFacts> QueryUncachedAsync(string executable)
    {
        await Task.Yield();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-E", "-s", "-c", QueryScript })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)
            ?? throw new PythonNotFoundException(executable, $"{executable} could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new PythonNotFoundException(executable, $"{executable} did not answer within 30 s when asked for its version");
            }
        }
        var lines = (await stdout.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (process.ExitCode != 0 || lines.Length < 4)
        {
            throw new PythonNotFoundException(executable,
                $"{executable} is not a usable Python interpreter (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {(await stderr.ConfigureAwait(false)).Trim()}");
        }
        return new InterpreterFacts(lines[2], lines[0], lines[1], lines[3] == "yaml");
    }

    [GeneratedRegex(@"^(?:python)?(?<version>[23](?:\.\d{1,2}(?:\.\d{1,3})?)?)$")]
    private static partial Regex VersionRequest();

    private sealed record InterpreterFacts(string Executable, string Version, string Prefix, bool HasYaml);
}

/// <summary>The Python interpreter a scenario needs is not on this machine; the message says how to get it.</summary>
public sealed class PythonNotFoundException : Exception
{
    public PythonNotFoundException(string requested, string message)
        : base(message)
    {
        Requested = requested;
    }

    /// <summary>What the scenario asked for (<c>default</c>, <c>2.7</c>, a path, ...).</summary>
    public string Requested { get; }
}
