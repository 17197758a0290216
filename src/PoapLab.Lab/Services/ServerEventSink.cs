using PoapLab.Core.Events;
using PoapLab.Lab.Addressing;

namespace PoapLab.Lab.Services;

/// <summary>
/// Where a server records: each event is attributed to the switch the server answered (its
/// <see cref="Timeline.SwitchField"/> field) and stamped with that switch's clock; an event
/// that concerns no switch (the server starting, a line of its log) gets the scenario's span.
/// </summary>
public sealed class ServerEventSink(Timeline timeline, LabClients clients) : IEventSink
{
    /// <inheritdoc />
    public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data) =>
        timeline.RecordFor(clients.SwitchOf(data), source, kind, message, data);

    /// <inheritdoc />
    public LabEvent Record(string source, string kind, EventText message, params (string Key, object? Value)[] data) =>
        timeline.RecordFor(clients.SwitchOf(data), source, kind, message, data);

    /// <summary>Calls <paramref name="observer"/> for every event of the lab recorded from now on (a real server's fault waiting for a switch's transfer).</summary>
    public void Subscribe(Action<LabEvent> observer) => timeline.Subscribe(observer);
}
