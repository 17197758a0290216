using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Formats.Tar;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Core.Events;
using PoapLab.Core.Processes;

namespace PoapLab.Servers.Ssh;

/// <summary>
/// A real OpenSSH server for the lab's scp and sftp: Debian's <c>sshd</c> on a loopback
/// address, run inside mount and PID namespaces of its own made by bubblewrap (as root, no user
/// namespace). In there a generated <c>/etc/passwd</c>, <c>/etc/group</c> and <c>/etc/shadow</c>
/// hold the lab account (a uid no host account uses) and sshd's privilege-separation user;
/// they, the <c>sshd_config</c> and the host key made for this run live on a tmpfs of that
/// namespace and reach it through bwrap's stdin, so nothing of them is ever on the host's
/// disk and nothing of the host's accounts, keys or sshd configuration is visible to sshd.
/// The login is jailed in the served directory, bound read-only, where the only thing it can
/// run is <c>internal-sftp -R</c> (OpenSSH 9 <c>scp</c> speaks sftp; legacy <c>scp -O</c> needs
/// a shell and is refused); no forwarding, no tty. bwrap's <c>--die-with-parent</c> (started
/// from <see cref="ChildProcessLauncher"/>, so the signal follows this process, not a thread)
/// and its PID namespace end sshd and every per-connection child when this process dies,
/// <c>kill -9</c> included; on dispose they are killed by process id. Every line sshd logs is an
/// event; logins and failed logins are events of their own.
/// </summary>
public sealed partial class LocalSshServer : IAsyncDisposable
{
    private const int MaxPortAttempts = 3;

    /// <summary>The namespace's tmpfs for the generated files (never on the host).</summary>
    private const string LabDir = "/run/poaplab";

    /// <summary>Where the served directory is bound, read-only, for the chroot.</summary>
    private const string ChrootDir = "/srv/poaplab";

    // Fixed text: every value it uses comes as a positional parameter, nothing is spliced in.
    // tar unpacks the generated files from stdin onto the tmpfs, ssh-keygen makes this run's
    // host key there, and sshd replaces the shell.
    private const string Launch =
        "set -eu; umask 022; tar -x --numeric-owner -f - -C \"$1\"; " +
        "\"$3\" -q -t ed25519 -N '' -C poaplab-lab -f \"$1/ssh_host_ed25519_key\"; " +
        "exec \"$2\" -D -e -f \"$1/sshd_config\"";

    // A uid range no distribution allocates from (Debian: system < 1000, users < 60000,
    // systemd's dynamic users 61184-65519, container ranges 524288 and up by 65536s).
    private const int UidBase = 1_500_000_000;
    private const int UidSpan = 500_000_000;

    private readonly SshServerOptions _options;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly List<string> _log = [];
    private Process? _process;
    private Task _reader = Task.CompletedTask;
    private IPEndPoint? _local;
    private int _disposed;

