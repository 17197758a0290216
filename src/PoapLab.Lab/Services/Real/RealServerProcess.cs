using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using PoapLab.Core.Processes;
using PoapLab.Lab.Transports.Namespace;

namespace PoapLab.Lab.Services.Real;

/// <summary>
/// A Debian daemon (dnsmasq, tftpd-hpa, nginx, Kea, ISC dhcpd) run as a lab server with the
/// user's own configuration file, unmodified, in the lab host's network namespace. It runs
/// in the foreground inside a bubblewrap sandbox: the machine's files read-only, a private
/// writable directory over each place it keeps state (<c>/run</c>, its lease or temp
/// folder, under PoapLab's work folder), a private <c>/tmp</c>, its own PID namespace (so
/// nginx's workers go with their master), and SIGKILL when PoapLab dies
/// (<c>setpriv --pdeathsig</c>, <c>bwrap --die-with-parent</c>). Its stdout, stderr and syslog
/// go to <see cref="LogPath"/>. Start waits (bounded) for its port to be bound; a daemon
/// that exits first or is never ready is killed and reported with its log's last lines.
/// Faults: <see cref="StopAsync"/>, <see cref="KillAsync"/> (SIGKILL, e.g. mid-transfer),
/// <see cref="BlockPortAsync"/>.
/// </summary>
public sealed partial class RealServerProcess : ILabService
{
    private const int SigKill = 9;
    private const int SigTerm = 15;

    /// <summary>How long after its port is bound a daemon's ready line is waited for.</summary>
    private static readonly TimeSpan ReadyLineWait = TimeSpan.FromSeconds(3);

    private readonly RealServerOptions _options;
    private readonly RealServerPlan _plan;
    private readonly LabHost _host;
    private readonly ServerLog _log;
    private readonly Process _sandbox;
    private readonly Task _pumps;
    private readonly List<string[]> _blocks = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _disposed;

