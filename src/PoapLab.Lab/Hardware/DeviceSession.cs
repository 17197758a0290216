using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Capture;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;

namespace PoapLab.Lab.Hardware;

/// <summary>How a standalone simulated switch runs on a real interface.</summary>
public sealed record DeviceOptions
{
    /// <summary>The interface to take (it becomes the switch's mgmt0) and where it is now.</summary>
    public required InterfaceHost Host { get; init; }

    /// <summary>The switch (its spec, link faults).</summary>
    public required LabSwitchOptions Switch { get; init; }

    /// <summary>The lab's clock start, scripts and work directory (its transport is the interface).</summary>
    public LabOptions Lab { get; init; } = new();

    /// <summary>Once up with its configuration, the switch announces itself (CDP, LLDP with <c>feature lldp</c>) this often; NX-OS's default CDP timer is 60 s.</summary>
    public TimeSpan AnnounceInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long it stays up announcing after POAP; null: until cancelled.</summary>
    public TimeSpan? StayUp { get; init; }

    /// <summary>Told each progress line.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The real clock of the announcements.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>What a standalone switch did.</summary>
/// <param name="Run">Its POAP as it recorded it; null when it was stopped before POAP ended.</param>
/// <param name="Announcements">CDP (and LLDP) announcements it sent after POAP.</param>
/// <param name="GiveBackProblem">Why the interface could not be given back as it was, or null.</param>
public sealed record DeviceResult(PoapRunResult? Run, int Announcements, string? GiveBackProblem)
{
    /// <summary>NX-API requests it answered after its reload (its configuration had <c>feature nxapi</c>); null when it served no NX-API.</summary>
    public int? NxApiRequests { get; init; }
}

/// <summary>A device run refused to start (nothing was changed).</summary>
public sealed class DeviceRefusedException(string message) : Exception(message);

/// <summary>
/// <c>poaplab device</c>'s engine: one simulated switch as a standalone device on a real
/// interface. The interface is moved into a network namespace of the device's own (held by a
/// child that dies with PoapLab, <see cref="NetworkNamespace"/>), renamed <c>mgmt0</c> and given
/// the switch's MAC, so the switch's DHCP broadcasts and the kernel's TCP/IP leave by it as by
/// a Nexus's management port (the namespace transport's <see cref="NamespaceNetwork"/>). After
/// its reload the switch announces itself every <see cref="DeviceOptions.AnnounceInterval"/>,
/// and with <c>feature nxapi</c> in its configuration serves NX-API on mgmt0 from then on
/// (<see cref="DeviceNxApi"/>), as a Nexus does once up.
/// On the way out the interface gets its name, MAC and state back and returns to where it was.
/// After a <c>kill -9</c> the holder dies with PoapLab and the kernel frees the namespace: a
/// physical NIC returns to the machine's namespace (still named mgmt0), a veth is deleted.
/// </summary>
public static class DeviceSession
{
    private const string Mgmt0 = "mgmt0";

