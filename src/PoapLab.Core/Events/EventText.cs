namespace PoapLab.Core.Events;

/// <summary>
/// A data value whose text is made only when the event is read (a report, timeline.txt/json,
/// an observer asking for it), not when it is recorded: a server on its per-packet path records
/// the value's parts and leaves the formatting to whoever looks. What <see cref="Format"/> reads
/// must not change after the event is recorded; the text is made once.
/// </summary>
public sealed class EventText
{
    private readonly Func<string> _format;
    private string? _text;

    /// <summary>A value whose text <paramref name="format"/> makes when first asked.</summary>
    public EventText(Func<string> format)
    {
        ArgumentNullException.ThrowIfNull(format);
        _format = format;
    }

    /// <summary>The text, made on the first call.</summary>
    public string Format() => _text ??= _format() ?? "";

    /// <inheritdoc />
    public override string ToString() => Format();
}
