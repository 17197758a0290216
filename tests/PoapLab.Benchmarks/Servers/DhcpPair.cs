using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PoapLab.Benchmarks.Reference;
using PoapLab.Core.Events;
using PoapLab.Core.Processes;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Servers.Dhcp;

namespace PoapLab.Benchmarks.Servers;

/// <summary>What one perfdhcp run measured.</summary>
/// <param name="Rate">perfdhcp's "Rate:" line: completed 4-way exchanges per second.</param>
/// <param name="DropRatio">1 - ACKs received / DISCOVERs sent.</param>
internal sealed record PerfdhcpRun(double Offered, double Rate, double DropRatio, long Discovers, long Acks);

/// <summary>
/// DHCPv4 under perfdhcp: two network namespaces of the benchmark's own joined by a veth pair
/// (server side 10.0.0.1/8, client side 10.0.0.2/8), the server under test in one, perfdhcp in the
/// other. Both namespaces die with this process (held by children with a parent-death signal),
/// and are removed when the pair is disposed.
/// </summary>
internal sealed partial class DhcpPair : IAsyncDisposable
{
    private const string ServerInterface = "bs0";
    private const string ClientInterface = "bc0";
    private static readonly IPAddress ServerAddress = IPAddress.Parse("10.0.0.1");
    private static readonly TimeSpan KeaReady = TimeSpan.FromSeconds(10);

    private readonly NetworkNamespace _server;
    private readonly NetworkNamespace _client;
    private readonly string _work;

    private DhcpPair(NetworkNamespace server, NetworkNamespace client, string work)
    {
        _server = server;
        _client = client;
        _work = work;
    }