    /// <summary>Runs the switch until its POAP ends and then <see cref="DeviceOptions.StayUp"/> passes, or until cancelled.</summary>
    /// <exception cref="DeviceRefusedException">No such interface, or a loopback one.</exception>
    public static async Task<DeviceResult> RunAsync(DeviceOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var host = options.Host;
        var log = options.Log ?? (_ => { });
        var state = await host.InspectAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new DeviceRefusedException($"there is no interface {host}: name the NIC (or veth) the simulated switch's mgmt0 is to be");
        if (state.IsLoopback)
        {
            throw new DeviceRefusedException($"{host.Interface} is a loopback interface: a switch's mgmt0 must be an Ethernet interface");
        }
        var identity = options.Switch.Spec.Identity;
        var ns = await NetworkNamespace.CreateAsync($"device {identity.Name}", cancellationToken).ConfigureAwait(false);
        string? problem = null;
        var moved = false;
        Lab? lab = null;
        PoapRunResult? run = null;
        var announcements = 0;
        DeviceNxApi? nxapi = null;
        try
        {
            await host.RunCheckedAsync("ip", ["link", "set", "dev", host.Interface, "netns", ns.Path], cancellationToken).ConfigureAwait(false);
            moved = true;
            await ns.RunCheckedAsync("sysctl", ["-q", "-w", $"net.ipv6.conf.{host.Interface}.accept_dad=0"], cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["link", "set", "dev", host.Interface, "down"], cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["link", "set", "dev", host.Interface, "name", Mgmt0, "address", Colon(identity.SystemMac)], cancellationToken).ConfigureAwait(false);
            await ns.RunCheckedAsync("ip", ["link", "set", "dev", Mgmt0, "up"], cancellationToken).ConfigureAwait(false);
            await WaitCarrierAsync(ns, cancellationToken).ConfigureAwait(false);
            log($"{host.Interface} is {identity.Name}'s {Mgmt0} (MAC {Colon(identity.SystemMac)}, serial {identity.Serial})");
            var port = new SwitchPort(identity.Name, ns, host.Interface, identity.SystemMac) { Device = Mgmt0, Vrf = "management" };
            var transport = new DeviceTransport(port);
            lab = await Lab.CreateAsync(options.Lab with { Transport = new DeviceTransportFactory(transport) }, cancellationToken).ConfigureAwait(false);
            var sw = await lab.AddSwitchAsync(options.Switch, cancellationToken).ConfigureAwait(false);
            transport.Network.BeforeFirstAnnouncement = () =>
            {
                // Up with its configuration: NX-API starts before the switch tells the segment it is back.
                if (NxApiSettings.FromRunningConfig(sw.Device.State.RunningConfig) is not { } settings)
                {
                    return;
                }
                nxapi = new DeviceNxApi(settings, async (command, json, ct) =>
                {
                    var result = await sw.Device.Cli.ExecuteAsync(command, json, ct).ConfigureAwait(false);
                    return (result.Status == PoapLab.Switch.Cli.CliStatus.Ok, result.Output);
                }, transport.Network.CreateLocalSocket, line => log($"{identity.Name}: {line}"));
                try
                {
                    nxapi.Start(IPAddress.Any);
                }
                catch (SocketException e)
                {
                    log($"{identity.Name}: NX-API could not start: {e.Message}");
                }
            };
            run = await sw.Device.PowerOnAsync(cancellationToken).ConfigureAwait(false);
            log($"{identity.Name}: POAP {run.Outcome} after {run.Attempts.Count} attempt(s), running NX-OS {run.RunningVersion}");
            if (transport.LastAnnouncement is { } announcement)
            {
                announcements = 1;
                var start = options.Time.GetTimestamp();
                while (options.StayUp is not { } stay || options.Time.GetElapsedTime(start) + options.AnnounceInterval <= stay)
                {
                    await Task.Delay(options.AnnounceInterval, options.Time, cancellationToken).ConfigureAwait(false);
                    await transport.Network.AnnounceAsync(announcement, cancellationToken).ConfigureAwait(false);
                    announcements++;
                }
            }
            else if (options.StayUp is { } stay)
            {
                await Task.Delay(stay, options.Time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the interface goes back all the same.
        }
        finally
        {
            if (nxapi is not null)
            {
                await nxapi.DisposeAsync().ConfigureAwait(false);
            }
            if (lab is not null)
            {
                await lab.DisposeAsync().ConfigureAwait(false);
            }
            if (moved)
            {
                problem = await GiveBackAsync(ns, host, state).ConfigureAwait(false);
            }
            await ns.DisposeAsync().ConfigureAwait(false);
        }
        return new DeviceResult(run, announcements, problem) { NxApiRequests = nxapi?.Requests };
    }

    private static async Task<string?> GiveBackAsync(NetworkNamespace ns, InterfaceHost host, InterfaceState was)
    {
        // Stopped between the move and the rename, it still has its own name in there.
        var name = (await ns.RunAsync("ip", ["link", "show", "dev", Mgmt0], CancellationToken.None).ConfigureAwait(false)).ExitCode == 0
            ? Mgmt0 : host.Interface;
        var steps = new List<string[]>
        {
            new[] { "link", "set", "dev", name, "down" },
            new[] { "addr", "flush", "dev", name },
        };
        var rename = new List<string> { "link", "set", "dev", name, "name", host.Interface };
        if (was.Mac is { } mac)
        {
            rename.AddRange(["address", mac]);
        }
        steps.Add([.. rename]);
        steps.Add(["link", "set", "dev", host.Interface, "netns", host.NamespacePath]);
        foreach (var step in steps)
        {
            var result = await ns.RunAsync("ip", step, CancellationToken.None).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                return $"could not give {host.Interface} back ('ip {string.Join(' ', step)}': {result.Error.Trim()})";
            }
        }
        if (was.IsUp)
        {
            var up = await host.RunAsync("ip", ["link", "set", "dev", host.Interface, "up"], CancellationToken.None).ConfigureAwait(false);
            if (up.ExitCode != 0)
            {
                return $"{host.Interface} is back but could not be set up again: {up.Error.Trim()}";
            }
        }
        return null;
    }

    private static async Task WaitCarrierAsync(NetworkNamespace ns, CancellationToken cancellationToken)
    {
        // Bounded: 100 looks, 20 ms apart. A NIC with no cable stays down; the switch's DISCOVERs then go nowhere, as on a Nexus.
        for (var look = 0; look < 100; look++)
        {
            var state = await ns.RunAsync("ip", ["-o", "link", "show", "dev", Mgmt0], cancellationToken).ConfigureAwait(false);
            if (state.Output.Contains("state UP", StringComparison.Ordinal) || state.Output.Contains("LOWER_UP", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    private static string Colon(PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The transport of one standalone switch: its port is the real interface, in the device's namespace.</summary>
    private sealed class DeviceTransport(SwitchPort port) : ILabTransport
    {
        private Announcing? _network;

        public Announcing Network => _network ?? throw new InvalidOperationException("no switch attached");

        public LinkAnnouncement? LastAnnouncement => _network?.Last;

        public string Name => "device";

        public string CaptureFilter => "";

        public LabCapture StartCapture(LabCaptureOptions options) => throw new NotSupportedException("a device run captures nothing (serve captures the segment)");

        public ValueTask<LabServicePlace> PlaceServiceAsync(IPAddress labHost, LabProtocol protocol, int labPort, int prefixLength, CancellationToken cancellationToken) =>
            throw new NotSupportedException("a device run serves nothing: the scenario's servers are 'poaplab serve's (or your own)");

        public void ServiceBound(LabServicePlace place, IPEndPoint bound)
        {
        }

        public void AddLogin(IPAddress labHost, int labPort, string labUser, string account)
        {
        }

        public ValueTask<LabSwitchAttachment> AttachSwitchAsync(LabSwitchPlace place, CancellationToken cancellationToken)
        {
            if (_network is not null)
            {
                throw new InvalidOperationException("a device run has one switch");
            }
            var inner = new NamespaceNetwork(port, place.Clock.RealWaitCap);
            _network = new Announcing(inner);
            return ValueTask.FromResult(new LabSwitchAttachment(_network, null) { Owned = inner });
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class DeviceTransportFactory(DeviceTransport transport) : ILabTransportFactory
    {
        public string Name => transport.Name;

        public ValueTask<ILabTransport> CreateAsync(LoopbackBlock addresses, CancellationToken cancellationToken) => ValueTask.FromResult<ILabTransport>(transport);
    }

    /// <summary>The switch's network, keeping the announcement it made so that it can be repeated on the CDP timer.</summary>
    private sealed class Announcing(NamespaceNetwork inner) : ISwitchNetwork
    {
        public LinkAnnouncement? Last { get; private set; }

        /// <summary>Run once, before the first announcement leaves (the switch is up with its configuration).</summary>
        public Action? BeforeFirstAnnouncement { get; set; }

        public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken) => inner.OpenUdpAsync(localPort, cancellationToken);

        public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) => inner.ConnectTcpAsync(host, port, cancellationToken);

        public IPAddress? Resolve(string host) => inner.Resolve(host);

        public void ExpectSilence() => inner.ExpectSilence();

        public ValueTask ConfigureAsync(IPAddress address, int prefixLength, IPAddress? gateway, CancellationToken cancellationToken) =>
            inner.ConfigureAsync(address, prefixLength, gateway, cancellationToken);

        public IReadOnlyList<string> ClientCommandPrefix => inner.ClientCommandPrefix;

        public Socket CreateLocalSocket(AddressFamily family, SocketType type, ProtocolType protocol) => inner.CreateLocalSocket(family, type, protocol);

        public async ValueTask<ISwitchNetwork?> ForVrfAsync(string vrf, CancellationToken cancellationToken)
        {
            var network = await inner.ForVrfAsync(vrf, cancellationToken).ConfigureAwait(false);
            return ReferenceEquals(network, inner) ? this : network;
        }

        public bool HasRoute(IPAddress host) => inner.HasRoute(host);

        public ValueTask AnnounceAsync(LinkAnnouncement announcement, CancellationToken cancellationToken)
        {
            if (Last is null)
            {
                BeforeFirstAnnouncement?.Invoke();
            }
            Last = announcement;
            return inner.AnnounceAsync(announcement, cancellationToken);
        }
    }
}
