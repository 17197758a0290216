using System.Collections.Immutable;
using System.Globalization;
using PoapLab.Scenarios.Model;
using PoapLab.Servers.Faults;
using PoapLab.Switch.Network;
using YamlDotNet.RepresentationModel;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// Reads the <c>faults:</c> of servers and switches and the fault settings of a switch's
/// <c>link:</c>. Each fault is a mapping with a <c>kind</c>, its parameters, and when it
/// fires: <c>attempts</c> (the switch's POAP attempts), <c>request</c>/<c>from_request</c>
/// (the Nth matching request at the server), <c>file</c> (a glob) and <c>probability</c>.
/// </summary>
internal static class FaultLoader
{
    /// <summary>A fault's byte offset (<c>after:</c>) is at most 1 TiB.</summary>
    private const long MaxFaultBytes = 1L << 40;

    public static LinkFaults Link(YamlMap link, int defaultSeed)
    {
        var loss = Percent(link, "loss");
        return new LinkFaults
        {
            LossToSwitch = Percent(link, "loss_to_switch") ?? loss ?? 0,
            LossFromSwitch = Percent(link, "loss_from_switch") ?? loss ?? 0,
            Duplicate = Percent(link, "duplicate") ?? 0,
            Reorder = Percent(link, "reorder") ?? 0,
            Delay = link.Duration("delay", TimeSpan.Zero, TimeSpan.FromMinutes(10)) ?? TimeSpan.Zero,
            Seed = link.Int("seed") ?? defaultSeed,
        };
    }

    public static FaultTrigger Trigger(YamlMap m) => new()
    {
        Attempts = Ints(m, "attempts"),
        Request = m.Int("request", 1, 1_000_000),
        FromRequest = m.Int("from_request", 1, 1_000_000),
        File = m.String("file"),
        Probability = Percent(m, "probability") ?? 1.0,
    };

    public static ImmutableArray<DhcpFault> Dhcp(YamlMap server, List<LinkRule> linkRules, System.Net.IPAddress serverAddress)
    {
        var faults = ImmutableArray.CreateBuilder<DhcpFault>();
        foreach (var node in server.List("faults"))
        {
            server.Section(() =>
            {
                var f = server.MapOf(node, "a DHCP fault");
                var kind = f.RequiredString("kind", "what the server does wrong: no-answer, nak, omit-options, short-lease or delay");
                switch (kind)
                {
                    case "delay":
                        // A late answer is the link's business: it is held in switch time, so two
                        // servers answer in the order the scenario says.
                        linkRules.Add(new LinkRule(serverAddress, 67,
                            f.Duration("delay", TimeSpan.Zero, TimeSpan.FromHours(1)) ?? throw new ScenarioException(f.Location, "a delay fault needs 'delay' (e.g. 2s)"),
                            Drop: false, Ints(f, "attempts")));
                        break;
                    case "no-answer":
                        faults.Add(new DhcpFault(DhcpFaultKind.NoAnswer, Trigger(f)));
                        break;
                    case "nak":
                        faults.Add(new DhcpFault(DhcpFaultKind.Nak, Trigger(f)));
                        break;
                    case "omit-options":
                        var options = Ints(f, "options");
                        if (options.Count == 0 || options.Any(o => o is < 1 or > 254))
                        {
                            throw new ScenarioException(f.Location, "an omit-options fault needs 'options', a list of option codes such as [66, 150] or [67]");
                        }
                        faults.Add(new DhcpFault(DhcpFaultKind.OmitOptions, Trigger(f)) { Options = [.. options.Select(o => (byte)o)] });
                        break;
                    case "short-lease":
                        faults.Add(new DhcpFault(DhcpFaultKind.ShortLease, Trigger(f))
                        {
                            Lease = f.Duration("lease", TimeSpan.FromSeconds(1), TimeSpan.FromDays(3650)) ?? throw new ScenarioException(f.Location, "a short-lease fault needs 'lease' (e.g. 600s)"),
                        });
                        break;
                    default:
                        throw f.Error(f.Get("kind")!, $"unknown DHCP fault '{kind}': no-answer, nak, omit-options, short-lease or delay");
                }
                f.EnsureAllRead("attempts", "request", "from_request", "file", "probability");
            });
        }
        return faults.ToImmutable();
    }