    public static async Task<DhcpPair> CreateAsync(string work, CancellationToken cancellationToken)
    {
        var server = await NetworkNamespace.CreateAsync("bench-dhcp-server", cancellationToken).ConfigureAwait(false);
        NetworkNamespace? client = null;
        try
        {
            client = await NetworkNamespace.CreateAsync("bench-dhcp-client", cancellationToken).ConfigureAwait(false);
            await server.RunCheckedAsync("ip", ["link", "add", ServerInterface, "type", "veth", "peer", "name", ClientInterface, "netns", client.Path], cancellationToken).ConfigureAwait(false);
            await server.RunCheckedAsync("ip", ["addr", "add", "10.0.0.1/8", "dev", ServerInterface], cancellationToken).ConfigureAwait(false);
            await server.RunCheckedAsync("ip", ["link", "set", ServerInterface, "up"], cancellationToken).ConfigureAwait(false);
            // Limited broadcast (255.255.255.255) leaves by the default route: the veth.
            await server.RunCheckedAsync("ip", ["route", "add", "default", "dev", ServerInterface], cancellationToken).ConfigureAwait(false);
            await client.RunCheckedAsync("ip", ["addr", "add", "10.0.0.2/8", "dev", ClientInterface], cancellationToken).ConfigureAwait(false);
            await client.RunCheckedAsync("ip", ["link", "set", ClientInterface, "up"], cancellationToken).ConfigureAwait(false);
            await client.RunCheckedAsync("ip", ["route", "add", "default", "dev", ClientInterface], cancellationToken).ConfigureAwait(false);
            return new DhcpPair(server, client, work);
        }
        catch
        {
            if (client is not null)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// PoapLab's DHCP server in the server namespace, recording into a timeline as <c>poaplab serve</c>'s
    /// lab does (bounded to <see cref="ServeOptions.TimelineLimit"/> events; <paramref name="timelineLimit"/>
    /// 0: unbounded, as a scenario run's).
    /// </summary>
    public async Task<IAsyncDisposable> StartPoapLabAsync(CancellationToken cancellationToken, int timelineLimit = ServeOptions.TimelineLimit)
    {
        var options = new DhcpServerOptions
        {
            ServerAddress = ServerAddress,
            SubnetMask = IPAddress.Parse("255.0.0.0"),
            PoolStart = IPAddress.Parse("10.128.0.0"),
            PoolEnd = IPAddress.Parse("10.255.255.254"),
            Sockets = _server,
            ReplyRouting = DhcpReplyRouting.Rfc2131,
            BootfileName = "poap.py",
            TftpServerName = "10.0.0.1",
        };
        var server = new EmbeddedDhcpServer(options, new Timeline { Limit = timelineLimit > 0 ? timelineLimit : null }, "dhcp");
        await server.StartAsync(new IPEndPoint(IPAddress.Any, 67), cancellationToken).ConfigureAwait(false);
        return server;
    }

    /// <summary>Kea's DHCPv4 server on the server side of the veth, the same subnet and pool, leases in memory.</summary>
    public async Task<IAsyncDisposable> StartKeaAsync(string kea, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(_work, "kea");
        Directory.CreateDirectory(dir);
        var conf = Path.Combine(dir, "kea-dhcp4.json");
        await File.WriteAllTextAsync(conf, $$"""
            { "Dhcp4": {
                "interfaces-config": { "interfaces": [ "{{ServerInterface}}" ] },
                "lease-database": { "type": "memfile", "persist": false },
                "valid-lifetime": 86400,
                "option-data": [ { "name": "boot-file-name", "data": "poap.py" }, { "name": "tftp-server-name", "data": "10.0.0.1" } ],
                "subnet4": [ { "id": 1, "subnet": "10.0.0.0/8", "pools": [ { "pool": "10.128.0.0 - 10.255.255.254" } ] } ],
                "loggers": [ { "name": "kea-dhcp4", "severity": "ERROR", "output_options": [ { "output": "stderr" } ] } ]
            } }
            """, cancellationToken).ConfigureAwait(false);
        var start = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { $"--net={_server.Path}", "--", kea, "-c", conf })
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["KEA_PIDFILE_DIR"] = dir;
        start.Environment["KEA_LOCKFILE_DIR"] = dir;
        var process = ChildProcessLauncher.Start(start);
        var running = new RunningProcess(process);
        var deadline = Stopwatch.StartNew();
        while (!_server.IsListening(System.Net.Sockets.ProtocolType.Udp, 67))
        {
            if (process.HasExited || deadline.Elapsed > KeaReady)
            {
                var error = process.HasExited ? await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false) : "";
                await running.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"kea-dhcp4 did not start listening on port 67 within {KeaReady.TotalSeconds:0} s: {error.Trim().Split('\n').LastOrDefault()}");
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return running;
    }

    /// <summary>One perfdhcp run of <paramref name="seconds"/> at <paramref name="rate"/> exchanges/s from new clients.</summary>
    public async Task<PerfdhcpRun> PerfdhcpAsync(string perfdhcp, int rate, int seconds, CancellationToken cancellationToken)
    {
        string[] args = [$"--net={_client.Path}", "--", perfdhcp, "-4", "-l", ClientInterface, "-r", rate.ToString(CultureInfo.InvariantCulture),
            "-p", seconds.ToString(CultureInfo.InvariantCulture), "-R", "16000000"];
        var run = await TimedProcess.RunAsync("nsenter", args, null, null, TimeSpan.FromSeconds(seconds + 30), cancellationToken).ConfigureAwait(false);
        var text = run.Stdout;
        var rateMatch = RateLine().Match(text);
        var sent = SentPackets().Matches(text);
        var received = ReceivedPackets().Matches(text);
        if (!rateMatch.Success || sent.Count < 2 || received.Count < 2)
        {
            throw new InvalidOperationException($"perfdhcp printed no statistics ({run.Problem}): {text.Trim().Split('\n').LastOrDefault()} {run.Stderr.Trim()}");
        }
        var discovers = long.Parse(sent[0].Groups[1].Value, CultureInfo.InvariantCulture);
        var acks = long.Parse(received[1].Groups[1].Value, CultureInfo.InvariantCulture);
        var drop = discovers == 0 ? 1 : 1 - ((double)acks / discovers);
        return new PerfdhcpRun(rate, double.Parse(rateMatch.Groups[1].Value, CultureInfo.InvariantCulture), drop, discovers, acks);
    }

    public async ValueTask DisposeAsync()
    {
        // The veth goes with the namespaces.
        await _client.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
    }

    [GeneratedRegex(@"Rate:\s*([0-9.]+)")]
    private static partial Regex RateLine();

    [GeneratedRegex(@"sent packets:\s*([0-9]+)")]
    private static partial Regex SentPackets();

    [GeneratedRegex(@"received packets:\s*([0-9]+)")]
    private static partial Regex ReceivedPackets();

    /// <summary>A reference server process of the benchmark's own: killed by its PID on dispose.</summary>
    private sealed class RunningProcess(Process process) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            TimedProcess.Kill(process);
            process.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
