using System.Net;
using PoapLab.Lab.Capture;
using PoapLab.Lab.Services;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>A switch a serve run waits for, and when its failure counts as final.</summary>
/// <param name="Switch">Its name, serial and MAC.</param>
/// <param name="FailedAfterAttempts">
/// A switch the wire judges failed has its verdict once the wire proves this many attempts
/// (a real switch retries POAP for ever; the scenario's <c>expect: attempts</c> says how many
/// make the picture), or once it has been silent for <see cref="ServeOptions.FailedQuiet"/>.
/// </param>
public sealed record ServeTarget(ServeSwitch Switch, int FailedAfterAttempts)
{
    /// <summary>
    /// The active probes (<c>show version</c> over NX-API and/or SSH) made once the wire shows
    /// the switch back after its reload; null: none. Its verdict waits for them.
    /// </summary>
    public SwitchProbeOptions? Probe { get; init; }
}

/// <summary>How a serve run goes.</summary>
public sealed record ServeOptions
{
    /// <summary>The interface wired to the switches.</summary>
    public required InterfaceHost Host { get; init; }

    /// <summary>Where <c>capture.pcapng</c> (and <c>capture.txt</c>) are written; it must exist.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The switches expected on the segment.</summary>
    public required IReadOnlyList<ServeTarget> Switches { get; init; }

    /// <summary>The servers to bring up on the interface (the scenario's, at its lab addresses).</summary>
    public required IReadOnlyList<LabServiceSpec> Services { get; init; }

    /// <summary>The events a serve run's lab timeline keeps, the last ones, unless <see cref="Lab"/> says otherwise (<see cref="LabOptions.TimelineLimit"/>).</summary>
    public const int TimelineLimit = 1_000;

    /// <summary>The lab's service factories and work directory (its transport is the interface's).</summary>
    public LabOptions Lab { get; init; } = new();

    /// <summary>The run ends here at the latest, verdicts or not. Default 30 minutes (a Nexus reload takes several).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Serve even when another DHCP server answers on the segment.</summary>
    public bool AllowOtherDhcp { get; init; }