    /// <summary>
    /// A user's real server's faults: <c>{ kind: stop }</c> (down before the switches start),
    /// <c>{ kind: kill, file: "*.bin", after: 1MB }</c> (SIGKILL once it has sent that much of a
    /// transfer a switch started) and
    /// <c>{ kind: block-port }</c> (its port dropped on its host's interface).
    /// </summary>
    public static ImmutableArray<PoapLab.Lab.Services.Real.RealServerFault> Real(YamlMap server)
    {
        var faults = ImmutableArray.CreateBuilder<PoapLab.Lab.Services.Real.RealServerFault>();
        foreach (var node in server.List("faults"))
        {
            var f = server.MapOf(node, "a real server's fault");
            var kind = f.RequiredString("kind", "what happens to the server: stop, kill or block-port");
            var file = f.String("file");
            if (file is not null && (file.Length is 0 or > 256 || file.Any(char.IsControl)))
            {
                throw f.Error(f.Get("file")!, "'file' must be a path pattern of 1 to 256 characters such as \"*.bin\"");
            }
            faults.Add(kind switch
            {
                "stop" => new(PoapLab.Lab.Services.Real.RealServerFaultKind.Stop),
                "kill" => new(PoapLab.Lab.Services.Real.RealServerFaultKind.Kill, file, f.Size("after", 1, MaxFaultBytes) ?? 1),
                "block-port" => new(PoapLab.Lab.Services.Real.RealServerFaultKind.BlockPort),
                _ => throw f.Error(f.Get("kind")!, $"unknown fault '{YamlMap.Shown(kind)}' for a real server: stop, kill (file: pattern) or block-port"),
            });
            foreach (var key in new[] { "file", "after" }.Where(k => f.Has(k) && kind != "kill"))
            {
                throw f.Error(f.Get(key)!, $"'{key}' is for a kill fault (which transfer, how far into it); {kind} acts at once");
            }
            f.EnsureAllRead();
        }
        return faults.ToImmutable();
    }

    public static ImmutableArray<TftpFault> Tftp(YamlMap server)
    {
        var faults = ImmutableArray.CreateBuilder<TftpFault>();
        foreach (var node in server.List("faults"))
        {
            server.Section(() =>
            {
                var f = server.MapOf(node, "a TFTP fault");
                var kind = f.RequiredString("kind", "what the server does wrong: error, truncate, refuse-options, gone or not-found");
                var after = f.Size("after", 0, MaxFaultBytes) ?? 0;
                faults.Add(kind switch
                {
                    "error" => new TftpFault(TftpFaultKind.ErrorMidTransfer, Trigger(f))
                    {
                        AfterBytes = after,
                        ErrorCode = (ushort)(f.Int("code", 0, 8) ?? 0),
                        ErrorMessage = f.String("message") ?? "Injected error",
                    },
                    "truncate" => new TftpFault(TftpFaultKind.Truncate, Trigger(f)) { AfterBytes = after },
                    "refuse-options" => new TftpFault(TftpFaultKind.RefuseOptions, Trigger(f)),
                    "gone" => new TftpFault(TftpFaultKind.GoneMidTransfer, Trigger(f)) { AfterBytes = after },
                    "not-found" => new TftpFault(TftpFaultKind.NotFound, Trigger(f)),
                    _ => throw f.Error(f.Get("kind")!, $"unknown TFTP fault '{kind}': error, truncate, refuse-options, gone or not-found"),
                });
                f.EnsureAllRead("attempts", "request", "from_request", "file", "probability", "after", "code", "message");
            });
        }
        return faults.ToImmutable();
    }

