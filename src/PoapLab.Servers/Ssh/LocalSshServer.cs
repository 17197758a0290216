using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Core.Events;
using PoapLab.Servers.Tftp;

namespace PoapLab.Servers.Ssh;

/// <summary>
/// A real OpenSSH server for the lab's scp and sftp: Debian's <c>sshd</c> run as a child
/// process on a loopback address, with a host key and an <c>sshd_config</c> of its own made
/// per run. It lets in one unprivileged service account, by password, jailed in a
/// root-owned snapshot of the served files where the only thing it can run is
/// <c>internal-sftp</c> (OpenSSH 9 <c>scp</c> speaks sftp; legacy <c>scp -O</c> needs a
/// shell and is refused). No forwarding, no tty, nothing else of the host. Every line sshd
/// logs is an event; logins and failed logins are events of their own. sshd is killed by
/// its process id on dispose, whatever happened.
/// </summary>
public sealed partial class LocalSshServer : IAsyncDisposable
{
    private const int MaxPortAttempts = 3;

    private readonly SshServerOptions _options;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly List<string> _log = [];
    private DirectoryInfo? _configDir;
    private string? _chroot;
    private IAsyncDisposable? _password;
    private Process? _process;
    private Task _reader = Task.CompletedTask;
    private IPEndPoint? _local;
    private int _disposed;