    /// <summary>How long to listen for another DHCP server's OFFER before serving. Default 2 s.</summary>
    public TimeSpan ProbeTime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the run goes on once every switch has its verdict (the exchange under way completes). Default 3 s.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A switch judged failed and silent this long has its verdict. Default 60 s.</summary>
    public TimeSpan FailedQuiet { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The least time between two snapshots given to observers. Default 250 ms.</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Side-watchers (metrics, webhooks, syslog, a console).</summary>
    public IReadOnlyList<IServeObserver> Observers { get; init; } = [];

    /// <summary>How the judge weighs silences.</summary>
    public WireJudgeOptions? Judge { get; init; }

    /// <summary>The run's clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Told each progress line (servers up, a verdict, an observer's failure).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Called once the servers are up and the capture runs.</summary>
    public Action? Ready { get; init; }

    /// <summary>The router a relay runs on, put up before the servers (those in its upstream subnet go behind it); null: one segment.</summary>
    public ServeRouter? Router { get; init; }
}

/// <summary>A router between the interface's segment and the servers behind a DHCP relay.</summary>
/// <param name="Downstream">Its address on the interface's segment (the switches' gateway, the relay's giaddr).</param>
/// <param name="DownstreamPrefix">That subnet's prefix length.</param>
/// <param name="Upstream">Its address on the servers' segment.</param>
/// <param name="UpstreamPrefix">That subnet's prefix length.</param>
/// <param name="RouteBack">The servers' default route is the router (else they cannot answer the switches' subnet).</param>
public sealed record ServeRouter(IPAddress Downstream, int DownstreamPrefix, IPAddress Upstream, int UpstreamPrefix, bool RouteBack);

/// <summary>One expected switch at the end of a serve run.</summary>
/// <param name="Switch">The switch.</param>
/// <param name="Wire">What the wire says of it; null when none of its frames was seen.</param>
/// <param name="Settled">Whether it reached its verdict (else the run ended first).</param>
public sealed record ServeSwitchVerdict(ServeSwitch Switch, WireSwitch? Wire, bool Settled)
{
    /// <summary>What the active probes found once it was back (see <see cref="ServeTarget.Probe"/>); empty when none ran.</summary>
    public IReadOnlyList<ProbeFacts> Probes { get; init; } = [];
}

/// <summary>What a serve run saw and did.</summary>
/// <param name="Report">The judge's final picture.</param>
/// <param name="Switches">Each expected switch's verdict.</param>
/// <param name="Ending"><c>verdicts</c> (every switch has one), <c>timeout</c> or <c>cancelled</c>.</param>
/// <param name="Changes">What was done to the interface (all of it undone), as <c>ip</c> undo commands.</param>
/// <param name="UndoFailures">Changes that could not be undone (empty when the interface is as it was).</param>
/// <param name="CaptureSummary">The capture's one-line account.</param>
/// <param name="Problems">Observers' and servers' failures, in words.</param>
public sealed record ServeResult(
    WireReport Report, IReadOnlyList<ServeSwitchVerdict> Switches, string Ending, IReadOnlyList<string> Changes,
    IReadOnlyList<string> UndoFailures, string CaptureSummary, IReadOnlyList<string> Problems);

/// <summary>A serve run refused to start (with nothing changed on the interface).</summary>
public sealed class ServeRefusedException(string message) : Exception(message);

/// <summary>
/// <c>poaplab serve</c>'s engine: checks the interface (it exists, is not a loopback) and the
/// segment (no other DHCP server answers, unless allowed), brings the servers up on the
/// interface at their lab addresses (<see cref="InterfaceTransport"/>), captures the segment
/// with libpcap into <c>capture.pcapng</c> while feeding every frame to a <see cref="WireJudge"/>,
/// and ends when every expected switch has its verdict, at the timeout or when cancelled.
/// Whatever happens, the capture, the servers and every address added are undone before it
/// returns (and after a crash by <see cref="InterfaceChanges"/>' guardian).
/// </summary>
public static class ServeSession
{
    /// <summary>Runs a serve session.</summary>
    /// <exception cref="ServeRefusedException">The interface or the segment is not one to serve on; nothing was changed.</exception>
    public static async Task<ServeResult> RunAsync(ServeOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = options.Host;
        var time = options.Time;
        var log = options.Log ?? (_ => { });
        var problems = new List<string>();
        var state = await host.InspectAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new ServeRefusedException($"there is no interface {host}: name the NIC wired to the switches' mgmt0 (ip link shows them)");
        if (state.IsLoopback)
        {
            throw new ServeRefusedException($"{host.Interface} is a loopback interface: no switch can be wired to it; name the NIC wired to the switches' mgmt0");
        }
        if (options.Switches.Count == 0)
        {
            throw new ServeRefusedException("the scenario names no switch to wait for");
        }
        var (changes, replayed) = await InterfaceChanges.StartAsync(host, cancellationToken).ConfigureAwait(false);
        foreach (var line in replayed)
        {
            log($"undone what an earlier run left on the interface: ip {line}");
        }
        var judge = new WireJudge(options.Judge);
        var judgeGate = new Lock();
        long frames = 0;
        long version = 0;
        LabCapture? capture = null;
        Lab? lab = null;
        var started = new List<IServeObserver>();
        var probes = new Dictionary<string, Task<IReadOnlyList<ProbeFacts>>>(StringComparer.Ordinal);
        using var probeStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string ending;
        WireReport report;
        var normal = false;
        try
        {
            await changes.EnsureUpAsync(cancellationToken).ConfigureAwait(false);
            if (!options.AllowOtherDhcp)
            {
                log($"listening {options.ProbeTime.TotalSeconds:0.#} s on {host.Interface} for another DHCP server");
                var others = await OtherDhcpServers.FindAsync(host, options.ProbeTime, time, cancellationToken).ConfigureAwait(false);
                if (others.Count > 0)
                {
                    throw new ServeRefusedException($"another DHCP server answers on {host.Interface}: {string.Join(", ", others)} offered an address to a test DISCOVER. " +
                        "POAP takes the first offer it can use, so two servers on one segment make the run a race; switch it off for this segment, or pass --allow-other-dhcp to serve beside it");
                }
            }
            capture = host.Namespace is null
                ? LabCapture.OnInterface(Capture(options, raw => Observe(raw)), host.Interface)
                : LabCapture.OnInterface(Capture(options, raw => Observe(raw)), host.Interface, host.Namespace.Path);
            if (capture.Unavailable is { } why)
            {
                throw new ServeRefusedException($"serve judges the switches from the wire, and the wire cannot be captured: {why}");
            }
            log($"capturing {host.Interface} into {Path.Combine(options.OutputDirectory, "capture.pcapng")}");
            var transport = new InterfaceTransport(host, changes, OwnHosts(options.Services));
            // The verdicts come from the wire: the lab's timeline keeps only its last events, whatever the segment sends.
            lab = await Lab.CreateAsync(options.Lab with { Transport = new InterfaceTransportFactory(transport), TimelineLimit = options.Lab.TimelineLimit ?? ServeOptions.TimelineLimit }, cancellationToken).ConfigureAwait(false);
            if (options.Router is { } router)
            {
                await transport.AddRouterAsync(router.Downstream, router.DownstreamPrefix, router.Upstream, router.UpstreamPrefix, router.RouteBack, cancellationToken).ConfigureAwait(false);
                log($"router {router.Downstream} is up on {host.Interface}, the servers behind it at {router.Upstream}/{router.UpstreamPrefix}");
            }
            foreach (var spec in options.Services)
            {
                await StartServiceAsync(lab, spec, cancellationToken).ConfigureAwait(false);
                log($"{spec.Name} is up on {host.Interface}");
            }
            var serverAddress = options.Services.Select(s => s.Address).FirstOrDefault() ?? IPAddress.None;
            var context = new ServeContext(host.Interface, serverAddress, options.OutputDirectory, [.. options.Switches.Select(t => t.Switch)], time)
            {
                Sockets = transport.OwnHostSockets(serverAddress),
            };
            foreach (var observer in options.Observers)
            {
                if (await Guard(observer, "start", () => observer.StartAsync(context, cancellationToken), problems, log).ConfigureAwait(false))
                {
                    started.Add(observer);
                }
            }
            options.Ready?.Invoke();
            (ending, report) = await WatchAsync(options, () => Snapshot(), () => Interlocked.Read(ref version), started, probes, problems, log, probeStop.Token, cancellationToken).ConfigureAwait(false);
            normal = true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ending = "cancelled";
            report = Snapshot();
            normal = true;
        }
        finally
        {
            // A probe still trying when the run ends is stopped: its switch's probe says so.
            await probeStop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(probes.Values).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Reported per switch below.
            }
            if (capture is not null)
            {
                await capture.DisposeAsync().ConfigureAwait(false);
            }
            if (lab is not null)
            {
                await lab.DisposeAsync().ConfigureAwait(false);
            }
            if (!normal)
            {
                // Refused or failed on the way: the observers end, and the interface is put back before the exception goes on.
                foreach (var observer in options.Observers)
                {
                    await Guard(observer, "dispose", () => observer.DisposeAsync().AsTask(), problems, log).ConfigureAwait(false);
                }
                await changes.DisposeAsync().ConfigureAwait(false);
            }
        }
        report = Snapshot();
        foreach (var observer in started)
        {
            await Guard(observer, "finish", () => observer.OnFinishedAsync(report, CancellationToken.None), problems, log).ConfigureAwait(false);
        }
        foreach (var observer in options.Observers)
        {
            await Guard(observer, "dispose", () => observer.DisposeAsync().AsTask(), problems, log).ConfigureAwait(false);
        }
        var added = changes.Added;
        var undoFailures = await changes.UndoAsync().ConfigureAwait(false);
        await changes.DisposeAsync().ConfigureAwait(false);
        var verdicts = options.Switches.Select(t => (Find(t.Switch, report) is { } w
            ? new ServeSwitchVerdict(t.Switch, w, IsSettled(w, t, report, options))
            : new ServeSwitchVerdict(t.Switch, null, false)) with { Probes = ProbeResults(t, probes) }).ToList();
        return new ServeResult(report, verdicts, ending, added, undoFailures, capture?.Summary ?? "no capture", problems);

