using System.Net;

namespace PoapLab.Switch.Network;

/// <summary>
/// A rule for the datagrams between the switch and one lab peer: extra delay, loss,
/// on some POAP attempts only. Two DHCP servers answering in a chosen order is a delay
/// rule on one of them.
/// </summary>
/// <param name="Peer">The lab host (any host when null).</param>
/// <param name="Port">The peer's lab port (any when null), e.g. 67 for a DHCP server.</param>
/// <param name="Delay">Switch time added to each datagram from the peer.</param>
/// <param name="Drop">Drop every datagram from the peer (it looks dead to the switch).</param>
/// <param name="Attempts">Only on these POAP attempts (empty: always).</param>
public sealed record LinkRule(IPAddress? Peer, int? Port, TimeSpan Delay, bool Drop, IReadOnlyList<int> Attempts)
{
    public bool Applies(IPEndPoint peer, int attempt) =>
        (Peer is null || Peer.Equals(peer.Address)) &&
        (Port is null || Port == peer.Port) &&
        (Attempts.Count == 0 || Attempts.Contains(attempt));
}

/// <summary>
/// What the switch's link does to UDP datagrams: loss each way, duplication, reordering,
/// delay (all in switch time), from a seeded generator so the same scenario gives the
/// same run. TCP is not conditioned (its own retransmission hides loss; HTTP faults are
/// injected at the server).
/// </summary>
public sealed record LinkFaults
{
    public static LinkFaults None { get; } = new();

    /// <summary>Chance a datagram to the switch is lost.</summary>
    public double LossToSwitch { get; init; }

    /// <summary>Chance a datagram from the switch is lost.</summary>
    public double LossFromSwitch { get; init; }

    /// <summary>Chance a datagram to the switch arrives twice.</summary>
    public double Duplicate { get; init; }

    /// <summary>Chance a datagram to the switch is held back and delivered after the next one.</summary>
    public double Reorder { get; init; }

    /// <summary>Switch time added to every datagram to the switch.</summary>
    public TimeSpan Delay { get; init; }

    public IReadOnlyList<LinkRule> Rules { get; init; } = [];

    public int Seed { get; init; } = 1;

    public bool IsEmpty => LossToSwitch == 0 && LossFromSwitch == 0 && Duplicate == 0 && Reorder == 0 && Delay == TimeSpan.Zero && Rules.Count == 0;

    public string Describe()
    {
        var parts = new List<string>();
        if (LossToSwitch > 0 || LossFromSwitch > 0)
        {
            parts.Add($"loss {LossToSwitch:P0} to / {LossFromSwitch:P0} from the switch");
        }
        if (Duplicate > 0)
        {
            parts.Add($"duplication {Duplicate:P0}");
        }
        if (Reorder > 0)
        {
            parts.Add($"reordering {Reorder:P0}");
        }
        if (Delay > TimeSpan.Zero)
        {
            parts.Add($"delay {Delay.TotalMilliseconds:0} ms");
        }
        parts.AddRange(Rules.Select(r => $"{(r.Drop ? "drop" : $"delay {r.Delay.TotalSeconds:0.###} s")} from {r.Peer?.ToString() ?? "any"}{(r.Port is { } p ? ":" + p : "")}{(r.Attempts.Count > 0 ? " on attempt " + string.Join(",", r.Attempts) : "")}"));
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}
