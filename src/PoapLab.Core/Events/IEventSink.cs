namespace PoapLab.Core.Events;

/// <summary>Where servers and switches record what they did.</summary>
public interface IEventSink
{
    /// <summary>Records an event; <paramref name="data"/> values are formatted invariantly.</summary>
    LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data);

    /// <summary>
    /// Records an event whose message is made only when someone reads it (a report, the timeline
    /// files): for a server's per-packet path. A sink that keeps no deferred text makes it now.
    /// </summary>
    LabEvent Record(string source, string kind, EventText message, params (string Key, object? Value)[] data)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Record(source, kind, message.Format(), data);
    }
}