    private RealServerProcess(RealServerOptions options, RealServerPlan plan, LabHost host, string directory, ServerLog log, Process sandbox)
    {
        _options = options;
        _plan = plan;
        _host = host;
        Directory = directory;
        _log = log;
        _sandbox = sandbox;
        SandboxPid = sandbox.Id;
        _pumps = Task.WhenAll(log.PumpAsync(sandbox.StandardOutput), log.PumpAsync(sandbox.StandardError));
        Name = NameOf(plan.Service, host.Address);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Services.ServiceKind Kind => _plan.Service;

    /// <inheritdoc />
    public IPAddress Address => _host.Address;

    /// <inheritdoc />
    public string? LogPath => _log.Path;

    /// <summary>Which daemon it is.</summary>
    public RealServerKind Server => _options.Kind;

    /// <summary>How messages name it, e.g. <c>dnsmasq (dhcp:10.0.0.1)</c>.</summary>
    public string DisplayName => $"{System.IO.Path.GetFileName(_plan.Program)} ({Name})";

    /// <summary>Its folder under the work directory: the log, and <c>state/</c> with its private directories (leases, pid files).</summary>
    public string Directory { get; }

    /// <summary>The sandbox's process id (PoapLab's child); killing it ends everything inside.</summary>
    public int SandboxPid { get; }

    /// <summary>Whether it has exited (by itself, a fault or a stop).</summary>
    public bool HasExited => _sandbox.HasExited;

    /// <summary>The daemon's own process id as the machine sees it, or null when it is not running.</summary>
    public int? DaemonPid
    {
        get
        {
            var program = _plan.Program;
            foreach (var pid in Descendants(SandboxPid))
            {
                if (LinkTarget($"/proc/{pid}/exe") == program)
                {
                    return pid;
                }
            }
            return null;
        }
    }

    /// <summary>Adds a line of PoapLab's own to its log (a fault it was given).</summary>
    internal void Note(string line) => _log.Append($"[PoapLab: {line}]");

    /// <summary>
    /// Bytes the daemon's processes have written so far (the sum of <c>wchar</c> in
    /// <c>/proc/PID/io</c> over the sandbox's processes, proc(5)): it grows as the daemon sends a file.
    /// </summary>
    internal long BytesWritten()
    {
        long total = 0;
        foreach (var pid in Descendants(SandboxPid))
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/io"))
                {
                    if (line.StartsWith("wchar:", StringComparison.Ordinal) && long.TryParse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture, out var w))
                    {
                        total += w;
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return total;
    }

    /// <summary>
    /// Kills it once its processes have written <paramref name="afterBytes"/> more than now
    /// (looked at every 2 ms, for at most <paramref name="timeout"/>; then killed anyway).
    /// </summary>
    internal async Task KillAfterBytesAsync(long afterBytes, TimeSpan timeout)
    {
        var start = BytesWritten();
        var clock = Stopwatch.StartNew();
        while (!_sandbox.HasExited && clock.Elapsed < timeout && BytesWritten() - start < afterBytes)
        {
            await Task.Delay(2).ConfigureAwait(false);
        }
        await KillAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The last lines of its log.</summary>
    public string LogTail(int lines = 20) => _log.Tail(lines);

    /// <summary>The private directory that stands for <paramref name="sandboxPath"/> (e.g. <c>/var/lib/misc</c>) on the machine.</summary>
    public string PrivatePath(string sandboxPath) => System.IO.Path.Combine(Directory, "state", StateName(sandboxPath));

    /// <summary>
    /// Starts the server on <paramref name="host"/>. The user's files are checked first
    /// (a missing file, a symbolic link, a FIFO or a device is refused, naming it, with
    /// nothing started); then it is started and given <see cref="RealServerOptions.ReadyTimeout"/>
    /// to bind its port.
    /// </summary>
    /// <exception cref="RealServerException">It could not be started or did not become ready; nothing of it is left running.</exception>
    public static async Task<RealServerProcess> StartAsync(RealServerOptions options, LabHost host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(host);
        var plan = RealServerPlan.For(options, host.Address);
        var display = $"{System.IO.Path.GetFileName(plan.Program)} ({NameOf(plan.Service, host.Address)})";
        if (!File.Exists(plan.Program))
        {
            throw new RealServerException(display, $"{display}: {plan.Program} is not installed (Debian package {plan.Package})", null);
        }
        if (!System.IO.Directory.Exists(options.WorkDirectory))
        {
            throw new RealServerException(display, $"{display}: the work directory {options.WorkDirectory} does not exist", null);
        }
        var directory = Prepare(plan, options.WorkDirectory, host.Address);
        var log = new ServerLog(System.IO.Path.Combine(directory, "server.log"), System.IO.Path.Combine(directory, "syslog.sock"));
        Process sandbox;
        try
        {
            var start = new ProcessStartInfo(LaunchCommand(plan, host.Namespace.Path, directory)[0])
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = "/",
            };
            foreach (var a in LaunchCommand(plan, host.Namespace.Path, directory).Skip(1))
            {
                start.ArgumentList.Add(a);
            }
            start.Environment.Clear();
            start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
            start.Environment["LANG"] = "C.UTF-8";
            sandbox = ChildProcessLauncher.Start(start);
            sandbox.StandardInput.Close();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await log.DisposeAsync().ConfigureAwait(false);
            throw new RealServerException(display, $"{display}: could not be started: {e.Message}", null);
        }
        var server = new RealServerProcess(options, plan, host, directory, log, sandbox);
        try
        {
            await server.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Makes the server's folder and its private state directories (and the files the daemon expects to find there).</summary>
    internal static string Prepare(RealServerPlan plan, string workDirectory, IPAddress address)
    {
        var directory = NewDirectory(workDirectory, $"{System.IO.Path.GetFileName(plan.Program)}-{address}");
        foreach (var dir in plan.PrivateDirectories)
        {
            var state = System.IO.Directory.CreateDirectory(System.IO.Path.Combine(directory, "state", StateName(dir)));
            // Daemons that drop privileges after start (dnsmasq, nginx's workers) read it too.
            File.SetUnixFileMode(state.FullName, (UnixFileMode)0b111_101_101);
        }
        foreach (var nested in plan.Directories)
        {
            var dir = plan.PrivateDirectories.First(d => nested.StartsWith(d + "/", StringComparison.Ordinal));
            var made = System.IO.Directory.CreateDirectory(System.IO.Path.Combine(directory, "state", StateName(dir), nested[(dir.Length + 1)..]));
            File.SetUnixFileMode(made.FullName, (UnixFileMode)0b111_101_101);
        }
        foreach (var file in plan.EmptyFiles)
        {
            var dir = plan.PrivateDirectories.First(d => file.StartsWith(d + "/", StringComparison.Ordinal));
            File.WriteAllBytes(System.IO.Path.Combine(directory, "state", StateName(dir), file[(dir.Length + 1)..]), []);
        }
        return directory;
    }

    /// <summary>
    /// The command line that runs the daemon: setpriv (SIGKILL when PoapLab dies), nsenter
    /// (the host's network namespace), bwrap (read-only machine, private state, own PIDs).
    /// </summary>
    /// <summary>Folders a real server sees empty (its own tmpfs): homes, /tmp, the SSH host keys.</summary>
    internal static readonly string[] MaskedDirectories = ["/tmp", "/root", "/home", "/etc/ssh"];

    /// <summary>Files a real server sees empty: the password and group hashes.</summary>
    internal static readonly string[] MaskedFiles = ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-"];

    internal static IReadOnlyList<string> LaunchCommand(RealServerPlan plan, string networkNamespace, string directory)
    {
        List<string> c =
        [
            "setpriv", "--pdeathsig", "KILL", "--",
            "nsenter", $"--net={networkNamespace}", "--",
            "bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--clearenv", "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "--setenv", "LANG", "C.UTF-8",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
        ];
        // The daemon runs as root and its configuration is the user's (a scenario's): what it
        // could read and serve must not include the machine's secrets. Homes, /tmp and the SSH
        // host keys are empty folders in the sandbox; the password hashes are empty files.
        foreach (var dir in MaskedDirectories)
        {
            c.AddRange(["--tmpfs", dir]);
        }
        foreach (var file in MaskedFiles.Where(File.Exists))
        {
            c.AddRange(["--ro-bind", "/dev/null", file]);
        }
        foreach (var (name, value) in plan.Environment)
        {
            c.AddRange(["--setenv", name, value]);
        }
        c.AddRange(MountPoints(plan.Served is { } tree && !MaskedDirectories.Any(m => tree.Target == m || tree.Target.StartsWith(m + "/", StringComparison.Ordinal))
            ? [tree.Target, .. plan.PrivateDirectories]
            : plan.PrivateDirectories));
        foreach (var dir in plan.PrivateDirectories)
        {
            c.AddRange(["--bind", System.IO.Path.Combine(directory, "state", StateName(dir)), dir]);
        }
        // A path under a masked folder (a clone under /tmp or /root) lies in the sandbox's own
        // empty one: its parents are made there traversable (0755), or a daemon's unprivileged
        // workers (nginx's) could not reach it.
        var made = new HashSet<string>(StringComparer.Ordinal);
        // The served files last: at serve_at, over whatever the sandbox shows there.
        foreach (var (source, path) in plan.ReadOnlyPaths.Select(p => (p, p)).Concat(plan.Served is { } served ? [served] : []))
        {
            var parents = new List<string>();
            // So are the folders above serve_at that the machine lacks (made on a tmpfs, see MountPoints).
            for (var p = System.IO.Path.GetDirectoryName(path); p is not null and not "/" && (MaskedDirectories.Any(m => p.StartsWith(m + "/", StringComparison.Ordinal)) || !System.IO.Directory.Exists(p)); p = System.IO.Path.GetDirectoryName(p))
            {
                parents.Add(p);
            }
            parents.Reverse();
            foreach (var parent in parents.Where(made.Add))
            {
                c.AddRange(["--perms", "0755", "--dir", parent]);
            }
            c.AddRange(["--ro-bind", source, path]);
        }
        c.AddRange(["--bind", System.IO.Path.Combine(directory, "syslog.sock"), "/dev/log", "--chdir", "/", "--", plan.Program, .. plan.Arguments]);
        return c;
    }

    /// <summary>
    /// A private directory the machine lacks (Kea's <c>/var/lib/kea</c> before Kea ever ran) has
    /// no mount point on the read-only machine: its parent becomes a tmpfs holding read-only
    /// binds of the parent's entries (bubblewrap 0.8 has no overlays), so the directory can be
    /// made there and everything else stays as it is.
    /// </summary>
    private static List<string> MountPoints(IReadOnlyList<string> privateDirectories)
    {
        var args = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in privateDirectories)
        {
            if (System.IO.Directory.Exists(dir))
            {
                continue;
            }
            var missing = dir;
            while (System.IO.Path.GetDirectoryName(missing) is { } parent && parent != "/" && !System.IO.Directory.Exists(parent))
            {
                missing = parent;
            }
            var existing = System.IO.Path.GetDirectoryName(missing);
            if (existing is null or "/" || !done.Add(existing))
            {
                continue;
            }
            args.AddRange(["--tmpfs", existing]);
            foreach (var entry in new DirectoryInfo(existing).EnumerateFileSystemInfos().Take(1000))
            {
                if (entry.LinkTarget is { } target)
                {
                    args.AddRange(["--symlink", target, entry.FullName]);
                }
                else
                {
                    args.AddRange(["--ro-bind", entry.FullName, entry.FullName]);
                }
            }
        }
        return args;
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? portBound = null;
        // Bounded by the timeout; 20 ms between looks at /proc.
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_sandbox.HasExited)
            {
                await _pumps.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw new RealServerException(DisplayName, $"{DisplayName} exited with code {_sandbox.ExitCode} before it was ready (its log: {LogPath})", _log.Tail(20))
                {
                    ExitedBeforeReady = true,
                };
            }
            if (_host.Namespace.IsListening(_plan.ReadyProtocol, _plan.ReadyPort) && DaemonPid is not null)
            {
                portBound ??= clock.Elapsed;
                if (_plan.ReadyLine is not { } line || _log.Contains(line) || clock.Elapsed - portBound > ReadyLineWait)
                {
                    return;
                }
            }
            if (clock.Elapsed > _options.ReadyTimeout)
            {
                KillSandbox();
                await _pumps.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw new RealServerException(DisplayName,
                    $"{DisplayName} did not listen on {_plan.ReadyProtocol.ToString().ToUpperInvariant()} port {_plan.ReadyPort} within {_options.ReadyTimeout.TotalSeconds:0.#} s and was killed (its log: {LogPath})",
                    _log.Tail(20));
            }
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops it as its service manager would: SIGTERM, then SIGKILL after <see cref="RealServerOptions.StopTimeout"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_sandbox.HasExited)
        {
            return;
        }
        if (DaemonPid is { } pid)
        {
            _ = Kill(pid, SigTerm);
        }
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(_options.StopTimeout);
        try
        {
            await _sandbox.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _log.Append($"[PoapLab: {DisplayName} did not stop within {_options.StopTimeout.TotalSeconds:0.#} s of SIGTERM; killed]");
            KillSandbox();
            await _sandbox.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The server dies at once (SIGKILL to the daemon), as a crash mid-transfer.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        if (DaemonPid is { } pid)
        {
            _ = Kill(pid, SigKill);
        }
        KillSandbox();
        await _sandbox.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops every datagram or segment arriving for <paramref name="port"/> on the host's
    /// interface, as a firewall would: a routing rule in the host's namespace,
    /// <c>ip rule add iif eth0 ipproto udp dport 69 blackhole</c> (ip-rule(8)), placed before
    /// the local table's rule. The machine's own rules are untouched.
    /// </summary>
    public async Task BlockPortAsync(ProtocolType protocol, int port, CancellationToken cancellationToken)
    {
        if (protocol is not (ProtocolType.Udp or ProtocolType.Tcp))
        {
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "only UDP and TCP ports can be blocked");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ns = _host.Namespace;
            var rules = (await ns.RunAsync("ip", ["-4", "rule", "show"], cancellationToken).ConfigureAwait(false)).Output;
            if (rules.Split('\n').Any(l => l.StartsWith("0:", StringComparison.Ordinal)))
            {
                // The local table is looked up first (priority 0) and would deliver the packet
                // before any rule could drop it: move it after the blocking rules.
                await ns.RunCheckedAsync("ip", ["-4", "rule", "add", "pref", "100", "lookup", "local"], cancellationToken).ConfigureAwait(false);
                await ns.RunCheckedAsync("ip", ["-4", "rule", "del", "pref", "0"], cancellationToken).ConfigureAwait(false);
            }
            string[] rule = ["pref", "10", "iif", LabHost.Interface, "ipproto", protocol == ProtocolType.Udp ? "udp" : "tcp", "dport", port.ToString(CultureInfo.InvariantCulture), "blackhole"];
            await ns.RunCheckedAsync("ip", ["-4", "rule", "add", .. rule], cancellationToken).ConfigureAwait(false);
            _blocks.Add(rule);
            _log.Append($"[PoapLab: {protocol.ToString().ToUpperInvariant()} port {port} blocked on {LabHost.Interface}]");
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Lifts every block <see cref="BlockPortAsync"/> put.</summary>
    public async Task UnblockPortsAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var rule in _blocks)
            {
                await _host.Namespace.RunAsync("ip", ["-4", "rule", "del", .. rule], cancellationToken).ConfigureAwait(false);
            }
            _blocks.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops it (SIGTERM, then SIGKILL), reaps it, lifts its port blocks and closes its log; twice does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            KillSandbox();
            _sandbox.WaitForExit(TimeSpan.FromSeconds(10));
            await _pumps.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                await UnblockPortsAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or TimeoutException)
            {
                // The host's namespace is gone already: so are its rules.
            }
            await _log.DisposeAsync().ConfigureAwait(false);
            _sandbox.Dispose();
            _gate.Dispose();
        }
    }