        void Observe(SharpPcap.RawCapture raw)
        {
            lock (judgeGate)
            {
                judge.Observe(WireFrame.From(++frames, raw));
            }
            Interlocked.Increment(ref version);
        }

        WireReport Snapshot()
        {
            lock (judgeGate)
            {
                return judge.Judge();
            }
        }
    }

    /// <summary>
    /// The addresses whose services run in a lab host of their own on the segment (a macvlan of
    /// the interface in a namespace): the user's daemons and PoapLab's sshd, which run as
    /// processes of their own and must see no other interface of the machine.
    /// </summary>
    internal static IEnumerable<IPAddress> OwnHosts(IEnumerable<LabServiceSpec> services) =>
        services.Where(s => s is Services.Real.RealServiceSpec or SshServiceSpec).Select(s => s.Address).Distinct();

    /// <summary>Starts one server; a user's daemon that refuses to start is a failure naming it and its log (everything already started is undone by the caller).</summary>
    private static async Task StartServiceAsync(Lab lab, LabServiceSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            await lab.StartServiceAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (Services.Real.RealServerException e)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    }

    private static LabCaptureOptions Capture(ServeOptions options, Action<SharpPcap.RawCapture> observe) =>
        new() { Path = Path.Combine(options.OutputDirectory, "capture.pcapng"), OnFrame = observe, TimeProvider = options.Time };

