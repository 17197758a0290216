using System.Net;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>A switch a <c>serve</c> run expects on its segment (from the scenario).</summary>
/// <param name="Name">The scenario's name for it.</param>
/// <param name="Serial">Its serial (the DHCP client identifier), when the scenario names one.</param>
/// <param name="Mac">Its MAC, when the scenario names one.</param>
public sealed record ServeSwitch(string Name, string? Serial, string? Mac);

/// <summary>What an observer of a <c>serve</c> run is told when the run starts.</summary>
/// <param name="Interface">The interface POAP is served on (e.g. <c>eth1</c>).</param>
/// <param name="ServerAddress">The lab address the servers are bound to on it.</param>
/// <param name="OutputDirectory">The run's report folder (per-switch files go in a folder per switch name).</param>
/// <param name="Switches">The switches the scenario expects.</param>
/// <param name="Time">The run's clock.</param>
public sealed record ServeContext(
    string Interface, IPAddress ServerAddress, string OutputDirectory, IReadOnlyList<ServeSwitch> Switches, TimeProvider Time)
{
    /// <summary>
    /// Makes sockets where <see cref="ServerAddress"/> is when that is a host of its own (a
    /// user's daemon's address, in its namespace); null: in PoapLab's own namespace.
    /// </summary>
    public PoapLab.Servers.Hosting.ISocketFactory? Sockets { get; init; }
}

/// <summary>
/// Watches a <c>serve</c> run from the side (metrics, webhooks, syslog, a console): started
/// once, then given the wire's picture as it grows (at most a few times a second, and only
/// when something changed), then the final picture. An observer must not throw for a
/// failure of its own (an unreachable webhook): it reports it and carries on; what it starts
/// it ends in <see cref="IAsyncDisposable.DisposeAsync"/>.
/// </summary>
public interface IServeObserver : IAsyncDisposable
{
    /// <summary>Called once before the first frame.</summary>
    Task StartAsync(ServeContext context, CancellationToken cancellationToken);

    /// <summary>Called with the judge's current picture whenever it changed.</summary>
    Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken);

    /// <summary>Called once with the final picture, before disposal.</summary>
    Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken);
}
