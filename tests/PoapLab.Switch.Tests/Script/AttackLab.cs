using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PoapLab.Core.Time;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Sandbox;

namespace PoapLab.Switch.Tests.Script;

/// <summary>
/// One hostile script against the sandbox, judged from the host. Before the run it plants
/// canaries the script is told about (a secret file outside the switch, another switch's
/// flash, a Unix socket and an abstract socket, a TCP/UDP listener, a marker name to create
/// in host directories, a canary variable in PoapLab's own environment) and records the host
/// state an escape would change. <see cref="Verify"/> then checks, whatever the script
/// printed: no canary text in anything the script could write to, host state unchanged,
/// no listener reached, no process of the script alive, nothing in the switch's tree that
/// would outlive the run as a privilege (device nodes, set-user-ID files, hard links).
/// </summary>
internal sealed class AttackLab : IDisposable
{
    public const string CanaryVariable = "POAPLAB_ATTACK_CANARY";

    private static readonly string[] HostDirectories = ["/", "/etc", "/root", "/tmp", "/var/tmp", "/usr", "/dev/shm", "/bootflash"];

    private readonly List<string> _needles = [];
    private readonly Dictionary<string, string> _hostHashes = new(StringComparer.Ordinal);
    private readonly Socket _unixListener;
    private readonly Socket _abstractListener;
    private readonly TcpListener _tcpListener;
    private readonly UdpClient _udpListener;
    private readonly string _canaryDirectory;
    private readonly List<string> _canarySnapshot;
    private readonly string _corePattern = File.ReadAllText("/proc/sys/kernel/core_pattern");

