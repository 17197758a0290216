namespace PoapLab.Core.Events;

/// <summary>
/// One thing that happened in a lab: a packet sent or received, a file served, a CLI
/// command run, a phase reached. Scenario assertions read these, never log text.
/// </summary>
/// <param name="Sequence">Order of recording within the run, from 1.</param>
/// <param name="VirtualTime">
/// Switch time since the scenario started, on the clock of the switch the event concerns
/// (<see cref="Switch"/>); for an event that concerns no switch, the scenario's span so far
/// (the longest switch time).
/// </param>
/// <param name="RealTime">Host time since the scenario started.</param>
/// <param name="Source">Who recorded it: <c>switch:leaf-101</c>, <c>dhcp:10.0.0.1</c>, ...</param>
/// <param name="Kind">A name from <see cref="EventKinds"/>.</param>
/// <param name="Message">A human sentence for the timeline.</param>
/// <param name="Data">Structured fields (addresses, file names, byte counts, attempt number).</param>
public sealed record LabEvent(
    long Sequence,
    TimeSpan VirtualTime,
    TimeSpan RealTime,
    string Source,
    string Kind,
    string Message,
    IReadOnlyDictionary<string, string> Data)
{
    // A message made when first read (EventText), for events recorded on a server's per-packet path.
    private readonly EventText? _deferredMessage;

    /// <summary>An event whose message is made when first read.</summary>
    internal LabEvent(long sequence, TimeSpan virtualTime, TimeSpan realTime, string source, string kind, EventText message, IReadOnlyDictionary<string, string> data)
        : this(sequence, virtualTime, realTime, source, kind, (string)null!, data)
    {
        _deferredMessage = message;
    }

    /// <summary>A human sentence for the timeline.</summary>
    public string Message
    {
        get => field ?? _deferredMessage?.Format() ?? "";
        init;
    } = Message;

    /// <summary>The switch the event concerns (its own event, or a server's answer to it); null: none.</summary>
    public string? Switch { get; init; }

    /// <summary>The value of a data field, or null.</summary>
    public string? Get(string key) => Data.TryGetValue(key, out var v) ? v : null;
}