    public static ImmutableArray<HttpFault> Http(YamlMap server)
    {
        var faults = ImmutableArray.CreateBuilder<HttpFault>();
        foreach (var node in server.List("faults"))
        {
            server.Section(() =>
            {
                var f = server.MapOf(node, "an HTTP fault");
                var kind = f.RequiredString("kind", "what the server does wrong: status, reset, wrong-length or slow");
                faults.Add(kind switch
                {
                    "status" => new HttpFault(HttpFaultKind.Status, Trigger(f)) { Status = f.Int("status", 100, 599) ?? 500 },
                    "reset" => new HttpFault(HttpFaultKind.ResetMidBody, Trigger(f)) { AfterBytes = f.Size("after", 0, MaxFaultBytes) ?? 0 },
                    "wrong-length" => new HttpFault(HttpFaultKind.WrongContentLength, Trigger(f)) { LengthDelta = f.Int("delta", -(1 << 30), 1 << 30) ?? -1 },
                    "slow" => new HttpFault(HttpFaultKind.SlowBody, Trigger(f))
                    {
                        BytesPerSecond = f.Size("rate", 1, 1L << 30) ?? throw new ScenarioException(f.Location, "a slow fault needs 'rate' in bytes per second (e.g. 64KB)"),
                    },
                    _ => throw f.Error(f.Get("kind")!, $"unknown HTTP fault '{kind}': status, reset, wrong-length or slow"),
                });
                f.EnsureAllRead("attempts", "request", "from_request", "file", "probability", "status", "after", "delta", "rate");
            });
        }
        return faults.ToImmutable();
    }

    /// <summary>Operator aborts and power losses: <c>{ kind: abort|power-loss, phase: script-run, attempt: 1, after_commands: 3 }</c>.</summary>
    public static IReadOnlyList<PoapLab.Switch.Poap.SwitchFault> Switch(YamlMap sw)
    {
        var faults = new List<PoapLab.Switch.Poap.SwitchFault>();
        foreach (var node in sw.List("faults"))
        {
            sw.Section(() =>
            {
                var f = sw.MapOf(node, "a switch fault");
                var kind = f.RequiredString("kind", "abort (the operator aborts POAP) or power-loss");
                var phaseName = f.RequiredString("phase", "where it strikes: " + string.Join(", ", Assertions.Expectations.PhaseNames));
                var phase = Assertions.Expectations.ParsePhase(phaseName)
                    ?? throw f.Error(f.Get("phase")!, $"unknown phase '{phaseName}': {string.Join(", ", Assertions.Expectations.PhaseNames)}");
                if (phase is PoapLab.Switch.Poap.PoapPhase.Completed or PoapLab.Switch.Poap.PoapPhase.ConfigReplay)
                {
                    throw f.Error(f.Get("phase")!, $"a switch fault cannot strike at {phaseName}: POAP is over by then");
                }
                faults.Add(new PoapLab.Switch.Poap.SwitchFault(
                    kind switch
                    {
                        "abort" => PoapLab.Switch.Poap.SwitchFaultKind.OperatorAbort,
                        "power-loss" => PoapLab.Switch.Poap.SwitchFaultKind.PowerLoss,
                        _ => throw f.Error(f.Get("kind")!, $"unknown switch fault '{kind}': abort or power-loss"),
                    },
                    phase,
                    f.Int("attempt", 1, 1000),
                    f.Int("after_commands", 1, 1_000_000) ?? 1));
                f.EnsureAllRead();
            });
        }
        return faults;
    }

    /// <summary>A probability as <c>30%</c> or <c>0.3</c>.</summary>
    public static double? Percent(YamlMap m, string key)
    {
        var node = m.Get(key);
        if (node is null)
        {
            return null;
        }
        var text = ((node as YamlScalarNode)?.Value ?? "").Trim();
        var percent = text.EndsWith('%');
        if (double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            v = percent ? v / 100 : v;
            if (v is >= 0 and <= 1)
            {
                return v;
            }
        }
        m.Report(m.Error(node, $"'{key}' must be a probability such as 30% or 0.3, not '{YamlMap.Shown(text)}'"));
        return null;
    }

    private static IReadOnlyList<int> Ints(YamlMap m, string key) =>
        m.Strings(key).Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1_000_000
            ? v
            : throw m.Error(m.Get(key)!, $"'{key}' must hold whole numbers from 0 to 1000000, not '{YamlMap.Shown(s)}'")).ToList();
}
