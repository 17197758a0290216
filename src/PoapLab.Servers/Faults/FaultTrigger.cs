using System.Net;
using System.Text.RegularExpressions;

namespace PoapLab.Servers.Faults;

/// <summary>
/// What the lab knows about a request when deciding whether a fault fires: which POAP
/// attempt the asking switch is on, and how many matching requests came before.
/// </summary>
public interface IFaultContext
{
    /// <summary>The POAP attempt (1-based) of the switch at <paramref name="client"/>, or null when unknown.</summary>
    int? AttemptOf(IPEndPoint client);

    /// <summary>
    /// The POAP attempt of the switch whose hardware address is <paramref name="mac"/>, or null
    /// when unknown: a DHCP client without an address yet (0.0.0.0 on a real segment) is known by it.
    /// </summary>
    int? AttemptOfMac(System.Net.NetworkInformation.PhysicalAddress mac) => null;

    /// <summary>
    /// A server tells the lab it will not answer a client (an injected fault, a request it
    /// ignores), so that the client's network stops waiting for an answer that will never
    /// come. The lab decides whether the client's wait is really in vain (another server on
    /// the segment may still answer a broadcast). By default nobody listens.
    /// </summary>
    void WillNotAnswer(ServerSilence silence)
    {
    }
}

/// <summary>A context that knows no attempts (faults keyed on attempts never fire).</summary>
public sealed class NoFaultContext : IFaultContext
{
    public static NoFaultContext Instance { get; } = new();

    public int? AttemptOf(IPEndPoint client) => null;
}

/// <summary>
/// When a fault fires. All given conditions must hold: the switch's POAP attempt, the
/// ordinal of the matching request at this server, the requested file (a glob), and a
/// probability drawn from the plan's seeded generator, so a run is reproducible.
/// </summary>
public sealed record FaultTrigger
{
    /// <summary>Only on these POAP attempts of the asking switch (empty: any).</summary>
    public IReadOnlyList<int> Attempts { get; init; } = [];

    /// <summary>
    /// Only the Nth matching request at this server from the switch, 1-based (null: any):
    /// every request when <see cref="File"/> is null, else the requests for that file.
    /// </summary>
    public int? Request { get; init; }

    /// <summary>From the Nth matching request on (null: from the first).</summary>
    public int? FromRequest { get; init; }

    /// <summary>Only requests for a file whose path matches this glob (<c>*</c>, <c>?</c>; null: any).</summary>
    public string? File { get; init; }

    /// <summary>Chance that the fault fires when everything else matches (1 = always).</summary>
    public double Probability { get; init; } = 1.0;

    /// <summary>Whether a file path matches <see cref="File"/>.</summary>
    public bool MatchesFile(string? path) =>
        File is null || (path is not null && Glob(File, path.TrimStart('/')) || path is not null && Glob(File, path));

    internal static bool Glob(string pattern, string value) =>
        Regex.IsMatch(value, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.Singleline, TimeSpan.FromSeconds(1));

    public override string ToString()
    {
        var parts = new List<string>();
        if (Attempts.Count > 0)
        {
            parts.Add("attempt " + string.Join(",", Attempts));
        }
        if (Request is { } r)
        {
            parts.Add($"request {r}");
        }
        if (FromRequest is { } f)
        {
            parts.Add($"from request {f}");
        }
        if (File is { } file)
        {
            parts.Add($"file {file}");
        }
        if (Probability < 1)
        {
            parts.Add($"p={Probability:0.###}");
        }
        return parts.Count == 0 ? "always" : string.Join(", ", parts);
    }
}

/// <summary>A fault: its trigger and what it does.</summary>
public interface IFault
{
    FaultTrigger When { get; }

    /// <summary>A sentence for events and reports.</summary>
    string Describe();
}

/// <summary>
/// The faults a server injects, and the bookkeeping that decides which fires on a
/// request. Thread-safe; decisions are reproducible for a seed and request order.
/// </summary>
public sealed class FaultPlan<TFault> where TFault : class, IFault
{
    private readonly IReadOnlyList<TFault> _faults;
    private readonly IFaultContext _context;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly Dictionary<(int Fault, string Key), int> _counts = [];

    public FaultPlan(IReadOnlyList<TFault> faults, IFaultContext? context = null, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(faults);
        _faults = faults;
        _context = context ?? NoFaultContext.Instance;
        _random = new Random(seed);
    }

    public static FaultPlan<TFault> None { get; } = new([]);

    public bool IsEmpty => _faults.Count == 0;

    /// <summary>The POAP attempt of the switch at <paramref name="client"/> (or with hardware address <paramref name="mac"/>) as the plan's context knows it.</summary>
    public int? AttemptOf(IPEndPoint client, System.Net.NetworkInformation.PhysicalAddress? mac = null) =>
        _context.AttemptOf(client) ?? (mac is null ? null : _context.AttemptOfMac(mac));

    /// <summary>
    /// The first fault that fires for this request, or null. <paramref name="counterKey"/>
    /// groups requests for counting (e.g. the client, or the client and file).
    /// <paramref name="applies"/> leaves out faults that mean nothing for this kind of
    /// request (a NAK for a DISCOVER): they are neither counted nor drawn for.
    /// </summary>
    public TFault? Next(IPEndPoint client, string? file, string counterKey, Func<TFault, bool>? applies = null, System.Net.NetworkInformation.PhysicalAddress? mac = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(counterKey);
        if (_faults.Count == 0)
        {
            return null;
        }
        var attempt = AttemptOf(client, mac);
        lock (_gate)
        {
            // Count the request for every fault it matches before deciding, so that the
            // ordinal a fault sees does not depend on whether an earlier fault fired.
            Span<int> ordinals = _faults.Count <= 64 ? stackalloc int[_faults.Count] : new int[_faults.Count];
            for (int i = 0; i < _faults.Count; i++)
            {
                var fault = _faults[i];
                if (!fault.When.MatchesFile(file) || (applies is not null && !applies(fault)))
                {
                    ordinals[i] = 0;
                    continue;
                }
                // A fault that names no file counts every request of the client (the Nth request
                // at this server); one that names a file counts that client's requests for it.
                var key = (i, fault.When.File is null && file is not null ? client.Address.ToString() : counterKey);
                var n = _counts.GetValueOrDefault(key) + 1;
                _counts[key] = n;
                ordinals[i] = n;
            }
            for (int i = 0; i < _faults.Count; i++)
            {
                var fault = _faults[i];
                var when = fault.When;
                var n = ordinals[i];
                if (n == 0)
                {
                    continue;
                }
                if (when.Attempts.Count > 0 && (attempt is null || !when.Attempts.Contains(attempt.Value)))
                {
                    continue;
                }
                if (when.Request is { } r && n != r)
                {
                    continue;
                }
                if (when.FromRequest is { } f && n < f)
                {
                    continue;
                }
                // Draw only when a probability is in play, so adding an always-fault does
                // not shift the sequence of a probabilistic one.
                if (when.Probability < 1 && _random.NextDouble() >= when.Probability)
                {
                    continue;
                }
                return fault;
            }
        }
        return null;
    }
}
