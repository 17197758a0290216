using System.Globalization;
using System.Net;
using System.Text;
using PoapLab.Benchmarks.Reference;
using PoapLab.Core.Events;
using PoapLab.Servers.Http;
using PoapLab.Servers.Tftp;

namespace PoapLab.Benchmarks.Servers;

/// <summary>One line of the servers table: PoapLab's figure beside the reference server's, and the goal.</summary>
/// <param name="Ratio">PoapLab's speed over the reference's (above 1: PoapLab is faster).</param>
internal sealed record ServerRow(string Server, string Test, string Unit, double? PoapLab, double? Reference, double? Ratio, double Goal, string? Note = null)
{
    public bool Met => Ratio is { } r && r >= Goal && Note is null;
}

/// <summary>
/// The servers mode: each embedded server against the one users would run instead, in the same
/// run and turn about (DHCPv4 vs Kea under perfdhcp across a veth pair between two namespaces;
/// TFTP vs tftpd-hpa at each block size with curl, and with windowsize 16 with a windowed reader;
/// HTTP vs nginx with curl). Prints each figure, the ratio and whether the goal is met.
/// </summary>
internal sealed class ServerBenchmark(ReferenceTools tools, BenchmarkOptions options, string work)
{
    private static readonly int[] BlockSizes = [512, 1468, 8192, 65464];
    private static readonly int[] Rates = [1000, 2000, 4000, 6000, 8000, 11000, 14000, 18000, 24000, 32000];
    private const double MaxDrop = 0.025;
    private const int RateSeconds = 3;
    private const int FlatPeriods = 4;
    private static readonly TimeSpan TransferLimit = TimeSpan.FromMinutes(5);
    private const string FileName = "image.bin";
    private const string ProbeName = "probe.txt";

