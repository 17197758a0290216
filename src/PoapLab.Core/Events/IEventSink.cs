namespace PoapLab.Core.Events;

/// <summary>Where servers and switches record what they did.</summary>
public interface IEventSink
{
    /// <summary>Records an event; <paramref name="data"/> values are formatted invariantly.</summary>
    LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data);
}
