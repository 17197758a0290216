using System.Collections.Immutable;
using System.Globalization;
using PoapLab.Core.Time;

namespace PoapLab.Core.Events;

/// <summary>
/// The ordered, thread-safe record of one scenario run. Each switch has a clock of its own
/// (<see cref="AddSwitch"/>): an event that concerns a switch — one it recorded itself through
/// <see cref="ForSwitch"/>, or a server's answer to it, named by its <see cref="SwitchField"/>
/// field — is stamped with that switch's time; an event that concerns no switch (a server
/// starting, a line of a server's log) with the scenario's span so far, the longest switch time.
/// </summary>
public sealed class Timeline : IEventSink
{
    /// <summary>The data field that names the switch an event concerns (servers: the switch they answered).</summary>
    public const string SwitchField = "switch";

    private readonly SimClock? _clock;
    private readonly TimeProvider _real;
    private readonly long _realStart;
    private readonly Lock _gate = new();
    private readonly List<LabEvent> _events = [];
    private readonly List<Action<LabEvent>> _observers = [];
    private readonly Dictionary<string, SimClock> _switches = new(StringComparer.Ordinal);

    /// <summary>A timeline whose events are stamped by <paramref name="clock"/> unless their switch has a clock of its own.</summary>
    public Timeline(SimClock clock)
        : this(TimeProvider.System)
    {
        _clock = clock;
    }

    /// <summary>A timeline of per-switch clocks (<see cref="AddSwitch"/>); real time is counted from now.</summary>
    public Timeline(TimeProvider? real = null)
    {
        _real = real ?? TimeProvider.System;
        _realStart = _real.GetTimestamp();
        Created?.Invoke(this);
    }

    /// <summary>
    /// Raised with every timeline as it is created, before any event is recorded: lets a test
    /// environment watch the timeline of every lab a test runs (servers and switches record their
    /// errors as events, not log lines), even one a scenario run creates inside itself.
    /// </summary>
    public static event Action<Timeline>? Created;

    /// <summary>A copy of the events so far, in order.</summary>
    public IReadOnlyList<LabEvent> Events
    {
        get { lock (_gate) { return _events.ToArray(); } }
    }

    /// <summary>The scenario's span: the longest time any switch's clock (or the timeline's own) has reached.</summary>
    public TimeSpan Span
    {
        get { lock (_gate) { return SpanLocked(); } }
    }

    /// <summary>Gives the switch <paramref name="name"/> its clock: its events are stamped with it.</summary>
    public void AddSwitch(string name, SimClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        lock (_gate)
        {
            if (!_switches.TryAdd(name, clock))
            {
                throw new InvalidOperationException($"the switch '{name}' already has a clock");
            }
        }
    }

    /// <summary>
    /// Takes the clock of the switch <paramref name="name"/> back (a switch that never joined the
    /// lab: its attach failed). Events it recorded, if any, stay; false when it had no clock.
    /// </summary>
    public bool RemoveSwitch(string name)
    {
        lock (_gate)
        {
            return _switches.Remove(name);
        }
    }

    /// <summary>The time of the switch <paramref name="name"/>, or null when it has no clock here.</summary>
    public TimeSpan? SwitchTime(string name)
    {
        lock (_gate)
        {
            return _switches.TryGetValue(name, out var clock) ? clock.Elapsed : null;
        }
    }

    /// <summary>Where the switch <paramref name="name"/> records: every event it records concerns it.</summary>
    public IEventSink ForSwitch(string name) => new SwitchSink(this, name);

    /// <summary>Calls <paramref name="observer"/> for every event recorded from now on.</summary>
    public void Subscribe(Action<LabEvent> observer)
    {
        lock (_gate) { _observers.Add(observer); }
    }

    /// <inheritdoc />
    /// <remarks>A <see cref="SwitchField"/> field among <paramref name="data"/> names the switch the event concerns.</remarks>
    public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data) =>
        RecordFor(null, source, kind, message, data);

    /// <summary>
    /// Records an event that concerns the switch <paramref name="switchName"/> (null: the one its
    /// <see cref="SwitchField"/> field names, if any): stamped with that switch's clock, and the
    /// field set to it.
    /// </summary>
    public LabEvent RecordFor(string? switchName, string source, string kind, string message, params (string Key, object? Value)[] data)
    {
        var fields = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in data)
        {
            if (value is not null)
            {
                fields[key] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            }
        }
        if (switchName is not null)
        {
            fields[SwitchField] = switchName;
        }
        else
        {
            switchName = fields.GetValueOrDefault(SwitchField);
        }
        Action<LabEvent>[] observers;
        LabEvent ev;
        lock (_gate)
        {
            var clock = switchName is not null && _switches.TryGetValue(switchName, out var own) ? own : null;
            var time = clock?.Elapsed ?? (_clock is not null && _switches.Count == 0 ? _clock.Elapsed : SpanLocked());
            var real = _clock?.RealElapsed ?? _real.GetElapsedTime(_realStart);
            ev = new LabEvent(_events.Count + 1, time, real, source, kind, message, fields.ToImmutable()) { Switch = switchName };
            _events.Add(ev);
            observers = [.. _observers];
        }
        foreach (var o in observers)
        {
            o(ev);
        }
        return ev;
    }

    private TimeSpan SpanLocked()
    {
        var span = _clock?.Elapsed ?? TimeSpan.Zero;
        foreach (var clock in _switches.Values)
        {
            var t = clock.Elapsed;
            if (t > span)
            {
                span = t;
            }
        }
        return span;
    }

    private sealed class SwitchSink(Timeline timeline, string name) : IEventSink
    {
        public LabEvent Record(string source, string kind, string message, params (string Key, object? Value)[] data) =>
            timeline.RecordFor(name, source, kind, message, data);
    }
}
