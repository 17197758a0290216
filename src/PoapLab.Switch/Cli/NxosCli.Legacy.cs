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
    private const string LegacyKickstartCompileTime = "3/1/2017 1:00:00 [03/01/2017 09:18:41]";
    private const string LegacySystemCompileTime = "3/1/2017 1:00:00 [03/01/2017 10:24:28]";

    /// <summary>True when the switch runs a 6.x (dual-image) release.</summary>
    private bool IsLegacy => _state.Features.DualImage;

    private CommandOutput ShowVersionLegacy()
    {
        var id = _state.Identity;
        var version = _state.RunningVersion.Display;
        var kickstart = "bootflash:///" + LegacyKickstartImage();
        var system = "bootflash:///" + LegacySystemImage();
        var uptime = Uptime();
        var chassis = LegacyChassisLine();
        var text = new StringBuilder()
            .Append("Cisco Nexus Operating System (NX-OS) Software\n")
            .Append("TAC support: http://www.cisco.com/tac\n")
            .Append("Documents: http://www.cisco.com/en/US/products/ps9372/tsd_products_support_series_home.html\n")
            .Append("Copyright (c) 2002-2017, Cisco Systems, Inc. All rights reserved.\n")
            .Append("The copyrights to certain works contained herein are owned by\n")
            .Append("other third parties and are used and distributed under license.\n")
            .Append("Some parts of this software are covered under the GNU Public\n")
            .Append("License. A copy of the license is available at\n")
            .Append("http://www.gnu.org/licenses/gpl.html.\n")
            .Append('\n')
            .Append("Software\n")
            .Append("  BIOS:      version ").Append(id.BiosVersion).Append('\n')
            .Append("  loader:    version N/A\n")
            .Append("  kickstart: version ").Append(version).Append('\n')
            .Append("  system:    version ").Append(version).Append('\n')
            .Append("  Power Sequencer Firmware: \n")
            .Append("             Module 1: version v4.1\n")
            .Append("  BIOS compile time:       ").Append(id.BiosCompileTime).Append('\n')
            .Append("  kickstart image file is: ").Append(kickstart).Append('\n')
            .Append("  kickstart compile time:  ").Append(LegacyKickstartCompileTime).Append('\n')
            .Append("  system image file is:    ").Append(system).Append('\n')
            .Append("  system compile time:     ").Append(LegacySystemCompileTime).Append('\n')
            .Append('\n')
            .Append('\n')
            .Append("Hardware\n")
            .Append("  ").Append(chassis).Append('\n')
            .Append("  Intel(R) Pentium(R) CPU  @ 2.00GHz\n")
            .Append(" with 3795116 kB of memory.\n")
            .Append("  Processor Board ID ").Append(id.Serial).Append('\n')
            .Append('\n')
            .Append("  Device name: ").Append(_state.Hostname).Append('\n')
            .Append("  bootflash:    ").Append(id.BootflashKilobytes.ToString(CultureInfo.InvariantCulture)).Append(" kB\n")
            .Append('\n')
            .Append(CultureInfo.InvariantCulture, $"Kernel uptime is {uptime.Days} day(s), {uptime.Hours} hour(s), {uptime.Minutes} minute(s), {uptime.Seconds} second(s)\n")
            .Append('\n')
            .Append("Last reset \n")
            .Append("  Reason: Unknown\n")
            .Append("  System version: ").Append(version).Append('\n')
            .Append("  Service: \n")
            .Append('\n')
            .Append("plugin\n")
            .Append("  Core Plugin, Ethernet Plugin\n")
            .ToString();
        var data = new JsonObject
        {
            ["header_str"] = "Cisco Nexus Operating System (NX-OS) Software\nTAC support: http://www.cisco.com/tac\n",
            ["bios_ver_str"] = id.BiosVersion,
            ["loader_ver_str"] = "N/A",
            ["kickstart_ver_str"] = version,
            ["sys_ver_str"] = version,
            ["bios_cmpl_time"] = id.BiosCompileTime,
            ["kick_file_name"] = kickstart,
            ["kick_cmpl_time"] = LegacyKickstartCompileTime.Split(" [")[0],
            ["kick_tmstmp"] = "03/01/2017 09:18:41",
            ["isan_file_name"] = system,
            ["isan_cmpl_time"] = LegacySystemCompileTime.Split(" [")[0],
            ["isan_tmstmp"] = "03/01/2017 10:24:28",
            ["chassis_id"] = chassis.StartsWith("cisco ", StringComparison.Ordinal) ? chassis["cisco ".Length..] : chassis,
            ["cpu_name"] = "Intel(R) Pentium(R) CPU  @ 2.00GHz",
            ["memory"] = 3795116,
            ["mem_type"] = "kB",
            ["proc_board_id"] = id.Serial,
            ["host_name"] = _state.Hostname,
            ["bootflash_size"] = id.BootflashKilobytes,
            ["kern_uptm_days"] = uptime.Days,
            ["kern_uptm_hrs"] = uptime.Hours,
            ["kern_uptm_mins"] = uptime.Minutes,
            ["kern_uptm_secs"] = uptime.Seconds,
            ["rr_reason"] = "Unknown",
            ["rr_sys_ver"] = version,
            ["rr_service"] = "",
            ["manufacturer"] = "Cisco Systems, Inc.",
        };
        return CommandOutput.Ok(text, data);
    }

    private CommandOutput ShowBootLegacy()
    {
        var kickstart = _state.KickstartBootVariable is { } k ? $"kickstart variable = {k}\n" : "kickstart variable not set\n";
        var system = _state.SystemBootVariable is { } s ? $"system variable = {s}\n" : "system variable not set\n";
        var poap = _state.BootPoapEnabled ? "Boot POAP Enabled\n" : "Boot POAP Disabled\n";
        var block = kickstart + system + poap;
        var data = new JsonObject
        {
            ["kickstart_variable"] = _state.KickstartBootVariable ?? "",
            ["system_variable"] = _state.SystemBootVariable ?? "",
            ["poap_status"] = _state.BootPoapEnabled ? "Enabled" : "Disabled",
        };
        return CommandOutput.Ok("\nCurrent Boot Variables:\n\n\n" + block + "\nBoot Variables on next reload:\n\n\n" + block, data);
    }

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
