using PoapLab.Lab.Addressing;
using PoapLab.Lab.Services;
using PoapLab.Lab.Services.Embedded;
using PoapLab.Lab.Transports;
using PoapLab.Lab.Transports.Virtual;
using PoapLab.Switch.Device;
using PoapLab.Switch.Network;
using PoapLab.Switch.Script;

namespace PoapLab.Lab;

/// <summary>How a <see cref="Lab"/> is made.</summary>
public sealed record LabOptions
{
    /// <summary>Where every switch's clock starts (each switch has its own).</summary>
    public DateTimeOffset ClockStart { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How switches and hosts meet; <c>virtual</c> by default.</summary>
    public ILabTransportFactory Transport { get; init; } = VirtualTransportFactory.Instance;

    /// <summary>The service factories, asked in order (put real-server factories first); the embedded ones by default.</summary>
    public IReadOnlyList<ILabServiceFactory> ServiceFactories { get; init; } = EmbeddedServiceFactories.All;

    /// <summary>Where the lab's loopback block comes from; the process-wide pool by default.</summary>
    public LoopbackBlockPool AddressPool { get; init; } = LoopbackBlockPool.Shared;

    /// <summary>Real time (event real times, certificates).</summary>
    public TimeProvider RealTime { get; init; } = TimeProvider.System;

    /// <summary>A directory of the lab's own for services' files and logs; the system's temporary directory by default.</summary>
    public string? WorkDirectory { get; init; }

    /// <summary>Runs the switches' POAP scripts; one shared host by default.</summary>
    public ScriptHost? Scripts { get; init; }

    /// <summary>The timeline keeps this many events at most, the last ones (<see cref="Core.Events.Timeline.Limit"/>); null, the default: every event.</summary>
    public int? TimelineLimit { get; init; }
}

/// <summary>One switch to add to a lab.</summary>
/// <param name="Spec">What the switch is (identity, image, flash root, POAP settings).</param>
public sealed record LabSwitchOptions(SwitchSpec Spec)
{
    /// <summary>What the switch's link does to its datagrams (none by default).</summary>
    public LinkFaults Link { get; init; } = LinkFaults.None;
}