    public LocalSshServer(SshServerOptions options, IEventSink events, string eventSource)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        ArgumentNullException.ThrowIfNull(options.Password);
        if (!IsAccountName(options.Account) || options.Account is "root" or "sshd")
        {
            throw new ArgumentException($"'{options.Account}' is not a name the lab account can have (lower-case letters, digits, '_' and '-', not root or sshd).", nameof(options));
        }
        if (options.Password.Length == 0 || options.Password.Any(char.IsControl))
        {
            throw new ArgumentException("The password must be non-empty and hold no control characters.", nameof(options));
        }
        if (options.NetworkNamespace is { } ns && (!ns.StartsWith("/proc/", StringComparison.Ordinal) || ns.Any(char.IsControl) || Path.GetFullPath(ns) != ns))
        {
            throw new ArgumentException($"The network namespace sshd runs in must be a plain /proc path (e.g. /proc/PID/ns/net), not '{ns}'.", nameof(options));
        }
        _options = options;
        _events = events;
        _source = eventSource;
    }

    /// <summary>The endpoint sshd listens on (valid after <see cref="StartAsync"/>).</summary>
    public IPEndPoint LocalEndPoint => _local ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>The account logins must use (the lab maps the scenario's user name to it).</summary>
    public string Account => _options.Account;

    /// <summary>The process id of bwrap (sshd's ancestor outside the namespaces) while it runs.</summary>
    public int? ProcessId { get; private set; }

    /// <summary>Starts sshd on <paramref name="bind"/> (port 0 picks a free one); returns the endpoint it listens on.</summary>
    public async Task<IPEndPoint> StartAsync(IPEndPoint bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_process is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The SSH server runs Debian's sshd: Linux only.");
        }
        CheckHost();
        var root = Path.GetFullPath(_options.RootPath);
        var (labUid, privsepUid) = UnusedIds();
        var hash = Sha512Crypt.Hash(_options.Password);
        _granted = GrantGroupRead(root, labUid);

        for (var attempt = 1; ; attempt++)
        {
            var port = bind.Port != 0 ? bind.Port : FreePort(bind.Address);
            var endPoint = new IPEndPoint(bind.Address, port);
            var bundle = Bundle(Config(endPoint), labUid, privsepUid, hash);
            if (await TryStartAsync(root, bundle, endPoint, cancellationToken).ConfigureAwait(false))
            {
                _local = endPoint;
                return endPoint;
            }
            // Someone took the port between our probe and sshd's bind: another port, a bounded number of times.
            if (bind.Port != 0 || attempt >= MaxPortAttempts)
            {
                string log;
                lock (_log)
                {
                    log = string.Join("\n", _log.TakeLast(20));
                }
                throw new InvalidOperationException($"sshd did not start listening on {endPoint}: {log}");
            }
        }
    }

    /// <summary>Kills bwrap, sshd and its per-connection children by process id.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await StopProcessAsync().ConfigureAwait(false);
        RestoreGroups(_granted);
        _granted = [];
    }

    /// <summary>What <see cref="GrantGroupRead"/> changed, to be put back when sshd has stopped.</summary>
    private List<(string Path, uint Gid, UnixFileMode Mode)> _granted = [];

    /// <summary>Puts the served tree's groups and modes back as they were (sshd no longer reads it).</summary>
    private static void RestoreGroups(List<(string Path, uint Gid, UnixFileMode Mode)> granted)
    {
        foreach (var (path, gid, mode) in granted)
        {
            try
            {
                if (new FileInfo(path).LinkTarget is null && LChown(path, uint.MaxValue, gid) == 0)
                {
                    File.SetUnixFileMode(path, mode);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile: nothing to put back.
            }
        }
    }

    private void CheckHost()
    {
        if (!File.Exists(_options.SshdPath))
        {
            throw new InvalidOperationException($"The OpenSSH server is not installed ({_options.SshdPath} is missing): install the Debian package openssh-server (apt-get install openssh-server, or run .ci/setup).");
        }
        if (!File.Exists(_options.SshKeygenPath))
        {
            throw new InvalidOperationException($"ssh-keygen is not installed ({_options.SshKeygenPath} is missing): install the Debian package openssh-client.");
        }
        if (!File.Exists(_options.BwrapPath))
        {
            throw new InvalidOperationException($"bubblewrap is not installed ({_options.BwrapPath} is missing): install the Debian package bubblewrap.");
        }
        foreach (var tool in new[] { _options.SshdPath, _options.SshKeygenPath })
        {
            if (!Path.GetFullPath(tool).StartsWith("/usr/", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{tool} must be under /usr: the server's namespace sees only /usr of the host.");
            }
        }
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("The SSH server needs root: sshd authenticates the lab account, chroots it and changes to its uid.");
        }
        if (!Directory.Exists(_options.RootPath))
        {
            throw new InvalidOperationException($"The served directory {_options.RootPath} does not exist.");
        }
        if (OperatingSystem.IsLinux() && (File.GetUnixFileMode(_options.RootPath) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new InvalidOperationException($"sshd refuses to chroot into {_options.RootPath}: it is writable by group or others.");
        }
    }

    /// <summary>
    /// Lets the lab account read the served files, and nobody else of the host, while sshd runs
    /// (<see cref="DisposeAsync"/> puts groups and modes back): the tree is
    /// given to the lab account's group (a gid no host group has) with group read (and search,
    /// for directories); owner and the other users' bits stay as they are, so files PoapLab
    /// keeps private (0600 copies of what a scenario serves) stay private on the host. Links
    /// are not followed, nor is anything but files and directories touched.
    /// </summary>
    private static List<(string Path, uint Gid, UnixFileMode Mode)> GrantGroupRead(string root, int gid)
    {
        var granted = new List<(string Path, uint Gid, UnixFileMode Mode)>();
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(root));
        Grant(pending.Peek());
        while (pending.Count > 0)
        {
            foreach (var entry in pending.Pop().EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false }))
            {
                if (entry.LinkTarget is not null)
                {
                    continue;
                }
                Grant(entry);
                if (entry is DirectoryInfo dir)
                {
                    pending.Push(dir);
                }
            }
        }
        return granted;

        void Grant(FileSystemInfo entry)
        {
            granted.Add((entry.FullName, GroupOf(entry.FullName), entry.UnixFileMode));
            if (LChown(entry.FullName, uint.MaxValue, (uint)gid) != 0)
            {
                throw new IOException($"could not let the lab account read {entry.FullName}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
            var read = entry is DirectoryInfo ? UnixFileMode.GroupRead | UnixFileMode.GroupExecute : UnixFileMode.GroupRead;
            entry.UnixFileMode = (entry.UnixFileMode | read) & ~UnixFileMode.GroupWrite;
        }
    }

    /// <summary>The group of <paramref name="path"/> itself (stat(1) would do; a struct stat is arch-specific, statx's is not).</summary>
    private static uint GroupOf(string path)
    {
        var buffer = new byte[256];
        const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100;
        const uint StatxGid = 0x10;
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxGid, buffer) != 0)
        {
            throw new IOException($"statx {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        // struct statx: stx_mask u32, stx_blksize u32, stx_attributes u64, stx_nlink u32, stx_uid u32, stx_gid u32 (offset 24).
        return BitConverter.ToUInt32(buffer, 24);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    /// <summary>Two uids (the lab account's, sshd's privilege separation user's) that no host account or group has.</summary>
    private static (int Lab, int Privsep) UnusedIds()
    {
        var used = new HashSet<long>();
        foreach (var file in new[] { "/etc/passwd", "/etc/group" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    used.Add(id);
                }
            }
        }
        int Pick()
        {
            for (var i = 0; i < 100; i++)
            {
                var id = UidBase + RandomNumberGenerator.GetInt32(UidSpan);
                if (used.Add(id))
                {
                    return id;
                }
            }
            throw new InvalidOperationException("No unused uid found for the lab account.");
        }
        return (Pick(), Pick());
    }

    /// <summary>The files the namespace's tmpfs gets, as a tar stream (ustar, owner root).</summary>
    private byte[] Bundle(string config, int labUid, int privsepUid, string hash)
    {
        var account = _options.Account;
        var days = (TimeProvider.System.GetUtcNow() - DateTimeOffset.UnixEpoch).Days.ToString(CultureInfo.InvariantCulture);
        const UnixFileMode Public = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var files = new (string Name, string Text, UnixFileMode Mode)[]
        {
            ("passwd", $"root:x:0:0:root:/root:/usr/sbin/nologin\nsshd:x:{privsepUid}:{privsepUid}:sshd privilege separation:/run/sshd:/usr/sbin/nologin\n{account}:x:{labUid}:{labUid}:PoapLab lab account:/:/usr/sbin/nologin\n", Public),
            ("group", $"root:x:0:\nsshd:x:{privsepUid}:\n{account}:x:{labUid}:\n", Public),
            // "*" matches no password: root and sshd cannot log in whatever sshd_config says.
            ("shadow", $"root:*:{days}:0:99999:7:::\nsshd:*:{days}:0:99999:7:::\n{account}:{hash}:{days}:0:99999:7:::\n", Private),
            ("nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n", Public),
            ("sshd_config", config, Public),
        };
        using var buffer = new MemoryStream();
        using (var tar = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, text, mode) in files)
            {
                var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
                {
                    Mode = mode,
                    Uid = 0,
                    Gid = 0,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                };
                tar.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    private string Config(IPEndPoint endPoint)
    {
        var c = new StringBuilder();
        c.AppendLine(CultureInfo.InvariantCulture, $"ListenAddress {endPoint.Address}:{endPoint.Port}");
        c.AppendLine(CultureInfo.InvariantCulture, $"HostKey {LabDir}/ssh_host_ed25519_key");
        c.AppendLine("PidFile none");
        // No PAM: the password is checked against the generated shadow entry, nothing else of a login stack runs.
        c.AppendLine("UsePAM no");
        c.AppendLine("PasswordAuthentication yes");
        c.AppendLine("PermitEmptyPasswords no");
        c.AppendLine("KbdInteractiveAuthentication no");
        c.AppendLine("PubkeyAuthentication no");
        c.AppendLine("AuthorizedKeysFile none");
        c.AppendLine("HostbasedAuthentication no");
        c.AppendLine("GSSAPIAuthentication no");
        c.AppendLine("PermitRootLogin no");
        c.AppendLine(CultureInfo.InvariantCulture, $"AllowUsers {_options.Account}");
        c.AppendLine(CultureInfo.InvariantCulture, $"ChrootDirectory {ChrootDir}");
        c.AppendLine("ForceCommand internal-sftp -R -d /");
        c.AppendLine("Subsystem sftp internal-sftp -R");
        c.AppendLine("DisableForwarding yes");
        c.AppendLine("AllowTcpForwarding no");
        c.AppendLine("AllowAgentForwarding no");
        c.AppendLine("AllowStreamLocalForwarding no");
        c.AppendLine("X11Forwarding no");
        c.AppendLine("PermitTunnel no");
        c.AppendLine("PermitTTY no");
        c.AppendLine("PermitUserRC no");
        c.AppendLine("PermitUserEnvironment no");
        c.AppendLine("PrintMotd no");
        c.AppendLine("UseDNS no");
        c.AppendLine("StrictModes yes");
        c.AppendLine("MaxAuthTries 3");
        c.AppendLine("LoginGraceTime 30");
        c.AppendLine("LogLevel VERBOSE");
        return c.ToString();
    }

    /// <summary>bwrap's arguments: the namespaces, what of the host they see, and the fixed launch script.</summary>
    internal IReadOnlyList<string> BwrapArguments(string root)
    {
        var a = new List<string>
        {
            "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--new-session",
            "--clearenv", "--setenv", "PATH", "/usr/sbin:/usr/bin:/sbin:/bin", "--setenv", "LANG", "C",
            // Root in here keeps only what sshd needs: chroot, change to the lab and privsep uids, signal its children.
            "--cap-drop", "ALL", "--cap-add", "CAP_SYS_CHROOT", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL",
            "--ro-bind", "/usr", "/usr",
        };
        if (_options.NetworkNamespace is not null)
        {
            // In a lab host's namespace it listens on the scenario's port, 22 as a rule: a privileged one.
            a.InsertRange(a.IndexOf("CAP_KILL") + 1, ["--cap-add", "CAP_NET_BIND_SERVICE"]);
        }
        // Debian 12 is merged-/usr: /bin, /lib... are links into /usr. Elsewhere they are bound read-only.
        foreach (var top in new[] { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" })
        {
            var info = new DirectoryInfo(top);
            if (info.LinkTarget is { } target)
            {
                a.AddRange(["--symlink", target, top]);
            }
            else if (info.Exists)
            {
                a.AddRange(["--ro-bind", top, top]);
            }
        }
        a.AddRange(["--proc", "/proc", "--dev", "/dev", "--dir", "/etc"]);
        // Of the host's /etc only the loader cache and the DH moduli: no accounts, keys or sshd configuration.
        a.AddRange(["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--ro-bind-try", "/etc/ssh/moduli", "/etc/ssh/moduli"]);
        foreach (var name in new[] { "passwd", "group", "shadow", "nsswitch.conf" })
        {
            a.AddRange(["--symlink", $"{LabDir}/{name}", $"/etc/{name}"]);
        }
        a.AddRange(["--perms", "0700", "--tmpfs", LabDir, "--dir", "/run/sshd", "--dir", "/srv", "--ro-bind", root, ChrootDir]);
        a.AddRange(["/bin/sh", "-c", Launch, "poaplab-sshd", LabDir, _options.SshdPath, _options.SshKeygenPath]);
        return a;
    }

    /// <summary>
    /// The command line: bwrap with <see cref="BwrapArguments"/>; in a lab host's network namespace
    /// (<see cref="SshServerOptions.NetworkNamespace"/>) first <c>setpriv --pdeathsig KILL</c> and
    /// <c>nsenter --net</c>, which exec into bwrap (one process, still PoapLab's child).
    /// </summary>
    private IReadOnlyList<string> LaunchCommand(string root)
    {
        if (_options.NetworkNamespace is not { } ns)
        {
            return [_options.BwrapPath, .. BwrapArguments(root)];
        }
        return ["setpriv", "--pdeathsig", "KILL", "--", "nsenter", $"--net={ns}", "--", _options.BwrapPath, .. BwrapArguments(root)];
    }

    private async Task<bool> TryStartAsync(string root, byte[] bundle, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var command = LaunchCommand(root);
        var start = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        // Nothing of the harness's environment reaches bwrap (and --clearenv empties sshd's).
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        var process = ChildProcessLauncher.Start(start);
        _process = process;
        ProcessId = process.Id;
        var listening = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _reader = Task.Run(() => ReadLogAsync(process, listening), CancellationToken.None);
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            // The generated files, then end of input: tar stops there and sshd reads nothing from stdin.
            await process.StandardInput.BaseStream.WriteAsync(bundle, cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // bwrap died before reading: its stderr says why.
        }
        bool ok;
        try
        {
            ok = await listening.Task.WaitAsync(_options.StartTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ok = false;
        }
        if (!ok)
        {
            await StopProcessAsync().ConfigureAwait(false);
            return false;
        }
        _events.Record(_source, EventKinds.SshServerListening, $"sshd (bwrap pid {process.Id}) listening on {endPoint}",
            ("pid", process.Id), ("endpoint", endPoint), ("account", _options.Account), ("chroot", root));
        return true;
    }

    private async Task ReadLogAsync(Process process, TaskCompletionSource<bool> listening)
    {
        try
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                lock (_log)
                {
                    _log.Add(line);
                }
                _events.Record(_source, EventKinds.SshServerLog, line, ("pid", process.Id), ("line", line));
                if (line.StartsWith("Server listening on ", StringComparison.Ordinal))
                {
                    listening.TrySetResult(true);
                }
                else if (AcceptedRegex().Match(line) is { Success: true } ok)
                {
                    _events.Record(_source, EventKinds.SshServerLogin, $"login of {ok.Groups["user"].Value} from {ok.Groups["client"].Value}",
                        ("user", ok.Groups["user"].Value), ("client", ok.Groups["client"].Value), ("method", ok.Groups["method"].Value));
                }
                else if (FailedRegex().Match(line) is { Success: true } bad)
                {
                    _events.Record(_source, EventKinds.SshServerLoginFailed, $"failed login of {bad.Groups["user"].Value} from {bad.Groups["client"].Value}",
                        ("user", bad.Groups["user"].Value), ("client", bad.Groups["client"].Value), ("line", line));
                }
            }
        }
        finally
        {
            listening.TrySetResult(false);
        }
    }

    private async Task StopProcessAsync()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }
        try
        {
            if (!process.HasExited)
            {
                // By process id: bwrap, and with it (PID namespace, --die-with-parent) sshd and its children.
                process.Kill(entireProcessTree: true);
            }
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
            await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            _events.Record(_source, EventKinds.SshServerExited, $"sshd (bwrap pid {process.Id}) exited", ("pid", process.Id), ("exit_code", process.ExitCode));
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or TimeoutException)
        {
            _events.Record(_source, EventKinds.SshServerExited, $"sshd (bwrap pid {ProcessId}) did not exit cleanly: {e.Message}", ("pid", ProcessId));
        }
        finally
        {
            process.Dispose();
            ProcessId = null;
        }
    }

    private static bool IsAccountName(string name) =>
        name.Length is > 0 and <= 32 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');

    private static int FreePort(IPAddress address)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    [GeneratedRegex(@"^Accepted (?<method>\S+) for (?<user>\S+) from (?<client>\S+ port \d+)")]
    private static partial Regex AcceptedRegex();

    [GeneratedRegex(@"^(?:Failed \S+ for (?:invalid user )?|Invalid user )(?<user>\S+) from (?<client>\S+ port \d+)")]
    private static partial Regex FailedRegex();
}
