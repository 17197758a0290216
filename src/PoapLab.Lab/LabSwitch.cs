using System.Net;
using PoapLab.Core.Time;
using PoapLab.Lab.Faults;
using PoapLab.Switch.Device;
using PoapLab.Switch.Network;

namespace PoapLab.Lab;

/// <summary>A switch of a lab: the simulated device, its own clock and its network.</summary>
public sealed class LabSwitch
{
    internal LabSwitch(string name, SimClock clock, ISwitchNetwork network, LinkFaultNetwork? link, IPAddress? clientAddress, NexusSwitch device, IAttemptSource attempts, IAsyncDisposable? owned)
    {
        Owned = owned;
        Name = name;
        Clock = clock;
        Network = network;
        Link = link;
        ClientAddress = clientAddress;
        Device = device;
        Attempts = attempts;
    }

    /// <summary>The switch's name.</summary>
    public string Name { get; }

    /// <summary>Its own clock: only its own modelled durations move it.</summary>
    public SimClock Clock { get; }

    /// <summary>Its network as it speaks it (link faults included).</summary>
    public ISwitchNetwork Network { get; }

    /// <summary>Its link faults, or null when its link is perfect.</summary>
    public LinkFaultNetwork? Link { get; }

    /// <summary>The address servers see it at when its transport knows it up front.</summary>
    public IPAddress? ClientAddress { get; }

    /// <summary>The simulated switch.</summary>
    public NexusSwitch Device { get; }

    /// <summary>What the transport made for it alone (disposed after it), or null.</summary>
    internal IAsyncDisposable? Owned { get; }

    /// <summary>The POAP attempt it is on, as the lab's faults see it.</summary>
    public IAttemptSource Attempts { get; }
}