    private AttackLab(SandboxedSwitch sw, ScriptSandbox sandbox)
    {
        Switch = sw;
        Sandbox = sandbox;
        // The script's host uid, pinned so that only its processes are judged (other tests run sandboxes at once).
        Identity = SandboxIdentity.Next();
        Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        Marker = "poaplab-attack-" + Token;

        // A secret outside the switch, readable by everyone: only the sandbox's walls keep it
        // from the script, not file modes (the other canaries below alike).
        const UnixFileMode open = (UnixFileMode)0x1ED; // 0755
        _canaryDirectory = Path.Combine("/var/tmp", "poaplab-canary-" + Token);
        Directory.CreateDirectory(_canaryDirectory, open);
        File.SetUnixFileMode(_canaryDirectory, open);
        SecretPath = Path.Combine(_canaryDirectory, "secret.txt");
        var secret = "host-secret-" + Token;
        File.WriteAllText(SecretPath, secret + "\n");
        File.SetUnixFileMode(SecretPath, (UnixFileMode)0x1A4); // 0644
        _needles.Add(secret);
        File.SetUnixFileMode(sw.Parent, open);

        // Another switch of the same run, beside this one.
        var otherFlash = Path.Combine(sw.Parent, "other-switch", "bootflash");
        Directory.CreateDirectory(otherFlash, open);
        OtherPath = Path.Combine(otherFlash, "secret.cfg");
        var other = "other-switch-secret-" + Token;
        File.WriteAllText(OtherPath, other + "\n");
        _needles.Add(other);

        Environment.SetEnvironmentVariable(CanaryVariable, "environment-secret-" + Token);
        _needles.Add("environment-secret-" + Token);
        foreach (var line in ReadLinesOrEmpty("/etc/shadow").Where(l => l.Length > 12))
        {
            _needles.Add(line);
        }
        foreach (var key in Directory.Exists("/etc/ssh") ? Directory.GetFiles("/etc/ssh", "ssh_host_*_key") : [])
        {
            // The base64 body of a private key: any line of it in the output is a leak.
            _needles.AddRange(File.ReadAllLines(key).Where(l => l.Length > 40 && !l.StartsWith("-----", StringComparison.Ordinal)));
        }

        SocketPath = Path.Combine(_canaryDirectory, "bridge.sock");
        _unixListener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _unixListener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _unixListener.Listen(4);
        File.SetUnixFileMode(SocketPath, (UnixFileMode)0x1FF);
        AbstractName = "poaplab-canary-" + Token;
        _abstractListener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _abstractListener.Bind(new UnixDomainSocketEndPoint("\0" + AbstractName));
        _abstractListener.Listen(4);
        _tcpListener = new TcpListener(IPAddress.Loopback, 0);
        _tcpListener.Start();
        Port = ((IPEndPoint)_tcpListener.LocalEndpoint).Port;
        _udpListener = new UdpClient(new IPEndPoint(IPAddress.Loopback, Port));

        foreach (var file in new[] { "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/hostname", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe" })
        {
            _hostHashes[file] = Hash(file);
        }
        _hostHashes["/proc/keys"] = KeysWith(Marker).ToString(CultureInfo.InvariantCulture);
        _canarySnapshot = Snapshot(_canaryDirectory);
    }

    public SandboxedSwitch Switch { get; }

    /// <summary>Who the script runs as on the host, in every run of this lab.</summary>
    public SandboxIdentity Identity { get; }

    /// <summary>Who builds the sandbox in this lab's runs.</summary>
    public ScriptSandbox Sandbox { get; }

    /// <summary>A script host that runs as <see cref="Identity"/>, in this lab's sandbox.</summary>
    public ScriptHost NewHost() => new() { Identity = () => Identity, Sandbox = Sandbox };

    public string Token { get; }

    /// <summary>The name an attack tries to create in host directories.</summary>
    public string Marker { get; }

    public string SecretPath { get; }

    public string OtherPath { get; }

    public string SocketPath { get; }

    public string AbstractName { get; }

    public int Port { get; }

    /// <summary>The most processes of the script seen alive at once, sampled from the host during the run.</summary>
    public int PeakProcesses { get; private set; }

    /// <summary>The largest resident set of one process of the script seen during the run.</summary>
    public long PeakResidentBytes { get; private set; }

    /// <summary>The most open files one process of the script held, sampled during the run.</summary>
    public int PeakOpenFiles { get; private set; }

    public static AttackLab Create(ScriptSandbox sandbox = ScriptSandbox.Auto) => new(SandboxedSwitch.Create(), sandbox);

    /// <summary>The attack script's text (our own, under fixtures/scripts/attacks).</summary>
    public static string Script(string name, [CallerFilePath] string callerFile = "") =>
        File.ReadAllText(Path.Combine(SandboxedSwitch.RepositoryRoot(callerFile), "fixtures", "scripts", "attacks", name));

    /// <summary>Runs the attack with the targets written where it looks, sampling the script's processes from the host.</summary>
    public async Task<ScriptRunResult> RunAsync(string attack, TimeSpan? timeout = null, ScriptHost? host = null, long? capacityBytes = null, CancellationToken cancellationToken = default)
    {
        var flash = Switch.Filesystem.BootflashPath;
        File.WriteAllText(Path.Combine(flash, "_attack.py"), Script("_attack.py"));
        File.WriteAllText(Path.Combine(flash, "attack.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["secret"] = SecretPath,
            ["other"] = OtherPath,
            ["other_relative"] = Path.GetRelativePath(Switch.Parent, OtherPath),
            ["socket"] = SocketPath,
            ["abstract"] = AbstractName,
            ["port"] = Port,
            ["marker"] = Marker,
        }));
        Switch.WriteScript(Script(attack));
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sampler = SampleAsync(sampling.Token);
        try
        {
            var request = Switch.Request(timeout: timeout ?? TimeSpan.FromSeconds(60));
            if (capacityBytes is { } capacity)
            {
                request = request with { BootflashCapacityBytes = capacity };
            }
            return await (host ?? NewHost()).RunAsync(request, Switch.Bridge, cancellationToken);
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
        }
    }

    /// <summary>Every check an escape would fail, judged on the host.</summary>
    /// <param name="result">The run.</param>
    /// <param name="bystanders">Processes of the script's uid the test started itself outside the sandbox.</param>
    public void Verify(ScriptRunResult result, params int[] bystanders)
    {
        // Nothing secret reached anything the script can write to.
        var outputs = new StringBuilder().Append(result.Stdout).Append(result.Stderr);
        foreach (var (command, _) in Switch.Bridge.CliCalls)
        {
            outputs.Append(command).Append('\n');
        }
        foreach (var (_, message) in Switch.Bridge.SyslogCalls)
        {
            outputs.Append(message).Append('\n');
        }
        foreach (var file in RegularFiles(Switch.Filesystem.Root))
        {
            outputs.Append(ReadBounded(file)).Append('\n');
        }
        var text = outputs.ToString();
        foreach (var needle in _needles)
        {
            text.Contains(needle, StringComparison.Ordinal).ShouldBeFalse($"a secret of the host leaked into the script's reach: {needle[..Math.Min(needle.Length, 24)]}...");
        }

        // Host state an escape would change.
        foreach (var (file, hash) in _hostHashes)
        {
            var now = file == "/proc/keys" ? KeysWith(Marker).ToString(CultureInfo.InvariantCulture) : Hash(file);
            now.ShouldBe(hash, $"{file} changed on the host");
        }
        foreach (var dir in HostDirectories.Where(Directory.Exists))
        {
            Directory.EnumerateFileSystemEntries(dir, "*" + Marker + "*").ShouldBeEmpty($"the script created something in the host's {dir}");
        }
        Snapshot(_canaryDirectory).ShouldBe(_canarySnapshot, "the canary directory outside the switch changed");
        File.ReadAllText(OtherPath).ShouldBe("other-switch-secret-" + Token + "\n");

        // No listener of the host was reached.
        _unixListener.Poll(0, SelectMode.SelectRead).ShouldBeFalse("a Unix socket of the host took a connection from the sandbox");
        _abstractListener.Poll(0, SelectMode.SelectRead).ShouldBeFalse("an abstract socket of the host took a connection from the sandbox");
        _tcpListener.Pending().ShouldBeFalse("the host's loopback took a TCP connection from the sandbox");
        _udpListener.Available.ShouldBe(0, "the host's loopback got a datagram from the sandbox");

        // Nothing of the script outlives the run, and nothing it left is a privilege.
        ScriptProcesses().Except(bystanders).ShouldBeEmpty("a process of the script is still alive after the run");
        foreach (var entry in Entries(Switch.Filesystem.Root))
        {
            var kind = File.GetUnixFileMode(entry.FullName);
            (entry.LinkTarget is null && (kind & (UnixFileMode.SetUser | UnixFileMode.SetGroup)) != 0).ShouldBeFalse($"{entry.FullName} kept a set-user/group-ID bit");
            var stat = Stat(entry.FullName);
            stat.Kind.ShouldNotBe("block", $"{entry.FullName} is a device node");
            stat.Kind.ShouldNotBe("char", $"{entry.FullName} is a device node");
            if (stat.Kind == "file")
            {
                stat.Links.ShouldBe(1, $"{entry.FullName} is a hard link to a file outside the switch");
            }
            if (Environment.IsPrivilegedProcess)
            {
                stat.Uid.ShouldBe(0u, $"{entry.FullName} still belongs to the script's uid after the run");
            }
        }
        result.Error?.ShouldNotContain("internal error");
    }

    public void Dispose()
    {
        // A failed test must not leave the host as the attack made it.
        if (File.ReadAllText("/proc/sys/kernel/core_pattern") != _corePattern && Environment.IsPrivilegedProcess)
        {
            File.WriteAllText("/proc/sys/kernel/core_pattern", _corePattern);
        }
        foreach (var dir in HostDirectories.Where(Directory.Exists))
        {
            foreach (var planted in Directory.EnumerateFileSystemEntries(dir, "*" + Marker + "*"))
            {
                File.Delete(planted);
            }
        }
        Environment.SetEnvironmentVariable(CanaryVariable, null);
        _unixListener.Dispose();
        _abstractListener.Dispose();
        _tcpListener.Stop();
        _tcpListener.Dispose();
        _udpListener.Dispose();
        Directory.Delete(_canaryDirectory, recursive: true);
        Switch.Dispose();
    }

    /// <summary>Processes of the host that run as the script's uid — the script's, wherever they hide (root runs only: otherwise none can be told apart).</summary>
    public List<int> ScriptProcesses() =>
        Identity.HostUid is { } mine ? [.. Processes().Where(p => p.Uid == mine).Select(p => p.Pid)] : [];

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        // Bounded: one sample every 20 ms until the run ends.
        while (!cancellationToken.IsCancellationRequested)
        {
            var pids = ScriptProcesses();
            PeakProcesses = Math.Max(PeakProcesses, pids.Count);
            foreach (var pid in pids)
            {
                PeakResidentBytes = Math.Max(PeakResidentBytes, ResidentBytes(pid));
                try
                {
                    PeakOpenFiles = Math.Max(PeakOpenFiles, Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Count());
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
            try
            {
                await Task.Delay(20, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static IEnumerable<(int Pid, long Uid)> Processes()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            string[] status;
            try
            {
                status = File.ReadAllLines(Path.Combine(dir, "status"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            var uidLine = status.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            if (uidLine is not null && long.TryParse(uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            {
                yield return (pid, uid);
            }
        }
    }

    private static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static int KeysWith(string marker) =>
        ReadLinesOrEmpty("/proc/keys").Count(l => l.Contains(marker, StringComparison.Ordinal));

    private static IEnumerable<string> ReadLinesOrEmpty(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string Hash(string path)
    {
        try
        {
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "absent";
        }
    }

    private static List<FileSystemInfo> Entries(string root) =>
        [.. new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true })];

    private static IEnumerable<string> RegularFiles(string root) =>
        Entries(root).Where(e => e is FileInfo && e.LinkTarget is null && Stat(e.FullName).Kind == "file").Select(e => e.FullName);

    private static string ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var buffer = new byte[Math.Min(stream.Length, 4 * 1024 * 1024)];
        stream.ReadExactly(buffer);
        return Encoding.UTF8.GetString(buffer);
    }

    private static List<string> Snapshot(string root) =>
        [.. Entries(root).Select(e => $"{e.FullName}|{(e as FileInfo)?.Length}|{e.LastWriteTimeUtc.Ticks}|{e.UnixFileMode}").Order(StringComparer.Ordinal)];

    /// <summary>lstat(2) through stat(1): kind, link count, owner.</summary>
    private static (string Kind, int Links, uint Uid) Stat(string path)
    {
        var info = new System.Diagnostics.ProcessStartInfo("stat", ["--format=%F|%h|%u", "--", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        var fields = output.Split('|');
        var kind = fields[0] switch
        {
            "regular file" or "regular empty file" => "file",
            "block special file" => "block",
            "character special file" => "char",
            var other => other,
        };
        return (kind, int.Parse(fields[1], CultureInfo.InvariantCulture), uint.Parse(fields[2], CultureInfo.InvariantCulture));
    }
}
