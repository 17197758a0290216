using System.Globalization;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>
/// Prints one plain line whenever a switch's phase changes (<see cref="ServePhases.Of"/>), and
/// its verdict at the end: for a log or a pipe (the <c>serve</c> command draws its own live
/// display on a terminal).
/// </summary>
public sealed class ServeProgress(TextWriter output) : IServeObserver
{
    private readonly TextWriter _output = output ?? throw new ArgumentNullException(nameof(output));
    private readonly Dictionary<string, ServePhase> _phases = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private ServeContext? _context;

    /// <inheritdoc/>
    public Task StartAsync(ServeContext context, CancellationToken cancellationToken)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        var names = context.Switches.Count == 0 ? "any switch" : string.Join(", ", context.Switches.Select(s => s.Name));
        Write($"serving POAP on {context.Interface} at {context.ServerAddress}, waiting for {names}");
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnSnapshotAsync(WireReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        Changes(report, final: false);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task OnFinishedAsync(WireReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        Changes(report, final: true);
        var expected = _context?.Switches ?? [];
        foreach (var sw in report.Switches)
        {
            var attempts = sw.Attempts?.ToString(CultureInfo.InvariantCulture) ?? $"at least {sw.AttemptsAtLeast}";
            Write($"{ServePhases.DisplayName(sw, expected)}: {WireJudge.VerdictText(sw.Verdict)}, attempts {attempts}, final version {sw.FinalVersion ?? "unknown"}" +
                (sw.Verdict == WireVerdict.Failed ? $" ({string.Join(", ", ServePhases.FailureReasons(sw))})" : ""));
        }
        foreach (var missing in expected.Where(e => !report.Switches.Any(s => ReferenceEquals(ServePhases.Match(s, expected), e))))
        {
            Write($"{missing.Name}: never seen on the wire");
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Changes(WireReport report, bool final)
    {
        var expected = _context?.Switches ?? [];
        foreach (var sw in report.Switches)
        {
            var phase = ServePhases.Of(sw);
            lock (_gate)
            {
                if (_phases.TryGetValue(sw.Mac, out var before) && before == phase)
                {
                    continue;
                }
                if (_phases.Count >= 4096 && !_phases.ContainsKey(sw.Mac))
                {
                    continue;
                }
                _phases[sw.Mac] = phase;
            }
            var fact = sw.Timeline.Count > 0 ? sw.Timeline[^1].Text : null;
            Write($"{ServePhases.DisplayName(sw, expected)} ({sw.Mac}): {ServePhases.Label(phase)}{(final ? " (final)" : "")}{(fact is null ? "" : " - " + OneLine(fact))}");
        }
    }

    private static string OneLine(string text)
    {
        var line = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
        return line.Length > 200 ? line[..200] + "..." : line;
    }

    private void Write(string line)
    {
        var now = (_context?.Time ?? TimeProvider.System).GetUtcNow();
        lock (_gate)
        {
            _output.WriteLine($"{now:HH:mm:ss} {line}");
            _output.Flush();
        }
    }
}