    private void KillSandbox()
    {
        try
        {
            _sandbox.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string NameOf(Services.ServiceKind kind, IPAddress address) => $"{kind.ToString().ToLowerInvariant()}:{address}";

    private static string StateName(string sandboxPath) => sandboxPath.Trim('/').Replace('/', '-');

    private static string NewDirectory(string parent, string name)
    {
        for (var i = 1; i <= 1000; i++)
        {
            var path = System.IO.Path.Combine(parent, i == 1 ? name : $"{name}-{i}");
            if (!System.IO.Directory.Exists(path) && !File.Exists(path))
            {
                var created = System.IO.Directory.CreateDirectory(path);
                File.SetUnixFileMode(created.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                return created.FullName;
            }
        }
        throw new IOException($"no free folder name for {name} under {parent}");
    }

    private static IEnumerable<int> Descendants(int root)
    {
        var queue = new Queue<int>([root]);
        var seen = 0;
        while (queue.Count > 0 && seen++ < 1000)
        {
            var pid = queue.Dequeue();
            string[] tasks;
            try
            {
                tasks = System.IO.Directory.GetDirectories($"/proc/{pid}/task");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var task in tasks)
            {
                string children;
                try
                {
                    children = File.ReadAllText(System.IO.Path.Combine(task, "children"));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(child, CultureInfo.InvariantCulture, out var c))
                    {
                        yield return c;
                        queue.Enqueue(c);
                    }
                }
            }
        }
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