    public LocalSshServer(SshServerOptions options, IEventSink events, string eventSource)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        ArgumentException.ThrowIfNullOrEmpty(options.ServiceAccount);
        ArgumentNullException.ThrowIfNull(options.Password);
        _options = options;
        _events = events;
        _source = eventSource;
    }

    /// <summary>The endpoint sshd listens on (valid after <see cref="StartAsync"/>).</summary>
    public IPEndPoint LocalEndPoint => _local ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>The host account logins must use (the lab maps the scenario's user name to it).</summary>
    public string ServiceAccount => _options.ServiceAccount;

    /// <summary>The process id of sshd while it runs.</summary>
    public int? ProcessId { get; private set; }

    /// <summary>The directory logins see as <c>/</c> (valid after <see cref="StartAsync"/>).</summary>
    public string ChrootPath => _chroot ?? throw new InvalidOperationException("The server has not been started.");

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
        var files = new ServedFileResolver(_options.RootPath);
        _password = await SshServiceAccount.AcquireAsync(_options.ServiceAccount, _options.Password, TimeSpan.FromMinutes(10), cancellationToken).ConfigureAwait(false);
        _configDir = Directory.CreateTempSubdirectory("poaplab-sshd-");
        var hostKey = Path.Combine(_configDir.FullName, "ssh_host_ed25519_key");
        var keygen = await HostTool.RunAsync(_options.SshKeygenPath, ["-q", "-t", "ed25519", "-N", "", "-C", "poaplab-lab", "-f", hostKey], null, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (keygen.ExitCode != 0)
        {
            throw new InvalidOperationException($"ssh-keygen could not make a host key (exit {keygen.ExitCode}): {keygen.Error.Trim()}");
        }
        _chroot = MakeChroot(files);
        Directory.CreateDirectory("/run/sshd", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        for (var attempt = 1; ; attempt++)
        {
            var port = bind.Port != 0 ? bind.Port : FreePort(bind.Address);
            var endPoint = new IPEndPoint(bind.Address, port);
            var config = Path.Combine(_configDir.FullName, "sshd_config");
            await File.WriteAllTextAsync(config, Config(endPoint, hostKey, _chroot), cancellationToken).ConfigureAwait(false);
            if (await TryStartAsync(config, endPoint, cancellationToken).ConfigureAwait(false))
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

    /// <summary>Kills sshd (and its per-connection children) by process id, gives the account back, removes the snapshot.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        try
        {
            await StopProcessAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_password is not null)
            {
                await _password.DisposeAsync().ConfigureAwait(false);
            }
            TryDelete(_chroot);
            TryDelete(_configDir?.FullName);
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
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("The SSH server needs root: sshd must authenticate the service account and chroot it.");
        }
        if (!SshServiceAccount.Exists(_options.ServiceAccount))
        {
            throw new InvalidOperationException($"The service account '{_options.ServiceAccount}' does not exist: run .ci/setup (useradd --system --shell /usr/sbin/nologin --no-create-home {_options.ServiceAccount}).");
        }
    }

    [SupportedOSPlatform("linux")]
    private string MakeChroot(ServedFileResolver files)
    {
        const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var basePath = Path.GetFullPath(_options.ChrootBase);
        var walked = "";
        foreach (var part in basePath.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            walked += "/" + part;
            if (!Directory.Exists(walked))
            {
                Directory.CreateDirectory(walked, DirMode);
            }
            if ((File.GetUnixFileMode(walked) & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                throw new InvalidOperationException($"sshd refuses a chroot under {walked}: it is writable by group or others (choose another ChrootBase).");
            }
        }
        var chroot = Path.Combine(basePath, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
        Directory.CreateDirectory(chroot, DirMode);
        File.SetUnixFileMode(chroot, DirMode);
        // A snapshot, not the live directory: the served root lives under /tmp, which sshd
        // will not chroot into. Links are followed only when they stay inside the root.
        var root = files.Root;
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root, entry);
            var resolved = files.Resolve(relative);
            if (resolved.Status != ServedFileStatus.Found)
            {
                continue;
            }
            var target = Path.Combine(chroot, relative);
            if (Directory.Exists(resolved.Path))
            {
                Directory.CreateDirectory(target, DirMode);
            }
            else if (File.Exists(resolved.Path))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!, DirMode);
                File.Copy(resolved.Path, target, overwrite: true);
                File.SetUnixFileMode(target, FileMode);
            }
        }
        return chroot;
    }

    private string Config(IPEndPoint endPoint, string hostKey, string chroot)
    {
        var c = new StringBuilder();
        c.AppendLine(CultureInfo.InvariantCulture, $"ListenAddress {endPoint.Address}:{endPoint.Port}");
        c.AppendLine(CultureInfo.InvariantCulture, $"HostKey {hostKey}");
        c.AppendLine("PidFile none");
        // No PAM: the password is checked against the shadow entry chpasswd set, nothing else of the host's login stack runs.
        c.AppendLine("UsePAM no");
        c.AppendLine("PasswordAuthentication yes");
        c.AppendLine("PermitEmptyPasswords no");
        c.AppendLine("KbdInteractiveAuthentication no");
        c.AppendLine("PubkeyAuthentication no");
        c.AppendLine("HostbasedAuthentication no");
        c.AppendLine("GSSAPIAuthentication no");
        c.AppendLine("PermitRootLogin no");
        c.AppendLine(CultureInfo.InvariantCulture, $"AllowUsers {_options.ServiceAccount}");
        c.AppendLine(CultureInfo.InvariantCulture, $"ChrootDirectory {chroot}");
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

    private async Task<bool> TryStartAsync(string config, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_options.SshdPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // -D: stay in the foreground as our child; -e: log to stderr, which becomes events.
        foreach (var a in new[] { "-D", "-e", "-f", config })
        {
            start.ArgumentList.Add(a);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_options.SshdPath}.");
        _process = process;
        ProcessId = process.Id;
        process.StandardInput.Close();
        var listening = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _reader = Task.Run(() => ReadLogAsync(process, listening), CancellationToken.None);
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
        _events.Record(_source, EventKinds.SshServerListening, $"sshd (pid {process.Id}) listening on {endPoint}",
            ("pid", process.Id), ("endpoint", endPoint), ("account", _options.ServiceAccount), ("chroot", _chroot));
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
                // By process id, with the per-connection children sshd forked.
                process.Kill(entireProcessTree: true);
            }
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
            await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            _events.Record(_source, EventKinds.SshServerExited, $"sshd (pid {process.Id}) exited", ("pid", process.Id), ("exit_code", process.ExitCode));
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException or TimeoutException)
        {
            _events.Record(_source, EventKinds.SshServerExited, $"sshd (pid {ProcessId}) did not exit cleanly: {e.Message}", ("pid", ProcessId));
        }
        finally
        {
            process.Dispose();
            ProcessId = null;
        }
    }

    private static int FreePort(IPAddress address)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static void TryDelete(string? directory)
    {
        try
        {
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"^Accepted (?<method>\S+) for (?<user>\S+) from (?<client>\S+ port \d+)")]
    private static partial Regex AcceptedRegex();

    [GeneratedRegex(@"^(?:Failed \S+ for (?:invalid user )?|Invalid user )(?<user>\S+) from (?<client>\S+ port \d+)")]
    private static partial Regex FailedRegex();
}
