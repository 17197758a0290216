using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

/// <summary>
/// NX-OS 6.x on Nexus 3000/5000 (<see cref="State.SwitchState.RunningVersion"/> major below 7):
/// two images, a kickstart and a system image, named by a pair of boot variables
/// (<c>boot kickstart ...</c> / <c>boot system ...</c>) instead of <c>boot nxos</c>, and a
/// <c>show version</c> that prints <c>kickstart:</c>/<c>system:</c> lines (the legacy scripts'
/// <c>system.*version</c> regex) instead of <c>NXOS:</c>.
/// </summary>
/// <remarks>
/// The <c>show version</c> layout is the one 6.0(2)U releases print on a Nexus 3172 (as
/// recalled from those releases' output and Cisco's N3K 6.x configuration guides: labels
/// padded so the values line up, <c>BIOS:      version</c>, <c>system:    version</c>,
/// <c>kickstart image file is: bootflash:///n3000-uk9-kickstart.6.0.2.U6.10.bin</c>).
/// Its JSON keys (<c>sys_ver_str</c>, <c>isan_file_name</c>, <c>kick_file_name</c>) are the
/// 6.x ones; <c>show boot</c>'s 6.x JSON keys are a guess.
/// </remarks>
public sealed partial class NxosCli
{
    /// <summary>True when the switch runs a 6.x (dual-image) release.</summary>
    private bool IsLegacy => _state.Features.DualImage;

    private CommandOutput ShowVersionLegacy()
    {
        var id = _state.Identity;
        return CommandOutput.Ok(new ShowVersionLegacyRecord
        {
            BiosVersion = id.BiosVersion,
            Version = _state.RunningVersion.Display,
            BiosCompileTime = id.BiosCompileTime,
            KickstartImage = "bootflash:///" + LegacyKickstartImage(),
            SystemImage = "bootflash:///" + LegacySystemImage(),
            ChassisLine = LegacyChassisLine(),
            Serial = id.Serial,
            Hostname = _state.Hostname,
            BootflashKilobytes = id.BootflashKilobytes,
            Uptime = Commands.Uptime.From(Uptime()),
        });
    }

    private CommandOutput ShowBootLegacy() =>
        CommandOutput.Ok(new ShowBootLegacyRecord(
            _state.KickstartBootVariable ?? "", _state.SystemBootVariable ?? "", _state.BootPoapEnabled ? "Enabled" : "Disabled"));

    /// <summary><c>boot kickstart &lt;image&gt;</c> / <c>boot system &lt;image&gt;</c>: one half of the 6.x boot pair.</summary>
    private Task<CommandOutput> BootLegacyImage(CommandContext context, bool kickstart)
    {
        if (!IsLegacy)
        {
            // 7.x and later have one image and only "boot nxos".
            return CommandOutput.From(CliResult.InvalidCommand(context.Command, context.Words[1].Column)).AsTask();
        }
        if (BootImageArgument(context, out var name, out var path) is { } refused)
        {
            return refused.AsTask();
        }
        var variable = BootVariableFor(path);
        if (kickstart)
        {
            _state.KickstartBootVariable = variable;
        }
        else
        {
            _state.SystemBootVariable = variable;
        }
        var keyword = kickstart ? "boot kickstart " : "boot system ";
        ReplaceConfigLine(l => l.StartsWith(keyword, StringComparison.OrdinalIgnoreCase), keyword + variable);
        return CommandOutput.Ok("Performing image verification and compatibility check, please wait....\n").AsTask();
    }

