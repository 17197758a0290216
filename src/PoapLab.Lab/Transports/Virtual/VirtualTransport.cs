using System.Net;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Capture;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Transports.Virtual;

/// <summary>
/// The <c>virtual</c> transport: no root, no namespace. Every lab host gets a loopback address
/// of the lab's block (127.B.x.y) and every service the port its socket bound there; each
/// switch gets a loopback address of its own and a <see cref="VirtualNetwork"/> that maps lab
/// addresses (10.0.0.1:69) to those loopback endpoints and back.
/// </summary>
public sealed class VirtualTransport : ILabTransport
{
    private readonly LoopbackBlock _addresses;

    /// <param name="addresses">The lab's loopback block: every address this transport gives comes from it.</param>
    public VirtualTransport(LoopbackBlock addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        _addresses = addresses;
        Map = new LabAddressMap(addresses.Next);
    }

    /// <summary>The transport's name.</summary>
    public const string TransportName = "virtual";

    /// <inheritdoc />
    public string Name => TransportName;

    /// <inheritdoc />
    public string CaptureFilter => _addresses.CaptureFilter;

    /// <inheritdoc />
    public LabCapture StartCapture(LabCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return LabCapture.OnLoopback(options with { Filter = CaptureFilter }, new LabAddressMapBook(Map, _addresses.Contains));
    }

    /// <summary>Where each lab address and service really is.</summary>
    public LabAddressMap Map { get; }

    /// <inheritdoc />
    public ValueTask<LabServicePlace> PlaceServiceAsync(IPAddress labHost, LabProtocol protocol, int labPort, int prefixLength, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(new LabServicePlace(labHost, protocol, labPort, new IPEndPoint(Map.LoopbackFor(labHost), 0)));
    }

    /// <inheritdoc />
    public void ServiceBound(LabServicePlace place, IPEndPoint bound)
    {
        ArgumentNullException.ThrowIfNull(place);
        Map.AddService(place.LabHost, place.Protocol, place.LabPort, bound);
    }

    /// <inheritdoc />
    public void AddLogin(IPAddress labHost, int labPort, string labUser, string account) =>
        Map.AddLogin(labHost, labPort, labUser, account);

    /// <inheritdoc />
    public ValueTask<LabSwitchAttachment> AttachSwitchAsync(LabSwitchPlace place, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(place);
        cancellationToken.ThrowIfCancellationRequested();
        var network = new VirtualNetwork(Map, _addresses.Next(), place.Clock);
        return ValueTask.FromResult(new LabSwitchAttachment(network, network.SwitchLoopback));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Makes <see cref="VirtualTransport"/>s.</summary>
public sealed class VirtualTransportFactory : ILabTransportFactory
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static VirtualTransportFactory Instance { get; } = new();

    /// <inheritdoc />
    public string Name => VirtualTransport.TransportName;

    /// <inheritdoc />
    public ValueTask<ILabTransport> CreateAsync(LoopbackBlock addresses, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ILabTransport>(new VirtualTransport(addresses));
    }
}
