using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using PoapLab.Switch.Network;

namespace PoapLab.Switch.Transfer.Ssh;

/// <summary>Where the switch finds the OpenSSH clients, and how long it lets them run.</summary>
public sealed record OpenSshClientOptions
{
    public string ScpPath { get; init; } = "/usr/bin/scp";

    public string SftpPath { get; init; } = "/usr/bin/sftp";

    /// <summary>Real time for the TCP connection and for the SSH handshake to start.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Real time a whole transfer may take before the client is killed.</summary>
    public TimeSpan TransferTimeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>How an scp/sftp download ended.</summary>
internal enum SshOutcome
{
    Completed,
    PermissionDenied,
    NotFound,
    ConnectFailed,
    TimedOut,
    ClientMissing,
    Failed,
}

/// <param name="WireBytes">Bytes the server sent over the lab network (encryption and protocol included).</param>
/// <param name="Detail">What the client printed on stderr, or why it did not run.</param>
internal sealed record SshDownloadResult(SshOutcome Outcome, long Bytes, long WireBytes, string Detail);

/// <summary>
/// The switch's scp and sftp: the real OpenSSH clients as child processes. They cannot
/// speak the switch's <see cref="ISwitchNetwork"/>, so each transfer gets a one-connection
/// relay on 127.0.0.1: the client connects to it, and it carries the bytes over a connection
/// the switch network opened to the lab host — the lab's address mapping and faults apply
/// exactly as for our own clients. The password reaches the client through SSH_ASKPASS
/// (forced, OpenSSH 8.4+) from its own environment, never on a command line or on disk; host
/// keys are not checked (every lab run has a new one) and nothing of the host's ssh
/// configuration, environment, agent or keys is used. The client is killed by process id when it overruns.
/// </summary>
internal sealed class OpenSshClient(ISwitchNetwork network, OpenSshClientOptions options)
{
    public async Task<SshDownloadResult> DownloadAsync(bool sftp, IPAddress host, int port, string user, string password, string path, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new SshDownloadResult(SshOutcome.ClientMissing, 0, 0, "the OpenSSH clients run on Linux only");
        }
        if (!TransferUrl.IsValidUser(user) || !TransferUrl.IsValidPath(path) || path[0] != '/')
        {
            return new SshDownloadResult(SshOutcome.Failed, 0, 0, $"refused to pass '{user}' and '{path}' to the client");
        }
        if (!TransferUrl.IsValidPassword(password))
        {
            return new SshDownloadResult(SshOutcome.PermissionDenied, 0, 0, "Permission denied (password).");
        }
        if (user.Contains('=', StringComparison.Ordinal))
        {
            // The password reaches scp/sftp in an environment variable named after ssh's prompt,
            // which cannot hold '=': say so rather than fail the login obscurely.
            return new SshDownloadResult(SshOutcome.PermissionDenied, 0, 0, $"PoapLab's scp/sftp client cannot log in a user whose name holds '=' ({user})");
        }
        var tool = sftp ? options.SftpPath : options.ScpPath;
        if (!File.Exists(tool))
        {
            return new SshDownloadResult(SshOutcome.ClientMissing, 0, 0, $"{tool} is missing: install the Debian package openssh-client");
        }
        Stream upstream;
        using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connecting.CancelAfter(options.ConnectTimeout);
            try
            {
                upstream = await network.ConnectTcpAsync(host, port, connecting.Token).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return new SshDownloadResult(SshOutcome.ConnectFailed, 0, 0, e.SocketErrorCode == SocketError.ConnectionRefused ? "Connection refused" : e.SocketErrorCode == SocketError.TimedOut ? "Connection timed out" : e.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return new SshDownloadResult(SshOutcome.TimedOut, 0, 0, "Connection timed out");
            }
        }
        var work = Directory.CreateTempSubdirectory("poaplab-ssh-");
        try
        {
            await using (upstream.ConfigureAwait(false))
            {
                return await RunAsync(sftp, tool, upstream, work.FullName, user, password, path, destination, announcedSize, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [SupportedOSPlatform("linux")]
    private async Task<SshDownloadResult> RunAsync(bool sftp, string tool, Stream upstream, string work, string user, string password, string path, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        var output = Path.Combine(work, "download");

        // In the switch's network when it has one: the client runs there too (ClientCommandPrefix).
        using var listener = network.CreateLocalSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var relayPort = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var prefix = network.ClientCommandPrefix;
        var start = new ProcessStartInfo(prefix.Count > 0 ? prefix[0] : tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = work,
        };
        foreach (var a in prefix.Count > 0 ? [.. prefix.Skip(1), tool] : Array.Empty<string>())
        {
            start.ArgumentList.Add(a);
        }
        foreach (var a in Arguments(relayPort, options.ConnectTimeout))
        {
            start.ArgumentList.Add(a);
        }
        // "--": whatever follows is an operand, never an option (user and path are checked too).
        start.ArgumentList.Add("--");
        start.ArgumentList.Add($"{user}@127.0.0.1:{path}");
        start.ArgumentList.Add(output);
        start.Environment.Clear();
        foreach (var (name, value) in ClientEnvironment(work, user, password))
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(options.TransferTimeout);
        long wire = 0;
        var relay = Task.Run(async () =>
        {
            using var client = await listener.AcceptAsync(bounded.Token).ConfigureAwait(false);
            listener.Close();
            await using var local = new NetworkStream(client, ownsSocket: false);
            var up = local.CopyToAsync(upstream, bounded.Token);
            var down = CountingCopyAsync(upstream, local, n => Interlocked.Add(ref wire, n), bounded.Token);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            // The direction that did not end first ends with the connection, often with a broken
            // pipe: observe both, so that is not an unobserved task exception.
            Observe(up);
            Observe(down);
            client.Shutdown(SocketShutdown.Both);
        }, CancellationToken.None);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            timedOut = !cancellationToken.IsCancellationRequested;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (!timedOut)
            {
                throw;
            }
        }
        finally
        {
            await bounded.CancelAsync().ConfigureAwait(false);
            listener.Close();
            try
            {
                await relay.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
            }
        }
        var error = (await stderr.ConfigureAwait(false)).Trim();
        await stdout.ConfigureAwait(false);
        if (timedOut)
        {
            return new SshDownloadResult(SshOutcome.TimedOut, 0, Interlocked.Read(ref wire), error.Length == 0 ? "Connection timed out" : error);
        }
        if (process.ExitCode != 0 || !File.Exists(output))
        {
            return new SshDownloadResult(Classify(error), 0, Interlocked.Read(ref wire), error.Length == 0 ? $"{Path.GetFileName(tool)} exited with {process.ExitCode}" : error);
        }
        var length = new FileInfo(output).Length;
        announcedSize?.Invoke(length);
        var content = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (content.ConfigureAwait(false))
        {
            await content.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        return new SshDownloadResult(SshOutcome.Completed, length, Interlocked.Read(ref wire), "");
    }

    /// <summary>The name the client shows the server as (it is also in the password prompt).</summary>
    internal const string HostAlias = "poaplab-lab";

    /// <summary>
    /// The client's options: nothing of the host's ssh configuration (<c>-F /dev/null</c>), no
    /// known-hosts file, key, agent, proxy, local command or connection sharing; password
    /// authentication only, asked once. Every value is ours; none comes from the URL.
    /// </summary>
    internal static IReadOnlyList<string> Arguments(int relayPort, TimeSpan connectTimeout)
    {
        // No -q: it would silence the "Permission denied" that tells a script what failed.
        return
        [
            "-F", "/dev/null", "-P", relayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-o", "HostKeyAlias=" + HostAlias,
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "CheckHostIP=no", "-o", "UpdateHostKeys=no",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=no", "-o", "PreferredAuthentications=password",
            "-o", "PubkeyAuthentication=no", "-o", "HostbasedAuthentication=no", "-o", "GSSAPIAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
            "-o", "IdentitiesOnly=yes", "-o", "IdentityFile=none", "-o", "IdentityAgent=none", "-o", "AddKeysToAgent=no",
            "-o", "ProxyCommand=none", "-o", "ProxyJump=none", "-o", "PermitLocalCommand=no", "-o", "LocalCommand=none",
            "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "ForwardAgent=no", "-o", "ForwardX11=no", "-o", "ClearAllForwardings=yes",
            "-o", "CanonicalizeHostname=no", "-o", "NumberOfPasswordPrompts=1",
            "-o", $"ConnectTimeout={(int)Math.Ceiling(connectTimeout.TotalSeconds)}",
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=2",
        ];
    }

    /// <summary>
    /// The client's whole environment, made from nothing: no variable of the harness reaches
    /// it. The password never touches the disk: SSH_ASKPASS is <c>printenv</c>, which OpenSSH
    /// runs with the prompt as its argument (<c>user@alias's password: </c>, ssh_askpass(1)
    /// is given the prompt the same way) and which prints the variable of that name.
    /// </summary>
    internal static IReadOnlyList<(string Name, string Value)> ClientEnvironment(string home, string user, string password) =>
    [
        ("PATH", "/usr/bin:/bin"),
        ("HOME", home),
        ("LANG", "C"),
        ("SSH_ASKPASS", "/usr/bin/printenv"),
        ("SSH_ASKPASS_REQUIRE", "force"),
        ($"{user}@{HostAlias}'s password: ", password),
    ];

    /// <summary>What went wrong, from the text OpenSSH prints (stable across 8.x and 9.x).</summary>
    internal static SshOutcome Classify(string stderr)
    {
        if (stderr.Contains("Permission denied", StringComparison.OrdinalIgnoreCase))
        {
            return SshOutcome.PermissionDenied;
        }
        if (stderr.Contains("No such file", StringComparison.OrdinalIgnoreCase) || stderr.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            return SshOutcome.NotFound;
        }
        if (stderr.Contains("timed out", StringComparison.OrdinalIgnoreCase))
        {
            return SshOutcome.TimedOut;
        }
        if (stderr.Contains("Connection refused", StringComparison.OrdinalIgnoreCase) || stderr.Contains("Connection closed", StringComparison.OrdinalIgnoreCase)
            || stderr.Contains("Connection reset", StringComparison.OrdinalIgnoreCase) || stderr.Contains("kex_exchange_identification", StringComparison.Ordinal))
        {
            return SshOutcome.ConnectFailed;
        }
        return SshOutcome.Failed;
    }

    /// <summary>Observes <paramref name="task"/>'s exception, if it ever has one, without waiting for it.</summary>
    private static void Observe(Task task) =>
        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static async Task CountingCopyAsync(Stream from, Stream to, Action<int> counted, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            counted(n);
        }
    }
}
