using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PoapLab.Servers.Hosting;

namespace PoapLab.Lab.Hardware;

/// <summary>
/// A login to a switch for a probe. The password is never shown: <see cref="ToString"/> and
/// every message name the user only.
/// </summary>
public sealed partial class ProbeCredentials
{
    /// <param name="user">The user name (NX-OS: letters, digits, <c>_ . - @</c>; no leading <c>-</c>; at most 64 characters).</param>
    /// <param name="password">The password, in clear (1 to 256 characters, no control characters).</param>
    /// <exception cref="ArgumentException">Not a user name or password a probe can send.</exception>
    public ProbeCredentials(string user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        if (!UserName().IsMatch(user))
        {
            throw new ArgumentException("a probe's user name must be 1 to 64 letters, digits, '_', '.', '-' or '@', not starting with '-'", nameof(user));
        }
        if (password.Length is 0 or > 256 || password.Any(char.IsControl))
        {
            throw new ArgumentException($"the probe password of {user} must be 1 to 256 characters without control characters", nameof(password));
        }
        User = user;
        Password = password;
    }

    /// <summary>The user name.</summary>
    public string User { get; }

    /// <summary>The password (sent to the switch only).</summary>
    public string Password { get; }

    /// <inheritdoc />
    public override string ToString() => $"{User} (password not shown)";