    private static IReadOnlyList<ProbeFacts> ProbeResults(ServeTarget target, Dictionary<string, Task<IReadOnlyList<ProbeFacts>>> probes)
    {
        if (!probes.TryGetValue(target.Switch.Name, out var task))
        {
            return [];
        }
        return task.IsCompletedSuccessfully ? task.Result
            : [new ProbeFacts("probe", "", ProbeOutcome.Failed, null, null, null, null, "the run ended before the probe had its answer")];
    }

    /// <summary>The probes of a switch the wire shows back: at the address it announced, else the one it leased last.</summary>
    private static async Task<IReadOnlyList<ProbeFacts>> ProbeAsync(ServeOptions options, ServeTarget target, SwitchProbeOptions probe, WireSwitch wire, Action<string> log, CancellationToken cancellationToken)
    {
        var address = wire.ManagementAddress ?? wire.AttemptList.LastOrDefault(a => a.Address is not null)?.Address;
        if (address is null)
        {
            return [new ProbeFacts("probe", "", ProbeOutcome.Failed, null, null, null, null, "no management address of the switch is known from the wire (it announced none and leased none)")];
        }
        log($"{target.Switch.Name}: probing {address} ({probe.Describe()}, user {probe.Credentials.User})");
        IReadOnlyList<ProbeFacts> facts;
        try
        {
            facts = await SwitchProbe.RunAsync(probe, address, options.Host, options.Host.CommandPrefix, options.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            facts = [new ProbeFacts("probe", address.ToString(), ProbeOutcome.Failed, null, null, null, null, $"the probe failed: {SwitchProbe.Clean(e.Message)}")];
        }
        foreach (var f in facts)
        {
            log($"{target.Switch.Name}: probe {f.Via} {f.Target}: {ProbeText(f.Outcome)}: {f.Detail}");
        }
        return facts;
    }

    /// <summary>A probe's outcome in words.</summary>
    public static string ProbeText(ProbeOutcome outcome) => outcome switch
    {
        ProbeOutcome.Answered => "answered",
        ProbeOutcome.Unreachable => "unreachable",
        ProbeOutcome.AuthRefused => "login refused",
        ProbeOutcome.Timeout => "timeout",
        ProbeOutcome.Malformed => "malformed answer",
        _ => "failed",
    };

    private static async Task<(string Ending, WireReport Report)> WatchAsync(
        ServeOptions options, Func<WireReport> snapshot, Func<long> version, IReadOnlyList<IServeObserver> observers,
        Dictionary<string, Task<IReadOnlyList<ProbeFacts>>> probes, List<string> problems, Action<string> log, CancellationToken probeToken, CancellationToken cancellationToken)
    {
        var time = options.Time;
        var start = time.GetTimestamp();
        long seen = -1;
        var settled = new HashSet<string>(StringComparer.Ordinal);
        DateTimeOffset? allSettledAt = null;
        var report = snapshot();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = version();
            if (now != seen)
            {
                seen = now;
                report = snapshot();
                foreach (var observer in observers)
                {
                    await Guard(observer, "snapshot", () => observer.OnSnapshotAsync(report, cancellationToken), problems, log).ConfigureAwait(false);
                }
            }
            foreach (var target in options.Switches)
            {
                if (!settled.Contains(target.Switch.Name) && Find(target.Switch, report) is { } wire && IsSettled(wire, target, report, options))
                {
                    settled.Add(target.Switch.Name);
                    log($"{target.Switch.Name} ({wire.Serial ?? target.Switch.Serial} {wire.Mac}): {WireJudge.VerdictText(wire.Verdict)}" +
                        (wire.FinalVersion is { } v ? $", NX-OS {v}" : "") + (wire.Hostname is { } h ? $", host name {h}" : ""));
                    if (wire.Verdict == WireVerdict.Provisioned && target.Probe is { } probe)
                    {
                        probes[target.Switch.Name] = ProbeAsync(options, target, probe, wire, log, probeToken);
                    }
                }
            }
            if (settled.Count == options.Switches.Count && probes.Values.All(p => p.IsCompleted))
            {
                allSettledAt ??= time.GetUtcNow();
                if (time.GetUtcNow() - allSettledAt >= options.Linger)
                {
                    return ("verdicts", snapshot());
                }
            }
            if (time.GetElapsedTime(start) >= options.Timeout)
            {
                return ("timeout", snapshot());
            }
            await Task.Delay(options.SnapshotInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the wire's picture of a switch is its verdict: provisioned and announced, or failed often (or long) enough.</summary>
    internal static bool IsSettled(WireSwitch wire, ServeTarget target, WireReport report, ServeOptions options)
    {
        if (wire.Verdict == WireVerdict.Provisioned)
        {
            return true;
        }
        if (wire.Verdict != WireVerdict.Failed)
        {
            return false;
        }
        if (wire.AttemptsAtLeast >= Math.Max(1, target.FailedAfterAttempts))
        {
            return true;
        }
        var last = wire.Timeline.Count > 0 ? wire.Timeline[^1].Time : (DateTimeOffset?)null;
        return last is { } t && options.Time.GetUtcNow() - t >= options.FailedQuiet;
    }

    /// <summary>The wire's switch of an expected one: by MAC, else by serial.</summary>
    public static WireSwitch? Find(ServeSwitch sw, WireReport report)
    {
        ArgumentNullException.ThrowIfNull(sw);
        ArgumentNullException.ThrowIfNull(report);
        var mac = NormalMac(sw.Mac);
        return report.Switches.FirstOrDefault(s => mac is not null && string.Equals(s.Mac, mac, StringComparison.OrdinalIgnoreCase))
            ?? report.Switches.FirstOrDefault(s => sw.Serial is not null && string.Equals(s.Serial, sw.Serial, StringComparison.Ordinal));
    }

    private static string? NormalMac(string? text)
    {
        if (text is null)
        {
            return null;
        }
        try
        {
            var bytes = System.Net.NetworkInformation.PhysicalAddress.Parse(text.Replace(':', '-').Replace('.', '-')).GetAddressBytes();
            return string.Join(':', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static async Task<bool> Guard(IServeObserver observer, string what, Func<Task> call, List<string> problems, Action<string> log)
    {
        try
        {
            await call().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException and not OperationCanceledException)
        {
            var text = $"observer {observer.GetType().Name} failed in {what}: {e.Message}";
            lock (problems)
            {
                problems.Add(text);
            }
            log(text);
            return false;
        }
    }
}
