using System.Runtime.CompilerServices;
using PoapLab.Core.Time;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Sandbox;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script;

/// <summary>
/// A switch filesystem in a private temp directory (<see cref="Parent"/>/switch), a fake
/// bridge, and the means to run a script in the sandbox. <see cref="Parent"/> also holds
/// things outside the switch that a script must not reach.
/// </summary>
internal sealed class SandboxedSwitch : IDisposable
{
    public const long DefaultCapacity = 4096L * 1_000_000;
    public static readonly DateTimeOffset SwitchEpoch = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private SandboxedSwitch()
    {
        Parent = Directory.CreateTempSubdirectory("poaplab-script-test-").FullName;
        Filesystem = new SwitchFilesystem(Path.Combine(Parent, "switch"));
        Clock = new SimClock(SwitchEpoch);
        Bridge = new FakeScriptBridge(Clock);
    }

    public string Parent { get; }

    public SwitchFilesystem Filesystem { get; }

    public SimClock Clock { get; }

    public FakeScriptBridge Bridge { get; }

    public long FreeBytes { get; set; } = 4096L * 123_456;

    public List<string> BridgeDirectories { get; } = [];

    /// <summary>Requires bubblewrap (skips locally, fails on CI) and Debian's python3 with PyYAML.</summary>
    public static SandboxedSwitch Create()
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");
        return new SandboxedSwitch();
    }

    public ScriptHost NewHost(ScriptSandbox sandbox = ScriptSandbox.Auto) => new() { BridgeDirectoryCreated = BridgeDirectories.Add, Sandbox = sandbox };

    public ScriptRunRequest Request(
        PythonInterpreter? interpreter = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null) =>
        new(
            Filesystem,
            "/bootflash/scripts/script.sh",
            interpreter ?? PythonLocator.Resolve(null),
            environment ?? new Dictionary<string, string> { ["POAP_VRF"] = "management", ["POAP_PID"] = "13112" },
            timeout ?? TimeSpan.FromSeconds(60),
            DefaultCapacity,
            () => FreeBytes);

    public void WriteScript(string text)
    {
        var path = Path.Combine(Filesystem.BootflashPath, "scripts", "script.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public Task<ScriptRunResult> RunAsync(string script, PythonInterpreter? interpreter = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default, ScriptSandbox sandbox = ScriptSandbox.Auto)
    {
        WriteScript(script);
        return NewHost(sandbox).RunAsync(Request(interpreter, timeout), Bridge, cancellationToken);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Parent, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>One of our own test scripts from fixtures/scripts/tests.</summary>
    public static string Fixture(string name, [CallerFilePath] string callerFile = "")
    {
        foreach (var start in new[] { Path.GetDirectoryName(callerFile), AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = start is null ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "fixtures", "scripts", "tests", name);
                if (File.Exists(candidate))
                {
                    return File.ReadAllText(candidate);
                }
            }
        }
        Assert.Fail($"fixtures/scripts/tests/{name} not found above {callerFile} or {AppContext.BaseDirectory}");
        return "";
    }

    /// <summary>The repository root, as far as the test can tell (for proving it is invisible).</summary>
    public static string RepositoryRoot([CallerFilePath] string callerFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(callerFile)!, "..", "..", ".."));

    /// <summary>Host processes whose command line contains <paramref name="marker"/>.</summary>
    public static List<int> ProcessesWith(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
