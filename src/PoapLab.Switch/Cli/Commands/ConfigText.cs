using System.Globalization;
using System.Text;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// The configuration as text (<c>show running-config</c>, <c>show startup-config</c>, and what
/// <c>copy running-config|startup-config ...</c> writes) and the configuration lines of a file.
/// </summary>
internal static class ConfigText
{
    /// <summary>The last line of every <c>copy</c> that worked.</summary>
    public const string CopyComplete = "Copy complete.\n";

    /// <summary>The progress bar of a copy to a file or to the startup-config.</summary>
    public const string CopyProgress = "[########################################] 100%\n";

    /// <summary>What <c>show running-config</c> prints; also what <c>copy running-config</c> writes.</summary>
    public static string Running(CliDevice device)
    {
        var state = device.State;
        var now = Time(device.Clock.GetUtcNow());
        var sb = new StringBuilder()
            .Append("\n!Command: show running-config\n")
            .Append("!Running configuration last done at: ").Append(now).Append('\n')
            .Append("!Time: ").Append(now).Append('\n')
            .Append('\n')
            .Append("version ").Append(state.RunningVersion.Display).Append(" Bios:version ").Append(state.Identity.BiosVersion).Append('\n');
        if (!state.RunningConfig.Any(l => l.StartsWith("hostname ", StringComparison.Ordinal)))
        {
            sb.Append("hostname ").Append(state.Hostname).Append('\n');
        }
        foreach (var line in state.RunningConfig)
        {
            if (!IsBootImageLine(line))
            {
                sb.Append(line).Append('\n');
            }
        }
        if (state.BootVariable is { } boot)
        {
            sb.Append("boot nxos ").Append(boot).Append('\n');
        }
        if (state.KickstartBootVariable is { } kickstart)
        {
            sb.Append("boot kickstart ").Append(kickstart).Append('\n');
        }
        if (state.SystemBootVariable is { } system)
        {
            sb.Append("boot system ").Append(system).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>What <c>show startup-config</c> prints; also what <c>copy startup-config</c> writes.</summary>
    public static string Startup(CliDevice device)
    {
        var state = device.State;
        var sb = new StringBuilder().Append("\n!Command: show startup-config\n");
        if (state.StartupConfig is not { } lines)
        {
            return sb.Append("!No startup configuration\n").ToString();
        }
        sb.Append("!Time: ").Append(Time(device.Clock.GetUtcNow())).Append('\n')
            .Append('\n')
            .Append("version ").Append(state.RunningVersion.Display).Append(" Bios:version ").Append(state.Identity.BiosVersion).Append('\n');
        foreach (var line in lines)
        {
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The lines of a configuration file: line endings stripped, blank lines dropped.</summary>
    public static IEnumerable<string> Lines(string text) =>
        text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0);

    /// <summary>Puts <paramref name="line"/> where the first matching line was (at the end when none), dropping the others.</summary>
    public static void ReplaceLine(SwitchState state, Predicate<string> matches, string line)
    {
        var at = state.RunningConfig.FindIndex(matches);
        state.RunningConfig.RemoveAll(matches);
        state.RunningConfig.Insert(at < 0 ? state.RunningConfig.Count : Math.Min(at, state.RunningConfig.Count), line);
    }

    /// <summary><c>boot nxos</c>, <c>boot kickstart</c>, <c>boot system</c>: printed from the boot variables, not kept as typed.</summary>
    public static bool IsBootImageLine(string line) =>
        line.StartsWith("boot nxos ", StringComparison.OrdinalIgnoreCase)
        || line.StartsWith("boot kickstart ", StringComparison.OrdinalIgnoreCase)
        || line.StartsWith("boot system ", StringComparison.OrdinalIgnoreCase);

    private static string Time(DateTimeOffset t) =>
        $"{t.ToString("ddd MMM", CultureInfo.InvariantCulture)} {t.Day,2} {t.ToString("HH:mm:ss yyyy", CultureInfo.InvariantCulture)}";
}
