using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Lab.Capture;
using PoapLab.Protocols.Dhcp;
using PoapLab.Scenarios.Assertions;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Reports;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Dhcp6;
using PoapLab.Servers.Ftp;
using PoapLab.Servers.Http;
using PoapLab.Servers.Ssh;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Device;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;
using PoapLab.Switch.Transfer.Tftp;

namespace PoapLab.Scenarios.Running;

/// <summary>
/// Runs scenarios: starts the embedded servers on loopback, builds the lab network,
/// powers the switches on, checks the expectations and writes each scenario's artifacts.
/// Nothing is left running when a scenario ends, whatever happened.
/// </summary>
public sealed class ScenarioRunner
{
    private readonly ScriptHost _scripts = new();

    /// <summary>
    /// Runs every scenario, at most <see cref="RunOptions.MaxSwitches"/> switches at a time.
    /// Always returns one result per scenario, in order: one that cannot run is an error, and
    /// on cancellation the running ones are stopped (scripts, servers and sshd ended) and they
    /// and those not yet started are <see cref="ScenarioResult.Cancelled"/>. Two scenarios may
    /// not share a name (it names their output folder): the later ones are errors naming both files.
    /// </summary>
    public async Task<IReadOnlyList<ScenarioResult>> RunAllAsync(IReadOnlyList<Scenario> scenarios, RunOptions options, Action<ScenarioResult>? finished, CancellationToken cancellationToken)
    {
        var outRoot = OutputDirectory.Prepare(options.OutputDirectory);
        var gate = new SemaphoreSlim(options.MaxSwitches, options.MaxSwitches);
        // A scenario takes all its switch slots at once, so two scenarios never hold half each and wait for ever.
        using var taking = new SemaphoreSlim(1, 1);
        var results = new ScenarioResult[scenarios.Count];
        var firstByName = new Dictionary<string, Scenario>(StringComparer.OrdinalIgnoreCase);
        var tasks = scenarios.Select(async (scenario, i) =>
        {
            if (!firstByName.TryAdd(scenario.Name, scenario))
            {
                results[i] = new ScenarioResult(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outRoot,
                    $"{scenario.FilePath}: the scenario name '{scenario.Name}' is also the name of {firstByName[scenario.Name].FilePath}; names must be unique in a run (each names its output folder)");
                finished?.Invoke(results[i]);
                return;
            }
            var weight = Math.Max(1, Math.Min(scenario.Switches.Count, options.MaxSwitches));
            var taken = 0;
            try
            {
                await taking.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    for (; taken < weight; taken++)
                    {
                        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    taking.Release();
                }
                cancellationToken.ThrowIfCancellationRequested();
                results[i] = await RunAsync(scenario, options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                results[i] = ScenarioResult.CancelledBeforeStart(scenario, Path.Combine(outRoot, scenario.Name));
            }
            catch (Exception e)
            {
                results[i] = new ScenarioResult(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outRoot, $"{scenario.FilePath}: the scenario could not run: {Describe(e)}");
            }
            finally
            {
                if (taken > 0)
                {
                    gate.Release(taken);
                }
            }
            finished?.Invoke(results[i]);
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Runs one scenario in the folder of its name under <see cref="RunOptions.OutputDirectory"/>
    /// (see <see cref="OutputDirectory"/>). On cancellation everything it started is stopped and
    /// the result is <see cref="ScenarioResult.Cancelled"/>, its artifacts still written.
    /// </summary>
    public async Task<ScenarioResult> RunAsync(Scenario scenario, RunOptions options, CancellationToken cancellationToken)
    {
        var outRoot = OutputDirectory.Prepare(options.OutputDirectory);
        // One clock per switch, all starting at the scenario's clock start (see README, architecture).
        var timeline = new Timeline();
        var real = Stopwatch.StartNew();
        var outDir = OutputDirectory.FreshScenarioFolder(outRoot, scenario.Name);
        if (outDir is null)
        {
            return new ScenarioResult(scenario, [], [], TimeSpan.Zero, TimeSpan.Zero, outRoot,
                $"{scenario.FilePath}: the scenario name '{Loading.YamlMap.Shown(scenario.Name)}' cannot name its output folder ({ScenarioLoader.NameRule})");
        }
        var map = new LabAddressMap();
        // capture.pcapng: the frames the lab carried, in lab addresses (see README, artifacts).
        await using var capture = LabCapture.OnLoopback(new LabCaptureOptions { Path = Path.Combine(outDir, "capture.pcapng"), Filter = LabAddressMapBook.LoopbackFilter }, new LabAddressMapBook(map));
        var servers = new List<IAsyncDisposable>();
        var switches = new List<NexusSwitch>();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            CheckDiskSpace(scenario, options, outDir);
            var filesRoot = Path.Combine(outDir, "files");
            ScenarioFiles.Materialise(scenario.Files, filesRoot, options.ScriptOverride, scenario.Seed);
            var faults = new LabFaultContext();
            var soleDhcp = scenario.Servers.Dhcp.Count == 1;
            timeline.Subscribe(e => faults.OnEvent(e, soleDhcp));
            var clients = new LabClients();
            await StartServersAsync(scenario, filesRoot, map, new ServerEventSink(timeline, clients), servers, faults, cancellationToken).ConfigureAwait(false);

            foreach (var model in scenario.Switches)
            {
                var sw = BuildSwitch(scenario, model, outDir, map, timeline, faults, clients);
                switches.Add(sw);
            }
            var runs = await Task.WhenAll(switches.Select(s => s.PowerOnAsync(cancellationToken))).ConfigureAwait(false);
            var events = timeline.Events;
            var results = new List<SwitchResult>();
            for (int i = 0; i < switches.Count; i++)
            {
                var sw = switches[i];
                var model = scenario.Switches[i];
                var record = new SwitchRunRecord(
                    model.Name, runs[i],
                    // Its own events and the servers' answers to it: count: expectations count per switch.
                    events.Where(e => e.Switch == model.Name).ToList(),
                    sw.State.RunningConfig.ToList(),
                    ListFiles(sw.State.Bootflash.Files),
                    await File.ReadAllTextAsync(sw.SyslogPath, cancellationToken).ConfigureAwait(false))
                {
                    SwitchTime = timeline.SwitchTime(model.Name) ?? TimeSpan.Zero,
                };
                var failures = Expectations.Check(model.Expect ?? scenario.Expect, record);
                results.Add(new SwitchResult(model.Name, record, failures, Expectations.Diagnose(record)));
            }
            var result = new ScenarioResult(scenario, results, events, real.Elapsed, timeline.Span, outDir, null);
            await ArtifactWriter.WriteAsync(result, switches, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var result = new ScenarioResult(scenario, [], timeline.Events, real.Elapsed, timeline.Span, outDir, null) { Cancelled = true };
            await WriteArtifactsAfterAllAsync(result, switches).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            var result = new ScenarioResult(scenario, [], timeline.Events, real.Elapsed, timeline.Span, outDir, $"{scenario.FilePath}: the scenario could not run: {Describe(e)}");
            await WriteArtifactsAfterAllAsync(result, switches).ConfigureAwait(false);
            return result;
        }
        finally
        {
            foreach (var s in switches)
            {
                try
                {
                    s.Dispose();
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
                {
                    // One switch that cannot clean up must not keep the others (or the servers) running.
                }
            }
            foreach (var server in servers)
            {
                try
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
                {
                    // As above: every server is stopped, whatever one of them throws.
                }
            }
            try
            {
                PruneImages(outDir, scenario);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Pruning is housekeeping: a file that cannot be pruned stays.
            }
        }
    }

    /// <summary>Artifacts of a scenario that failed or was cancelled: written with no token (the run's is cancelled), and their own failure is not the scenario's.</summary>
    private static async Task WriteArtifactsAfterAllAsync(ScenarioResult result, IReadOnlyList<NexusSwitch> switches)
    {
        try
        {
            await ArtifactWriter.WriteAsync(result, switches, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The report still says what happened; only the per-scenario files are missing.
        }
    }

    /// <summary>
    /// Refuses to start writing files that would not fit: what the scenario's served and
    /// bootflash files take, plus 64 MiB of room for logs, must be free under the output
    /// directory now. Nothing is written when they do not fit.
    /// </summary>
    private static void CheckDiskSpace(Scenario scenario, RunOptions options, string outDir)
    {
        const long Headroom = 64L << 20;
        var need = ScenarioFiles.RequiredBytes(scenario.Files, options.ScriptOverride)
            + scenario.Switches.Sum(s => ScenarioFiles.RequiredBytes(s.BootflashFiles, null));
        var free = options.FreeSpace(outDir);
        if (need + Headroom > free)
        {
            throw new IOException($"the scenario's files need {need} bytes ({need >> 20} MiB) plus {Headroom >> 20} MiB of room, but only {free} bytes ({free >> 20} MiB) are free under {outDir}: nothing was written");
        }
    }

    private static async Task StartServersAsync(Scenario scenario, string filesRoot, LabAddressMap map, IEventSink timeline, List<IAsyncDisposable> servers, LabFaultContext faults, CancellationToken cancellationToken)
    {
        foreach (var d in scenario.Servers.Dhcp6)
        {
            var server = new EmbeddedDhcp6Server(new Dhcp6ServerOptions
            {
                ServerAddress = d.Address,
                PoolStart = d.PoolStart,
                PoolEnd = d.PoolEnd,
                PreferredLifetime = d.Lease,
                ValidLifetime = d.Lease * 2,
                BootfileUrl = d.BootfileUrl,
                NextHop = d.NextHop,
                RoutePrefix = d.RoutePrefix,
                DnsServers = [.. d.Dns],
            }, timeline, $"dhcp6:{d.Address}");
            servers.Add(server);
            var bound = await server.StartAsync(new IPEndPoint(map.LoopbackFor(d.Address), 0), cancellationToken).ConfigureAwait(false);
            map.AddService(d.Address, LabTransport.Udp, 547, bound);
        }
        foreach (var d in scenario.Servers.Dhcp)
        {
            var server = new EmbeddedDhcpServer(DhcpOptionsFor(d) with { Faults = d.Faults, FaultSeed = scenario.Seed, FaultContext = faults }, timeline, $"dhcp:{d.Address}");
            servers.Add(server);
            var bound = await server.StartAsync(new IPEndPoint(map.LoopbackFor(d.Address), 0), cancellationToken).ConfigureAwait(false);
            map.AddService(d.Address, LabTransport.Udp, 67, bound);
        }
        var lossy = scenario.Switches.Any(sw => sw.LinkFaults.LossToSwitch > 0 || sw.LinkFaults.LossFromSwitch > 0);
        foreach (var t in scenario.Servers.Tftp)
        {
            var server = new EmbeddedTftpServer(new TftpServerOptions
            {
                RootPath = Path.Combine(filesRoot, t.Root),
                Faults = t.TftpFaults,
                FaultSeed = scenario.Seed,
                FaultContext = faults,
                // On a lossy link the server's own retransmission is what recovers a lost DATA
                // (a client never re-asks for it: RFC 1123 §4.2.3.1). On loopback a short real
                // timer stands for the switch-time one the client already accounted for.
                RetransmitTimeout = lossy ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromSeconds(1),
            }, timeline, $"tftp:{t.Address}");
            servers.Add(server);
            var bound = await server.StartAsync(new IPEndPoint(map.LoopbackFor(t.Address), 0), cancellationToken).ConfigureAwait(false);
            map.AddService(t.Address, LabTransport.Udp, t.Port, bound);
        }
        foreach (var h in scenario.Servers.Http)
        {
            // HTTPS: a certificate made for this run; switches trust it only with ignore-certificate.
            var certificate = h.Tls ? LabCertificate.CreateSelfSigned(h.Address, [], TimeProvider.System.GetUtcNow()) : null;
            var server = new EmbeddedHttpServer(new HttpServerOptions { RootPath = Path.Combine(filesRoot, h.Root), Certificate = certificate, Faults = h.HttpFaults, FaultSeed = scenario.Seed, FaultContext = faults }, timeline, h.Tls ? $"https:{h.Address}" : $"http:{h.Address}");
            servers.Add(server);
            var bound = await server.StartAsync(new IPEndPoint(map.LoopbackFor(h.Address), 0), cancellationToken).ConfigureAwait(false);
            map.AddService(h.Address, LabTransport.Tcp, h.Port, bound);
        }
        foreach (var x in scenario.Servers.Ssh)
        {
            var server = new LocalSshServer(new SshServerOptions { RootPath = Path.Combine(filesRoot, x.Root), Password = x.Password }, timeline, $"ssh:{x.Address}");
            servers.Add(server);
            var bound = await server.StartAsync(new IPEndPoint(map.LoopbackFor(x.Address), 0), cancellationToken).ConfigureAwait(false);
            map.AddService(x.Address, LabTransport.Tcp, x.Port, bound);
            // Scripts log in with the scenario's user; the real sshd knows only its lab account.
            map.AddLogin(x.Address, x.Port, x.User, server.Account);
        }
        foreach (var f in scenario.Servers.Ftp)
        {
            var server = new EmbeddedFtpServer(new FtpServerOptions
            {
                RootPath = Path.Combine(filesRoot, f.Root),
                User = f.User,
                Password = f.Password,
                AllowAnonymous = f.Anonymous,
                AdvertisedAddress = f.Address,
                // Each passive data port becomes a port of the lab host, as on a real server.
                DataListenerOpened = real => map.AddService(f.Address, LabTransport.Tcp, real.Port, real),
            }, timeline, $"ftp:{f.Address}");
            servers.Add(server);
            var bound = await server.StartAsync(new IPEndPoint(map.LoopbackFor(f.Address), 0), cancellationToken).ConfigureAwait(false);
            map.AddService(f.Address, LabTransport.Tcp, f.Port, bound);
        }
    }

    private NexusSwitch BuildSwitch(Scenario scenario, SwitchModel m, string outDir, LabAddressMap map, Timeline timeline, LabFaultContext faults, LabClients clients)
    {
        // The switch's own clock: its time advances only by its own modelled durations.
        var clock = new SimClock(scenario.ClockStart);
        timeline.AddSwitch(m.Name, clock);
        ScenarioLoader.TryMac(m.Mac, out var mac);
        var identity = new SwitchIdentity(m.Name, m.Model, m.Serial, mac, m.BiosVersion, "04/08/2021",
            (m.BootflashBytes ?? 53298520L * 1024) / 1024, m.Model.StartsWith("N3K", StringComparison.Ordinal) ? "Nexus3000" : "Fretta",
            54, "48x10GT + 6x40/100G Ethernet Module");
        var root = Path.Combine(outDir, "switches", SafeName(m.Name));
        var version = NxosVersion.Parse(m.Version);
        var spec = new SwitchSpec(identity, version, m.Image, root, m.BootflashBytes, m.BootflashUsedBytes, m.Flavour)
        {
            Poap = new PoapSettings
            {
                MaxAttempts = m.MaxAttempts,
                DiscoverTries = m.DiscoverTries,
                RetryDelay = m.RetryDelay,
                ScriptTimeout = m.ScriptTimeout,
                MaxReloads = m.MaxReloads,
                Interface = m.Interface,
                Seed = scenario.Seed,
                Python = m.Python,
                Faults = m.Faults,
                Ipv6 = m.Ipv6,
            },
            Link = LinkModel.Default with { BitsPerSecond = m.LinkMbps * 1e6 },
            Tftp = new TftpClientOptions { BlockSize = m.TftpBlockSize, WindowSize = m.TftpWindowSize, LinkBitsPerSecond = (long)(m.LinkMbps * 1e6), RoundTripTime = LinkModel.Default.RoundTrip },
            CdpNeighbors = m.Cdp.Select(c => new CdpNeighbor(c.DeviceId, c.LocalInterface, c.PortId, c.Platform)).ToList(),
        };
        Directory.CreateDirectory(root);
        ScenarioFiles.Materialise(m.BootflashFiles, Path.Combine(root, "bootflash"), null, scenario.Seed, ScenarioFiles.SwitchFile);
        NexusSwitch? built = null;
        var link = scenario.Servers.LinkRules.Count == 0 ? m.LinkFaults : m.LinkFaults with { Rules = [.. m.LinkFaults.Rules, .. scenario.Servers.LinkRules] };
        var network = new VirtualNetwork(map, LabAddressMap.AllocateLoopback(forSwitch: true), clock, link, () => Math.Max(1, built?.CurrentAttempt ?? 1));
        clients.Add(m.Name, network.SwitchLoopback, mac);
        built = new NexusSwitch(spec, network, clock, timeline.ForSwitch(m.Name), _scripts);
        faults.Add(built, network);
        return built;
    }

    private static DhcpServerOptions DhcpOptionsFor(DhcpServerModel d) => new()
    {
        ServerAddress = d.Address,
        SubnetMask = d.SubnetMask,
        Router = d.Router,
        DnsServers = [.. d.Dns],
        DomainName = d.DomainName,
        PoolStart = d.PoolStart,
        PoolEnd = d.PoolEnd,
        LeaseTime = d.Lease,
        TftpServerName = d.TftpServerName,
        TftpServerAddress = d.TftpServerAddress,
        BootfileName = d.Bootfile,
        Reservations = [.. d.Reservations.Select(r => new DhcpReservation
        {
            Address = r.Address,
            ClientId = r.ClientId is null ? null : ImmutableArray.Create(r.ClientId),
            Mac = r.Mac is not null && ScenarioLoader.TryMac(r.Mac, out var mac) ? mac : null,
            HostName = r.Hostname,
            BootfileName = r.Bootfile,
            TftpServerName = r.TftpServerName,
            TftpServerAddress = r.TftpServerAddress,
            LeaseTime = r.Lease,
        })],
    };

    /// <summary>The regular files on a switch's flash (links are not followed, nor listed as files).</summary>
    private static List<string> ListFiles(FileTree flash)
    {
        try
        {
            return [.. flash.Walk().Where(e => e.Kind == FileEntryKind.File).Select(e => e.Path).Order(StringComparer.Ordinal)];
        }
        catch (SwitchFileException)
        {
            return [];
        }
    }

    /// <summary>Files larger than this that are known to be images leave the output.</summary>
    private const long PruneThreshold = 1024 * 1024;

    /// <summary>
    /// Images are large and can be made again: they do not stay in the output. Only what is known
    /// to be one goes: a served file the scenario generated as an image or copied from the host
    /// (<c>image:</c>, <c>source:</c>), and on each switch's flash a regular file that carries the
    /// generated image's header (the switch's own image, or one the script copied). Nothing else
    /// is deleted, however large: the script's own logs and output stay for the report. Every
    /// step goes through a tree rooted at the scenario's output directory, entries are examined
    /// and unlinked without following a link, so nothing outside it is touched.
    /// </summary>
    internal static void PruneImages(string outDir, Scenario scenario)
    {
        if (!Directory.Exists(outDir))
        {
            return;
        }
        var tree = new FileTree(outDir);
        foreach (var file in scenario.Files.Where(f => f.ImageVersion is not null || f.Source is not null))
        {
            var path = "files/" + file.Path.Replace('\\', '/').TrimStart('/');
            TryPrune(tree, path, imageHeader: false);
        }
        foreach (var model in scenario.Switches)
        {
            var flash = "switches/" + SafeName(model.Name) + "/bootflash";
            IReadOnlyList<FileEntry> entries;
            try
            {
                entries = tree.Walk(flash);
            }
            catch (SwitchFileException)
            {
                continue;
            }
            foreach (var entry in entries.Where(e => e.Kind == FileEntryKind.File && e.Size > PruneThreshold))
            {
                TryPrune(tree, entry.Path, imageHeader: true);
            }
        }
    }

    private static void TryPrune(FileTree tree, string path, bool imageHeader)
    {
        try
        {
            if (tree.Stat(path, followLinks: false) is not { Kind: FileEntryKind.File, Size: > PruneThreshold })
            {
                return;
            }
            if (imageHeader)
            {
                using var file = tree.OpenRead(path, followLinks: false);
                if (NxosImage.TryRead(file, path) is not { FromHeader: true })
                {
                    return;
                }
            }
            tree.DeleteFile(path);
        }
        catch (SwitchFileException)
        {
            // Gone, swapped for a link or a FIFO, or outside the output: left alone.
        }
    }

    private static string Describe(Exception e) =>
        e is ScenarioException or InvalidOperationException or IOException or System.Net.Sockets.SocketException or FormatException or UnauthorizedAccessException
            ? e.Message
            : $"internal error ({e.GetType().Name}: {e.Message}); please report it with this scenario";

    /// <summary>A name as a folder name: anything outside A-Z a-z 0-9 - _ . becomes '_', and a leading dot too (never '.', '..' or hidden).</summary>
    internal static string SafeName(string name)
    {
        var safe = string.Concat(name.Take(64).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return safe.Length == 0 ? "_" : safe[0] == '.' ? "_" + safe[1..] : safe;
    }
}