    /// <summary><c>install all kickstart &lt;k&gt; system &lt;s&gt;</c>: the 6.x upgrade, which always reloads.</summary>
    private Task<CommandOutput> InstallAllLegacy(CommandContext context)
    {
        var args = context.Args;
        string? kickstartName = null, systemName = null;
        for (var i = 0; i < args.Count; i++)
        {
            var word = args[i].Text;
            var isKickstart = Abbreviates(word, "kickstart", 1);
            if (!isKickstart && !Abbreviates(word, "system", 2))
            {
                return context.InvalidArg(i).AsTask();
            }
            if (i + 1 >= args.Count)
            {
                return context.InvalidArg(i + 1).AsTask();
            }
            if (isKickstart)
            {
                kickstartName = args[++i].Text;
            }
            else
            {
                systemName = args[++i].Text;
            }
        }
        if (kickstartName is null || systemName is null)
        {
            return context.InvalidArg(args.Count).AsTask();
        }
        var text = new StringBuilder()
            .Append("Installer is forced disruptive\n\n")
            .Append("Verifying image ").Append(kickstartName).Append(" for boot variable \"kickstart\".\n");
        var kickstartPath = ResolveFlash(kickstartName);
        if (kickstartPath is null || !FlashFileExists(kickstartPath))
        {
            return InstallMissing(text, kickstartName).AsTask();
        }
        text.Append(Progress).Append('\n')
            .Append("Verifying image ").Append(systemName).Append(" for boot variable \"system\".\n");
        var systemPath = ResolveFlash(systemName);
        if (systemPath is null || !FlashFileExists(systemPath))
        {
            return InstallMissing(text, systemName).AsTask();
        }
        text.Append(Progress).Append('\n')
            .Append("Verifying image type.\n").Append(Progress).Append('\n')
            .Append("Extracting \"system\" version from image ").Append(systemName).Append(".\n").Append(Progress).Append('\n')
            .Append("Extracting \"kickstart\" version from image ").Append(kickstartName).Append(".\n").Append(Progress).Append('\n')
            .Append("Performing module support checks.\n").Append(Progress).Append("\n\n")
            .Append("Compatibility check is done:\n")
            .Append("Module  bootable          Impact  Install-type  Reason\n")
            .Append("------  --------  --------------  ------------  ------\n")
            .Append("     1       yes      disruptive         reset  Unsupported in new image, module needs to be powered off\n\n")
            .Append("Switch will be reloaded for disruptive upgrade.\n")
            .Append("Install is in progress, please wait.\n\n")
            .Append("Setting boot variables.\n").Append(Progress).Append('\n')
            .Append("Performing configuration copy.\n").Append(Progress).Append("\n\n")
            .Append("Finishing the upgrade, switch will reboot in 10 seconds.\n");
        _state.KickstartBootVariable = BootVariableFor(kickstartPath);
        _state.SystemBootVariable = BootVariableFor(systemPath);
        RequestReload(context.Session, context.Command);
        return CommandOutput.Ok(text.ToString()).AsTask();
    }

    private static CommandOutput InstallMissing(StringBuilder text, string name) =>
        CommandOutput.Fail(text.Append("[####################] 100% -- FAIL.\n\n")
            .Append("Return code 0x40930011 (Image verification failed).\n")
            .Append(name).Append(": No such file or directory\n")
            .Append("Error: no such file: ").Append(name).Append('\n')
            .Append("Install has failed. Return code 0x40930011.\n").ToString());

    /// <summary><c>n3000-uk9</c>, <c>n3500-uk9</c>, <c>n5000-uk9</c> or <c>n6000-uk9</c>: the 6.x image family of the model.</summary>
    private string LegacyImageFamily()
    {
        var model = _state.Identity.Model.ToUpperInvariant();
        return model.StartsWith("N3K-C35", StringComparison.Ordinal) ? "n3500-uk9"
            : model.StartsWith("N5K-", StringComparison.Ordinal) ? "n5000-uk9"
            : model.StartsWith("N6K-", StringComparison.Ordinal) ? "n6000-uk9"
            : "n3000-uk9";
    }

    /// <summary>The system image the switch runs: the running image when it has a 6.x name, else the canonical one.</summary>
    private string LegacySystemImage()
    {
        var name = ImageFileName(_state.RunningImage);
        if (!name.StartsWith("nxos", StringComparison.OrdinalIgnoreCase) && name.Length > 0)
        {
            return name;
        }
        var v = _state.RunningVersion;
        var release = $"{v.Major}.{v.Minor}.{v.Maintenance}" + (v.Train is null ? "" : $".{v.Train}.{v.TrainRelease}");
        return $"{LegacyImageFamily()}.{release}.bin";
    }

    private string LegacyKickstartImage()
    {
        var system = LegacySystemImage();
        var at = system.IndexOf("-uk9.", StringComparison.Ordinal);
        return at >= 0
            ? system[..at] + "-uk9-kickstart." + system[(at + "-uk9.".Length)..]
            : LegacyImageFamily() + "-kickstart." + system;
    }

    /// <summary><c>cisco Nexus 3172 Chassis ("48x10GE + 6x40G Supervisor")</c>, as 6.x prints the chassis.</summary>
    private string LegacyChassisLine()
    {
        var m = Regex.Match(_state.Identity.Model, @"-C(\d{4})", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return m.Success
            ? $"cisco Nexus {m.Groups[1].Value} Chassis (\"{_state.Identity.ModuleType}\")"
            : _state.Identity.ChassisDescription;
    }

    private TimeSpan Uptime()
    {
        var uptime = _clock.GetUtcNow() - BootedAt;
        return uptime < TimeSpan.Zero ? TimeSpan.Zero : uptime;
    }
}