    /// <summary>
    /// The login of a switch from the configuration served to it: the first
    /// <c>username NAME password [0] SECRET</c> line (of <paramref name="user"/> when named) with a
    /// clear-text password, in the served files under <paramref name="filesRoot"/> — those whose
    /// name holds the switch's serial (POAP's <c>conf.SERIAL</c>) first. Bounded: regular files
    /// of at most 1 MiB, 4,096 of them; links are not followed. Null when none has one.
    /// </summary>
    public static ProbeCredentials? FromServedFiles(string filesRoot, string? serial, string? user)
    {
        ArgumentNullException.ThrowIfNull(filesRoot);
        if (!Directory.Exists(filesRoot))
        {
            return null;
        }
        var files = new DirectoryInfo(filesRoot).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, MaxRecursionDepth = 16 })
            .Where(f => f.Length <= 1 << 20 && f.LinkTarget is null)
            .Take(4096)
            .OrderBy(f => serial is not null && f.Name.Contains(serial, StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(f => f.FullName, StringComparer.Ordinal);
        foreach (var file in files)
        {
            IReadOnlyDictionary<string, string> users;
            try
            {
                users = NxApiSettings.UsersOf(File.ReadLines(file.FullName).Take(100_000).Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var (name, password) in users)
            {
                if (user is null || string.Equals(name, user, StringComparison.Ordinal))
                {
                    try
                    {
                        return new ProbeCredentials(name, password);
                    }
                    catch (ArgumentException)
                    {
                        // Not a login a probe can send: the next.
                    }
                }
            }
        }
        return null;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.@][A-Za-z0-9_.@\-]{0,63}$")]
    private static partial Regex UserName();
}

/// <summary>
/// The active probes a <c>serve</c> run makes once the wire shows a switch back after its
/// reload (the scenario's <c>device.probe</c>): <c>show version</c> over NX-API and/or SSH.
/// </summary>
public sealed record SwitchProbeOptions
{
    /// <summary>NX-API's scheme, <c>http</c> or <c>https</c>; null: no NX-API probe.</summary>
    public string? NxApiScheme { get; init; }

    /// <summary>NX-API's port; null: 80 for http, 443 for https (NX-OS's defaults).</summary>
    public int? NxApiPort { get; init; }

    /// <summary>Accept the switch's HTTPS certificate without checking it (NX-OS ships a self-signed one).</summary>
    public bool TlsInsecure { get; init; }

    /// <summary>Also probe over SSH.</summary>
    public bool Ssh { get; init; }

    /// <summary>SSH's port (22).</summary>
    public int SshPort { get; init; } = 22;

    /// <summary>The login.</summary>
    public required ProbeCredentials Credentials { get; init; }

    /// <summary>How long after the switch is back a probe may keep trying a switch that does not answer yet. Default 2 minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The most one try (connect, ask, read the answer) takes. Default 15 s.</summary>
    public TimeSpan TryTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The pause between tries. Default 2 s.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest answer read (a <c>show version</c> is a few KiB). Default 1 MiB.</summary>
    public int MaxAnswerBytes { get; init; } = 1 << 20;

    /// <summary>The probes asked for, in words (<c>NX-API over http, SSH</c>).</summary>
    public string Describe() =>
        string.Join(", ", new[] { NxApiScheme is { } s ? $"NX-API over {s}" : null, Ssh ? "SSH" : null }.Where(x => x is not null));
}

/// <summary>How a probe ended.</summary>
public enum ProbeOutcome
{
    /// <summary>The switch answered <c>show version</c>.</summary>
    Answered,

    /// <summary>Nothing listened (connection refused, no route) until the probe's time was up.</summary>
    Unreachable,

    /// <summary>The switch refused the login (HTTP 401/403, SSH "Permission denied").</summary>
    AuthRefused,

    /// <summary>A connection was made but no answer came in time.</summary>
    Timeout,

    /// <summary>The answer was too large or not what NX-OS sends.</summary>
    Malformed,

    /// <summary>Another failure, in words in <see cref="ProbeFacts.Detail"/>.</summary>
    Failed,
}

/// <summary>What one probe of a switch found.</summary>
/// <param name="Via"><c>nxapi</c> or <c>ssh</c>.</param>
/// <param name="Target">Where it asked (<c>http://10.0.0.102:80/ins</c>, <c>ssh admin@10.0.0.102:22</c>).</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Hostname">The host name <c>show version</c> gave (<c>host_name</c>), or null.</param>
/// <param name="Version">The NX-OS version (<c>nxos_ver_str</c>), or null.</param>
/// <param name="Chassis">The chassis (<c>chassis_id</c>), or null.</param>
/// <param name="Serial">The serial (<c>proc_board_id</c>), or null.</param>
/// <param name="Detail">The outcome in words.</param>
public sealed record ProbeFacts(string Via, string Target, ProbeOutcome Outcome, string? Hostname, string? Version, string? Chassis, string? Serial, string Detail);

/// <summary>
/// Asks a switch that came back after its reload for <c>show version</c>, over NX-API (an HTTP
/// POST of the <c>ins_api</c> JSON message to <c>/ins</c> with basic authentication, Cisco Nexus
/// 9000 Series NX-OS Programmability Guide, "NX-API CLI") and/or SSH (OpenSSH's <c>ssh</c>
/// running <c>show version | json</c>). Every probe is bounded: tries of
/// <see cref="SwitchProbeOptions.TryTimeout"/> until <see cref="SwitchProbeOptions.Timeout"/>,
/// answers of at most <see cref="SwitchProbeOptions.MaxAnswerBytes"/>. A failure is reported as
/// what it was (unreachable, login refused, timeout, malformed answer), never guessed past.
/// </summary>
public static partial class SwitchProbe
{
    private const int MaxFactLength = 256;

    /// <summary>Runs the probes the options ask for against <paramref name="address"/>.</summary>
    /// <param name="options">What to probe and how.</param>
    /// <param name="address">The switch's management address.</param>
    /// <param name="sockets">Where connections are made from (the serve interface: bound to it).</param>
    /// <param name="commandPrefix">What runs <c>ssh</c> where the interface is (<c>nsenter --net=...</c>), or empty.</param>
    /// <param name="time">The clock of the deadlines.</param>
    /// <param name="cancellationToken">Stops the probes.</param>
    public static async Task<IReadOnlyList<ProbeFacts>> RunAsync(
        SwitchProbeOptions options, IPAddress address, ISocketFactory sockets, IReadOnlyList<string> commandPrefix, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(sockets);
        ArgumentNullException.ThrowIfNull(commandPrefix);
        ArgumentNullException.ThrowIfNull(time);
        var probes = new List<Task<ProbeFacts>>();
        if (options.NxApiScheme is { } scheme)
        {
            probes.Add(NxApiAsync(options, scheme, address, sockets, time, cancellationToken));
        }
        if (options.Ssh)
        {
            probes.Add(SshAsync(options, address, commandPrefix, time, cancellationToken));
        }
        return await Task.WhenAll(probes).ConfigureAwait(false);
    }

    /// <summary>One probe's tries until it is answered, refused or out of time.</summary>
    private static async Task<ProbeFacts> RetryAsync(string via, string target, SwitchProbeOptions options, TimeProvider time, Func<CancellationToken, Task<ProbeFacts>> attempt, CancellationToken cancellationToken)
    {
        var start = time.GetTimestamp();
        for (var tries = 1; ; tries++)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(options.TryTimeout);
            ProbeFacts facts;
            try
            {
                facts = await attempt(bounded.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                facts = new ProbeFacts(via, target, ProbeOutcome.Timeout, null, null, null, null, $"no answer within {Seconds(options.TryTimeout)}");
            }
            var again = facts.Outcome is ProbeOutcome.Unreachable or ProbeOutcome.Timeout;
            if (!again || time.GetElapsedTime(start) + options.RetryDelay >= options.Timeout)
            {
                return again ? facts with { Detail = $"{facts.Detail} ({tries} tries in {Seconds(time.GetElapsedTime(start))})" } : facts;
            }
            await Task.Delay(options.RetryDelay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The facts of a <c>show version</c> body (NX-OS's JSON: <c>host_name</c>, <c>nxos_ver_str</c>, <c>chassis_id</c>, <c>proc_board_id</c>).</summary>
    internal static ProbeFacts FromShowVersion(string via, string target, JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return new ProbeFacts(via, target, ProbeOutcome.Malformed, null, null, null, null, $"the show version answer is a JSON {body.ValueKind.ToString().ToLowerInvariant()}, not an object");
        }
        var version = Field(body, "nxos_ver_str") ?? Field(body, "kickstart_ver_str") ?? Field(body, "sys_ver_str");
        var hostname = Field(body, "host_name");
        var facts = new ProbeFacts(via, target, ProbeOutcome.Answered, hostname, version, Field(body, "chassis_id"), Field(body, "proc_board_id"), "");
        if (version is null && hostname is null)
        {
            return facts with { Outcome = ProbeOutcome.Malformed, Detail = "the show version answer has neither nxos_ver_str nor host_name" };
        }
        return facts with { Detail = $"show version: host name {hostname ?? "not given"}, NX-OS {version ?? "not given"}" };
    }

    private static string? Field(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.String or JsonValueKind.Number ? Clean(v.ToString()) : null;

    /// <summary>A value from the switch, fit for a report: control characters shown as <c>\xNN</c>, at most 256 characters.</summary>
    internal static string Clean(string text)
    {
        var b = new StringBuilder();
        foreach (var c in text.Trim())
        {
            if (b.Length >= MaxFactLength)
            {
                b.Append("...");
                break;
            }
            b.Append(char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString());
        }
        return b.ToString();
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";

    private static ProbeFacts Unreachable(string via, string target, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.TimedOut => new ProbeFacts(via, target, ProbeOutcome.Timeout, null, null, null, null, "the connection timed out"),
        SocketError.ConnectionRefused => new ProbeFacts(via, target, ProbeOutcome.Unreachable, null, null, null, null, "connection refused (nothing listens there yet)"),
        _ => new ProbeFacts(via, target, ProbeOutcome.Unreachable, null, null, null, null, $"unreachable: {e.Message}"),
    };
}
