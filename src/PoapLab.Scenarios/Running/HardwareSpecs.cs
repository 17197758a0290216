using PoapLab.Lab;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Services;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Script;

namespace PoapLab.Scenarios.Running;

/// <summary>
/// A scenario in the terms of the hardware commands (<c>poaplab serve</c>, <c>poaplab device</c>):
/// the same mapping as a run's (<see cref="LabSpecs"/>), its servers for a real interface and
/// its switches one at a time.
/// </summary>
public static class HardwareSpecs
{
    /// <summary>
    /// Why serve cannot bring this scenario's servers up on an interface, or null when it can:
    /// PoapLab's sshd on a real segment knows one account, the scenario's <c>user</c>, which
    /// must be a name an account can have. The user's own daemons, the sshd and a relay's router
    /// run in lab hosts of their own on the interface.
    /// </summary>
    public static string? NotServable(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (scenario.Servers.Ssh.FirstOrDefault(x => !IsAccountName(x.User)) is { } ssh)
        {
            return $"servers.ssh at {ssh.Address}: a real switch logs in as the user '{ssh.User}', and serve's sshd can have only an account named with lower-case letters, digits, '_' and '-' (not root or sshd; useradd(8))";
        }
        return null;
    }

    private static bool IsAccountName(string name) =>
        name.Length is > 0 and <= 32 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_') && name is not ("root" or "sshd")
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-');

    /// <summary>The router of <c>servers.relay</c> for serve, or null without a relay.</summary>
    public static ServeRouter? Router(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return scenario.Servers.Relay is { } r ? new ServeRouter(r.Address, r.PrefixLength, r.Upstream, r.UpstreamPrefixLength, r.RouteBack) : null;
    }

    /// <summary>The scenario's files put in place under <paramref name="filesRoot"/>, every server's root made.</summary>
    public static void Materialise(Scenario scenario, string filesRoot, string? scriptOverride)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ScenarioFiles.Materialise(scenario.Files, filesRoot, scriptOverride, scenario.Seed);
        foreach (var root in scenario.Servers.Tftp.Concat(scenario.Servers.Http).Select(f => f.Root).Concat(scenario.Servers.Ftp.Select(l => l.Root)))
        {
            Directory.CreateDirectory(Path.Combine(filesRoot, root));
        }
    }

    /// <summary>
    /// The scenario's servers, as a run starts them; the user's real daemons keep their state and
    /// logs in the output folder (<c>servers/</c>, beside <c>files/</c>). The sshd's one account
    /// is the scenario's user (a real switch logs in with it; no simulated switch maps it here).
    /// </summary>
    public static IReadOnlyList<LabServiceSpec> Services(Scenario scenario, string filesRoot) =>
        [.. LabSpecs.Services(scenario, filesRoot).Select(s => s is SshServiceSpec ssh ? ssh with { Options = ssh.Options with { Account = ssh.User } } : s)];

    /// <summary>The lab options of a hardware run (the user's real daemons and PoapLab's own servers; the switches' clocks start as the scenario says).</summary>
    public static LabOptions Lab(Scenario scenario, string workDirectory)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return new LabOptions
        {
            ClockStart = scenario.ClockStart,
            Scripts = new ScriptHost(),
            WorkDirectory = workDirectory,
            // The user's real servers first: a factory takes only the specs it can start.
            ServiceFactories = [.. PoapLab.Lab.Services.Real.RealServiceFactory.All, .. PoapLab.Lab.Services.Embedded.EmbeddedServiceFactories.All],
        };
    }

    /// <summary>
    /// The switches serve waits for: each by name, serial and MAC; a failure is its verdict once
    /// the wire proves as many attempts as <c>expect: attempts</c> (or <c>min_attempts</c>)
    /// says, else two (one failed attempt and the next), or the switch's <c>max_attempts</c> when fewer.
    /// </summary>
    public static IReadOnlyList<ServeTarget> Targets(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return [.. scenario.Switches.Select(m =>
        {
            var expect = m.Expect ?? scenario.Expect;
            var after = expect.Attempts ?? expect.MinAttempts ?? Math.Min(2, Math.Max(1, m.MaxAttempts));
            return new ServeTarget(new ServeSwitch(m.Name, m.Serial, m.Mac), after);
        })];
    }

    /// <summary>A switch's folder under a scenario's output (<c>switches/NAME</c>, the name made safe).</summary>
    public static string SwitchFolder(string outDir, string name) => Path.Combine(outDir, "switches", OutputDirectory.SafeName(name));

    /// <summary>Parses a duration as scenario files write them (<c>30s</c>, <c>5m</c>, <c>2h</c>, <c>250ms</c>); null when malformed.</summary>
    public static TimeSpan? ParseDuration(string text) => Loading.YamlMap.ParseDuration(text ?? "");

    /// <summary>One switch of the scenario, its trees under <paramref name="outDir"/> (<c>switches/NAME</c>), its bootflash files in place.</summary>
    public static LabSwitchOptions Switch(Scenario scenario, SwitchModel model, string outDir)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(model);
        var root = LabSpecs.SwitchRoot(outDir, model);
        Directory.CreateDirectory(root);
        ScenarioFiles.Materialise(model.BootflashFiles, Path.Combine(root, "bootflash"), null, scenario.Seed, ScenarioFiles.SwitchFile);
        return LabSpecs.Switch(scenario, model, outDir);
    }
}
