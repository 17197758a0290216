using PoapLab.Core.Events;
using PoapLab.Lab.Transports;
using PoapLab.Servers.Faults;

namespace PoapLab.Lab.Services;

/// <summary>
/// Starts the services of one kind. A lab asks its factories in order and the first whose
/// <see cref="Kind"/> matches and that <see cref="CanStart"/> the spec starts it: the embedded
/// factories take the embedded specs, a real-server factory takes its own.
/// </summary>
public interface ILabServiceFactory
{
    /// <summary>The kind it starts.</summary>
    ServiceKind Kind { get; }

    /// <summary>Whether it knows how to start <paramref name="spec"/>.</summary>
    bool CanStart(LabServiceSpec spec);

    /// <summary>
    /// Starts the service where <see cref="LabServiceContext.Transport"/> places it, and
    /// declares what it bound to the transport. On failure nothing it started is left running.
    /// </summary>
    ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken);
}

/// <summary>What a lab gives every service it starts.</summary>
/// <param name="Transport">Where the service binds (<see cref="ILabTransport.PlaceServiceAsync"/>) and declares what it bound.</param>
/// <param name="Events">Where it records: each event stamped with the clock of the switch it answered.</param>
/// <param name="Faults">Attempts of the asking switch, and the channel for "I will not answer this client".</param>
/// <param name="Time">Real time (certificates' validity, log times).</param>
/// <param name="WorkDirectory">A directory of the lab's own for the service's files and logs.</param>
public sealed record LabServiceContext(ILabTransport Transport, IEventSink Events, IFaultContext Faults, TimeProvider Time, string WorkDirectory);
