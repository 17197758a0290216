using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PoapLab.Benchmarks.Reference;

/// <summary>
/// A reference file server (tftpd-hpa or nginx) serving a directory on a loopback port, as a
/// child process of this program. Disposing kills it by its PID and removes its temp directory.
/// </summary>
internal sealed class ReferenceServer : IDisposable
{
    public const string TftpdPath = "/usr/sbin/in.tftpd";

    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly string? _tempDirectory;

    private ReferenceServer(Process process, int port, string? tempDirectory, string description)
    {
        _process = process;
        Port = port;
        _tempDirectory = tempDirectory;
        Description = description;
    }

    public int Port { get; }

    /// <summary>The command line, for the report.</summary>
    public string Description { get; }

    /// <summary>
    /// tftpd-hpa on 127.0.0.1:port, chrooted to <paramref name="root"/> (which must be readable
    /// by the user it drops to). Ready when a TFTP read of <paramref name="probePath"/> succeeds.
    /// </summary>
    public static async Task<ReferenceServer> StartTftpdAsync(string root, string curl, string probePath, CancellationToken cancellationToken)
    {
        var port = FreePort(SocketType.Dgram, ProtocolType.Udp);
        string[] args = ["--foreground", "--listen", "--address", $"127.0.0.1:{port}", "--secure", root];
        var server = new ReferenceServer(Start(TftpdPath, args), port, null, $"{TftpdPath} {string.Join(' ', args)}");
        try
        {
            // UDP has no connect to poll: a real read is the only proof it serves.
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                server.ThrowIfExited();
                var sink = Path.Combine(Path.GetTempPath(), $"poaplab-bench-probe-{Environment.ProcessId}-{port}");
                var probe = await TimedProcess.RunAsync(curl, ["-s", "--max-time", "2", "-o", sink, $"tftp://127.0.0.1:{port}/{probePath.TrimStart('/')}"],
                    null, null, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                File.Delete(sink);
                if (probe.Succeeded)
                {
                    return server;
                }
                if (deadline.Elapsed > ReadyLimit)
                {
                    throw new InvalidOperationException($"tftpd-hpa did not serve {probePath} within {ReadyLimit.TotalSeconds:0} s: curl {probe.Problem}");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>nginx on 127.0.0.1:port serving <paramref name="root"/>, one process, everything it writes in a temp directory.</summary>
    public static async Task<ReferenceServer> StartNginxAsync(string nginx, string root, CancellationToken cancellationToken)
    {
        var port = FreePort(SocketType.Stream, ProtocolType.Tcp);
        var temp = Directory.CreateTempSubdirectory("poaplab-bench-nginx-").FullName;
        ReferenceServer? server = null;
        try
        {
            var conf = Path.Combine(temp, "nginx.conf");
            // sendfile on is what Debian's packaged configuration sets: the reference is nginx as deployed.
            await File.WriteAllTextAsync(conf, $$"""
                daemon off;
                master_process off;
                worker_processes 1;
                pid {{temp}}/nginx.pid;
                error_log {{temp}}/error.log;
                events { worker_connections 64; }
                http {
                    access_log {{temp}}/access.log;
                    client_body_temp_path {{temp}}/body;
                    proxy_temp_path {{temp}}/proxy;
                    fastcgi_temp_path {{temp}}/fastcgi;
                    uwsgi_temp_path {{temp}}/uwsgi;
                    scgi_temp_path {{temp}}/scgi;
                    default_type application/octet-stream;
                    sendfile on;
                    server {
                        listen 127.0.0.1:{{port}};
                        root {{root}};
                    }
                }
                """, cancellationToken).ConfigureAwait(false);
            string[] args = ["-p", temp, "-c", conf];
            server = new ReferenceServer(Start(nginx, args), port, temp, $"{nginx} {string.Join(' ', args)}");
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                server.ThrowIfExited();
                try
                {
                    using var client = new TcpClient();
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    attempt.CancelAfter(TimeSpan.FromSeconds(1));
                    await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token).ConfigureAwait(false);
                    return server;
                }
                catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    if (deadline.Elapsed > ReadyLimit)
                    {
                        var log = File.Exists(Path.Combine(temp, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(temp, "error.log"), cancellationToken).ConfigureAwait(false) : "";
                        throw new InvalidOperationException($"nginx did not listen on 127.0.0.1:{port} within {ReadyLimit.TotalSeconds:0} s {log.Trim()}", e);
                    }
                }
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            if (server is null)
            {
                Directory.Delete(temp, recursive: true);
            }
            else
            {
                server.Dispose();
            }
            throw;
        }
    }

    public void Dispose()
    {
        TimedProcess.Kill(_process);
        _process.Dispose();
        if (_tempDirectory is not null && Directory.Exists(_tempDirectory))
        {
            Directory.Delete(_tempDirectory, recursive: true);
        }
    }

    private void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            var err = _process.StandardError.ReadToEnd();
            throw new InvalidOperationException($"{Description} exited with {_process.ExitCode}: {err.Trim()}");
        }
    }

    private static Process Start(string executable, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = false,
            RedirectStandardInput = true,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        return Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start");
    }

    /// <summary>A loopback port nothing holds now (the OS picks it; a race with another program is possible but harmless here).</summary>
    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
