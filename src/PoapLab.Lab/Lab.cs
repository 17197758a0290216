using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Faults;
using PoapLab.Lab.Services;
using PoapLab.Lab.Transports;
using PoapLab.Switch.Device;
using PoapLab.Switch.Script;

namespace PoapLab.Lab;

/// <summary>
/// One lab: its address plan (a loopback block of its own, 127.B.0.0/16), its timeline, one
/// clock per switch, its services and its transport. Services are started by the factory of
/// their kind, placed by the transport; switches are connected through the transport, with
/// their link faults wrapped around whatever network it gives. Server events are stamped with
/// the clock of the switch they answered; a server's "I will not answer" reaches that switch's
/// network through <see cref="Faults"/>; the switches' own attempt events feed the attempt
/// registry fault triggers read. Disposing stops the switches, then the services, then the
/// transport, and gives the block back, whatever fails on the way.
/// </summary>
public sealed class Lab : IAsyncDisposable
{
    private readonly LabOptions _options;
    private readonly ScriptHost _scripts;
    private readonly Lock _gate = new();
    private readonly List<ILabService> _services = [];
    private readonly List<LabSwitch> _switches = [];
    private readonly LabServiceContext _serviceContext;
    private int _disposed;

    private Lab(LabOptions options, LoopbackBlock addresses, ILabTransport transport, string workDirectory)
    {
        _options = options;
        _scripts = options.Scripts ?? new ScriptHost();
        Addresses = addresses;
        Transport = transport;
        Timeline = new Timeline(options.RealTime) { Limit = options.TimelineLimit };
        Clients = new LabClients();
        Attempts = new SwitchAttempts();
        Faults = new LabFaultRouter(Clients, Attempts, () => CountServices(ServiceKind.Dhcp));
        ServerEvents = new ServerEventSink(Timeline, Clients);
        WorkDirectory = workDirectory;
        _serviceContext = new LabServiceContext(Transport, ServerEvents, Faults, options.RealTime, workDirectory);
    }

    /// <summary>
    /// Makes a lab: takes a loopback block from <see cref="LabOptions.AddressPool"/> and makes
    /// the transport. Throws <see cref="LabAddressExhaustedException"/> when every block is held.
    /// </summary>
    public static async Task<Lab> CreateAsync(LabOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var addresses = options.AddressPool.Rent();
        try
        {
            var transport = await options.Transport.CreateAsync(addresses, cancellationToken).ConfigureAwait(false);
            return new Lab(options, addresses, transport, options.WorkDirectory ?? Path.GetTempPath());
        }
        catch
        {
            addresses.Dispose();
            throw;
        }
    }

    /// <summary>The lab's loopback block; <see cref="LoopbackBlock.CaptureFilter"/> selects its traffic.</summary>
    public LoopbackBlock Addresses { get; }

    /// <summary>How its hosts and switches meet.</summary>
    public ILabTransport Transport { get; }

    /// <summary>Every event of the lab, each stamped with the clock of the switch it concerns.</summary>
    public Timeline Timeline { get; }

    /// <summary>Which switch is behind a client address, MAC or DUID.</summary>
    public LabClients Clients { get; }

    /// <summary>The POAP attempt each switch is on.</summary>
    public SwitchAttempts Attempts { get; }

    /// <summary>The fault context every service gets: attempts by client, and the typed silence channel.</summary>
    public LabFaultRouter Faults { get; }

    /// <summary>Where services record (events attributed to the switch they answered).</summary>
    public IEventSink ServerEvents { get; }

    /// <summary>The lab's directory for service files and logs.</summary>
    public string WorkDirectory { get; }

    /// <summary>The services started so far.</summary>
    public IReadOnlyList<ILabService> Services
    {
        get { lock (_gate) { return [.. _services]; } }
    }

    /// <summary>The switches added so far, in order.</summary>
    public IReadOnlyList<LabSwitch> Switches
    {
        get { lock (_gate) { return [.. _switches]; } }
    }

    private int CountServices(ServiceKind kind)
    {
        lock (_gate)
        {
            return _services.Count(s => s.Kind == kind);
        }
    }

    /// <summary>
    /// Starts a service with the first factory of its kind that can start it; the lab stops it
    /// when disposed. Throws <see cref="NotSupportedException"/> when no factory can.
    /// </summary>
    public async Task<ILabService> StartServiceAsync(LabServiceSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var factory = _options.ServiceFactories.FirstOrDefault(f => f.Kind == spec.Kind && f.CanStart(spec))
            ?? throw new NotSupportedException($"no {spec.Kind} service of this kind can be started here ({spec.GetType().Name} for {spec.Name})");
        var service = await factory.StartAsync(spec, _serviceContext, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _services.Add(service);
        }
        return service;
    }

    /// <summary>
    /// Adds a switch: a clock of its own starting at <see cref="LabOptions.ClockStart"/>, its
    /// network from the transport with its link faults around it, and the simulated switch
    /// recording to the timeline under its name. It is not powered on.
    /// </summary>
    public async Task<LabSwitch> AddSwitchAsync(LabSwitchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var identity = options.Spec.Identity;
        var name = identity.Name;
        // The switch's own clock: its time advances only by its own modelled durations.
        var clock = new SimClock(_options.ClockStart);
        Timeline.AddSwitch(name, clock);
        var place = new LabSwitchPlace(name, identity.SystemMac, clock) { AddressConfigured = address => Clients.AddAddress(name, address), Interface = options.Spec.Poap.Interface };
        LabSwitchAttachment attachment;
        try
        {
            attachment = await Transport.AttachSwitchAsync(place, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // A switch the transport refused never joined: its name is free again.
            Timeline.RemoveSwitch(name);
            Clients.Remove(name);
            throw;
        }
        try
        {
            return Add(options, name, clock, attachment);
        }
        catch
        {
            if (attachment.Owned is { } owned)
            {
                await owned.DisposeAsync().ConfigureAwait(false);
            }
            Timeline.RemoveSwitch(name);
            Clients.Remove(name);
            Faults.RemoveSwitch(name);
            throw;
        }
    }

    private LabSwitch Add(LabSwitchOptions options, string name, SimClock clock, LabSwitchAttachment attachment)
    {
        var identity = options.Spec.Identity;
        var attempts = Attempts.For(name);
        var link = options.Link.IsEmpty ? null : new LinkFaultNetwork(attachment.Network, clock, options.Link, attempts);
        var network = (Switch.Network.ISwitchNetwork?)link ?? attachment.Network;
        Clients.Add(name, attachment.ClientAddress, identity.SystemMac);
        Faults.AddSwitch(name, network);
        var device = new NexusSwitch(options.Spec, network, clock, Attempts.Track(name, Timeline.ForSwitch(name)), _scripts);
        var sw = new LabSwitch(name, clock, network, link, attachment.ClientAddress, device, attempts, attachment.Owned);
        lock (_gate)
        {
            _switches.Add(sw);
        }
        return sw;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        foreach (var s in Switches)
        {
            try
            {
                s.Device.Dispose();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // One switch that cannot clean up must not keep the others (or the servers) running.
            }
            try
            {
                if (s.Owned is { } owned)
                {
                    await owned.DisposeAsync().ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // As above.
            }
        }
        foreach (var service in Services)
        {
            try
            {
                await service.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                // As above: every service is stopped, whatever one of them throws.
            }
        }
        try
        {
            await Transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            // The transport's own teardown failed: the block still goes back.
        }
        finally
        {
            Addresses.Dispose();
        }
    }
}
