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
/// (forced, OpenSSH 8.4+) from a file only root can read, never on a command line; host keys
/// are not checked (every lab run has a new one) and nothing of the host's ssh configuration,
/// agent or keys is used. The client is killed by process id when it overruns.
/// </summary>
internal sealed class OpenSshClient(ISwitchNetwork network, OpenSshClientOptions options)
{
    public async Task<SshDownloadResult> DownloadAsync(bool sftp, IPAddress host, int port, string user, string password, string path, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new SshDownloadResult(SshOutcome.ClientMissing, 0, 0, "the OpenSSH clients run on Linux only");
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
        var secret = Path.Combine(work, "password");
        await File.WriteAllTextAsync(secret, password + "\n", cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var askpass = Path.Combine(work, "askpass");
        await File.WriteAllTextAsync(askpass, $"#!/bin/sh\nexec cat '{secret}'\n", cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var output = Path.Combine(work, "download");

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var relayPort = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var start = new ProcessStartInfo(tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = work,
        };
        // -F /dev/null: neither the user's nor the system's ssh_config; known hosts nowhere. No -q:
        // it would silence the "Permission denied" that tells a script what failed.
        string[] common =
        [
            "-F", "/dev/null", "-P", relayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=no", "-o", "PreferredAuthentications=password",
            "-o", "PubkeyAuthentication=no", "-o", "GSSAPIAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
            "-o", $"ConnectTimeout={(int)Math.Ceiling(options.ConnectTimeout.TotalSeconds)}",
            "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=2", "-o", "IdentityAgent=none",
        ];
        foreach (var a in common)
        {
            start.ArgumentList.Add(a);
        }
        start.ArgumentList.Add($"{user}@127.0.0.1:{path}");
        start.ArgumentList.Add(output);
        start.Environment["SSH_ASKPASS"] = askpass;
        start.Environment["SSH_ASKPASS_REQUIRE"] = "force";
        start.Environment["HOME"] = work;
        start.Environment.Remove("SSH_AUTH_SOCK");
        start.Environment.Remove("DISPLAY");

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