    public async Task<List<ServerRow>> RunAsync(CancellationToken cancellationToken)
    {
        var rows = new List<ServerRow>();
        var which = options.Servers;
        if (which.Contains("dhcp"))
        {
            rows.AddRange(await GuardAsync("dhcp", DhcpAsync, cancellationToken).ConfigureAwait(false));
        }
        if (which.Contains("tftp") || which.Contains("http"))
        {
            var root = Path.Combine(work, "root");
            Directory.CreateDirectory(root, (UnixFileMode)0b111_101_101);
            await WriteImageAsync(Path.Combine(root, FileName), options.ImageBytes, cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(Path.Combine(root, FileName), (UnixFileMode)0b110_100_100);
            await File.WriteAllTextAsync(Path.Combine(root, ProbeName), "probe\n", cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(Path.Combine(root, ProbeName), (UnixFileMode)0b110_100_100);
            if (which.Contains("tftp"))
            {
                rows.AddRange(await GuardAsync("tftp", c => TftpAsync(root, c), cancellationToken).ConfigureAwait(false));
            }
            if (which.Contains("http"))
            {
                rows.AddRange(await GuardAsync("http", c => HttpAsync(root, c), cancellationToken).ConfigureAwait(false));
            }
        }
        return rows;
    }

    /// <summary>A server whose pair cannot run is a row saying why, not the end of the benchmark.</summary>
    private static async Task<List<ServerRow>> GuardAsync(string server, Func<CancellationToken, Task<List<ServerRow>>> run, CancellationToken cancellationToken)
    {
        try
        {
            return await run(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"[{server}] could not run: {e.Message}");
            return [new ServerRow(server, "(not measured)", "-", null, null, null, 1, e.Message)];
        }
    }

    public static string Table(IReadOnlyList<ServerRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine("Embedded servers against the reference servers (ratio: PoapLab's speed / the reference's; above 1 PoapLab is faster)");
        text.AppendLine($"{"server",-6} {"test",-34} {"PoapLab",12} {"reference",12} {"unit",-10} {"ratio",7} {"goal",7}  met");
        foreach (var r in rows)
        {
            string F(double? v) => v is { } x ? x.ToString(x >= 100 ? "0" : "0.000", CultureInfo.InvariantCulture) : "-";
            text.AppendLine(CultureInfo.InvariantCulture, $"{r.Server,-6} {r.Test,-34} {F(r.PoapLab),12} {F(r.Reference),12} {r.Unit,-10} {(r.Ratio is { } q ? q.ToString("0.00", CultureInfo.InvariantCulture) : "-"),7} {"≥" + r.Goal.ToString("0.##", CultureInfo.InvariantCulture),7}  {(r.Met ? "yes" : "NO")}{(r.Note is null ? "" : "  (" + r.Note + ")")}");
        }
        return text.ToString();
    }

    private async Task<List<ServerRow>> DhcpAsync(CancellationToken cancellationToken)
    {
        var rows = new List<ServerRow>();
        var perfdhcp = TimedProcess.Find("perfdhcp");
        var kea = TimedProcess.Find("kea-dhcp4");
        if (perfdhcp is null || kea is null)
        {
            rows.Add(new ServerRow("dhcp", "leases/s, drops ≤ 2.5 %", "leases/s", null, null, null, 1, "perfdhcp or kea-dhcp4 missing: apt-get install kea-admin kea-dhcp4-server"));
            return rows;
        }
        await using var pair = await DhcpPair.CreateAsync(work, cancellationToken).ConfigureAwait(false);
        var poaplab = await LadderAsync("PoapLab", pair, perfdhcp, c => pair.StartPoapLabAsync(c), cancellationToken).ConfigureAwait(false);
        var reference = await LadderAsync("Kea", pair, perfdhcp, c => pair.StartKeaAsync(kea, c), cancellationToken).ConfigureAwait(false);
        rows.Add(new ServerRow("dhcp", "leases/s, drops ≤ 2.5 % (vs Kea)", "leases/s", poaplab.Best, reference.Best, Ratio(poaplab.Best, reference.Best), 1));
        rows.Add(new ServerRow("dhcp", $"flat: last/first of {FlatPeriods}×{RateSeconds} s", "ratio", poaplab.Flat, reference.Flat, poaplab.Flat, 0.9,
            poaplab.FlatDrops > MaxDrop ? $"drops {poaplab.FlatDrops:P1} in a period" : null));
        return rows;
    }

    private sealed record Ladder(double? Best, double? Flat, double FlatDrops);

    /// <summary>Rates up the ladder until drops pass 2.5 %; then, on the same server, periods at half the best rate as leases pile up.</summary>
    private static async Task<Ladder> LadderAsync(string name, DhcpPair pair, string perfdhcp, Func<CancellationToken, Task<IAsyncDisposable>> start, CancellationToken cancellationToken)
    {
        var server = await start(cancellationToken).ConfigureAwait(false);
        await using (server.ConfigureAwait(false))
        {
            // Warm-up (JIT, caches), not counted.
            await pair.PerfdhcpAsync(perfdhcp, 500, 2, cancellationToken).ConfigureAwait(false);
            double? best = null;
            var bestOffered = 0;
            long leases = 0;
            var failed = 0;
            async Task<bool> TryRate(int rate)
            {
                var run = await pair.PerfdhcpAsync(perfdhcp, rate, RateSeconds, cancellationToken).ConfigureAwait(false);
                leases += run.Acks;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[dhcp {name}] offered {rate}/s: {run.Rate:0}/s, drops {run.DropRatio:P2}, {leases} leases so far"));
                if (run.DropRatio > MaxDrop)
                {
                    failed = rate;
                    return false;
                }
                best = Math.Max(best ?? 0, run.Rate);
                bestOffered = Math.Max(bestOffered, rate);
                return true;
            }
            foreach (var rate in Rates)
            {
                if (!await TryRate(rate).ConfigureAwait(false))
                {
                    break;
                }
            }
            // Two halvings between the last rate held and the first one missed.
            for (var i = 0; i < 2 && failed > bestOffered + 100; i++)
            {
                await TryRate((bestOffered + failed) / 2).ConfigureAwait(false);
            }
            if (best is null)
            {
                return new Ladder(null, null, 1);
            }
            var rates = new List<double>();
            var worst = 0.0;
            var flatRate = Math.Max(500, bestOffered / 2);
            for (var i = 0; i < FlatPeriods; i++)
            {
                var run = await pair.PerfdhcpAsync(perfdhcp, flatRate, RateSeconds, cancellationToken).ConfigureAwait(false);
                leases += run.Acks;
                rates.Add(run.Rate);
                worst = Math.Max(worst, run.DropRatio);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[dhcp {name}] flat at {flatRate}/s, period {i + 1}: {run.Rate:0}/s, drops {run.DropRatio:P2}, {leases} leases so far"));
            }
            return new Ladder(best, rates[^1] / rates[0], worst);
        }
    }

    private async Task<List<ServerRow>> TftpAsync(string root, CancellationToken cancellationToken)
    {
        var rows = new List<ServerRow>();
        if (tools.Curl is not { } curl || tools.Tftpd is null)
        {
            rows.Add(new ServerRow("tftp", "100 MiB", "s", null, null, null, 1, "curl or tftpd-hpa missing"));
            return rows;
        }
        await using var embedded = new EmbeddedTftpServer(new TftpServerOptions { RootPath = root }, new Timeline(), "tftp");
        var ours = await embedded.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), cancellationToken).ConfigureAwait(false);
        using var tftpd = await ReferenceServer.StartTftpdAsync(root, curl, ProbeName, cancellationToken).ConfigureAwait(false);
        var theirs = new IPEndPoint(IPAddress.Loopback, tftpd.Port);
        var size = BenchmarkOptions.FormatSize(options.ImageBytes).Split(' ')[0] + " MiB";
        foreach (var block in BlockSizes)
        {
            var (a, b) = await PairAsync($"tftp blksize {block}",
                c => CurlAsync(curl, ["--tftp-blksize", block.ToString(CultureInfo.InvariantCulture), $"tftp://127.0.0.1:{ours.Port}/{FileName}"], c),
                c => CurlAsync(curl, ["--tftp-blksize", block.ToString(CultureInfo.InvariantCulture), $"tftp://127.0.0.1:{theirs.Port}/{FileName}"], c),
                cancellationToken).ConfigureAwait(false);
            rows.Add(new ServerRow("tftp", $"{size}, curl, blksize {block}", "s", a / 1000, b / 1000, Ratio(b, a), 1));
        }
        var (w, r) = await PairAsync("tftp windowsize 16",
            c => Task.Run(() => Windowed(ours, 16, expectWindow: 16), c),
            c => Task.Run(() => Windowed(theirs, 16, expectWindow: 1), c),
            cancellationToken).ConfigureAwait(false);
        rows.Add(new ServerRow("tftp", $"{size}, blksize 1468, windowsize 16", "s", w / 1000, r / 1000, Ratio(r, w), 4, _windowNote));
        // The same with the option that sends a window's packets in one call (off by default).
        await using var offloading = new EmbeddedTftpServer(new TftpServerOptions { RootPath = root, SegmentationOffload = true }, new Timeline(), "tftp");
        var ours2 = await offloading.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), cancellationToken).ConfigureAwait(false);
        _windowNote = null;
        var (o, r2) = await PairAsync("tftp windowsize 16, segmentation offload",
            c => Task.Run(() => Windowed(ours2, 16, expectWindow: 16), c),
            c => Task.Run(() => Windowed(theirs, 16, expectWindow: 1), c),
            cancellationToken).ConfigureAwait(false);
        rows.Add(new ServerRow("tftp", $"  same, SegmentationOffload on", "s", o / 1000, r2 / 1000, Ratio(r2, o), 4, _windowNote));
        // The portable send path (a read(2) and a send per block: what runs off Linux) against
        // the default one (the file mapped, a window in one sendmmsg(2)), turn about.
        await using var portable = new EmbeddedTftpServer(new TftpServerOptions { RootPath = root, PortableSend = true }, new Timeline(), "tftp");
        var ours3 = await portable.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), cancellationToken).ConfigureAwait(false);
        _windowNote = null;
        var (d, p) = await PairAsync("tftp windowsize 16, default vs PortableSend",
            c => Task.Run(() => Windowed(ours, 16, expectWindow: 16), c),
            c => Task.Run(() => Windowed(ours3, 16, expectWindow: 16), c),
            cancellationToken).ConfigureAwait(false);
        rows.Add(new ServerRow("tftp", $"  same, default vs PortableSend", "s", d / 1000, p / 1000, Ratio(p, d), 1, _windowNote));
        var (d2, p2) = await PairAsync("tftp blksize 65464, default vs PortableSend",
            c => CurlAsync(curl, ["--tftp-blksize", "65464", $"tftp://127.0.0.1:{ours.Port}/{FileName}"], c),
            c => CurlAsync(curl, ["--tftp-blksize", "65464", $"tftp://127.0.0.1:{ours3.Port}/{FileName}"], c),
            cancellationToken).ConfigureAwait(false);
        rows.Add(new ServerRow("tftp", $"{size}, curl, blksize 65464 vs PortableSend", "s", d2 / 1000, p2 / 1000, Ratio(p2, d2), 1));
        return rows;
    }

    private string? _windowNote;

    private double Windowed(IPEndPoint server, int window, int expectWindow)
    {
        var (ms, bytes, agreed) = WindowedTftpClient.Read(server, FileName, 1468, window, TransferLimit);
        if (bytes != options.ImageBytes)
        {
            _windowNote = $"{server} sent {bytes} bytes of {options.ImageBytes}";
        }
        else if (agreed != expectWindow)
        {
            _windowNote = $"{server} agreed on windowsize {agreed}";
        }
        return ms;
    }

    private async Task<List<ServerRow>> HttpAsync(string root, CancellationToken cancellationToken)
    {
        var rows = new List<ServerRow>();
        if (tools.Curl is not { } curl || tools.Nginx is not { } nginxPath)
        {
            rows.Add(new ServerRow("http", "100 MiB", "s", null, null, null, 0.8, "curl or nginx missing"));
            return rows;
        }
        await using var embedded = new EmbeddedHttpServer(new HttpServerOptions { RootPath = root }, new Timeline(), "http");
        var ours = await embedded.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), cancellationToken).ConfigureAwait(false);
        using var nginx = await ReferenceServer.StartNginxAsync(nginxPath, root, cancellationToken).ConfigureAwait(false);
        var (a, b) = await PairAsync("http",
            c => CurlAsync(curl, [$"http://127.0.0.1:{ours.Port}/{FileName}"], c),
            c => CurlAsync(curl, [$"http://127.0.0.1:{nginx.Port}/{FileName}"], c),
            cancellationToken).ConfigureAwait(false);
        var size = BenchmarkOptions.FormatSize(options.ImageBytes).Split(' ')[0] + " MiB";
        rows.Add(new ServerRow("http", $"{size}, curl (vs nginx, sendfile on)", "s", a / 1000, b / 1000, Ratio(b, a), 0.8));
        return rows;
    }

    /// <summary>A warm-up of each, then the two in turn, A B A B; the medians in ms.</summary>
    private async Task<(double A, double B)> PairAsync(string label, Func<CancellationToken, Task<double>> a, Func<CancellationToken, Task<double>> b, CancellationToken cancellationToken)
    {
        await a(cancellationToken).ConfigureAwait(false);
        await b(cancellationToken).ConfigureAwait(false);
        var aa = new List<double>();
        var bb = new List<double>();
        for (var i = 0; i < options.Runs; i++)
        {
            aa.Add(await a(cancellationToken).ConfigureAwait(false));
            bb.Add(await b(cancellationToken).ConfigureAwait(false));
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{label}] PoapLab {string.Join(" ", aa.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))} ms; reference {string.Join(" ", bb.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))} ms"));
        return (Median(aa), Median(bb));
    }

    private async Task<double> CurlAsync(string curl, string[] args, CancellationToken cancellationToken)
    {
        var run = await TimedProcess.RunAsync(curl, ["-s", "-S", "-o", "/dev/null", "-w", "%{size_download}", .. args], null, null, TransferLimit, cancellationToken).ConfigureAwait(false);
        if (!run.Succeeded || run.Stdout.Trim() != options.ImageBytes.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"curl {string.Join(' ', args)}: {run.Problem}, {run.Stdout.Trim()} bytes");
        }
        return run.Milliseconds;
    }

    private static async Task WriteImageAsync(string path, long bytes, CancellationToken cancellationToken)
    {
        var chunk = new byte[1024 * 1024];
        new Random(17).NextBytes(chunk);
        await using var file = File.Create(path);
        for (long left = bytes; left > 0; left -= chunk.Length)
        {
            await file.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), cancellationToken).ConfigureAwait(false);
        }
    }

    private static double? Ratio(double? numerator, double? denominator) =>
        numerator is { } n && denominator is { } d && d > 0 ? n / d : null;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
