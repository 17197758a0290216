using System.Text;
using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>install all nxos IMAGE [no-reload] [non-interruptive] [override] [bios] [no-save]</c> on
/// single-image releases and <c>install all kickstart K system S</c> on dual-image (6.x) ones
/// (which form is the release-features record's <see cref="NxosFeatures.DualImage"/>). Without
/// <c>no-reload</c> (and always on 6.x) the switch reloads: the script dies there, as on the switch.
/// </summary>
internal sealed class InstallCommands(CliDevice device) : ICommandFamily
{
    private const string Progress = "[####################] 100% -- SUCCESS\n";

    public void Register(CommandTable table) => table.Exec("install all", InstallAll);

    private Task<CommandOutput> InstallAll(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count == 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        if (device.State.BootPoapEnabled)
        {
            // Operators running POAP at scale report the installer refusing to run while
            // "boot poap enable" is configured (the switch would run POAP again after the upgrade).
            return CommandOutput.Fail(
                "Installer will perform compatibility check first. Please wait.\n" +
                "Pre-upgrade check failed: boot poap is enabled.\n" +
                "Please remove \"boot poap enable\" from the configuration and retry.\n" +
                "Install has failed.\n").AsTask();
        }
        if (device.State.Features.DualImage)
        {
            // 6.x installs a kickstart/system pair; the single "nxos" image came with 7.x.
            return CliText.Abbreviates(args[0].Text, "kickstart", 1) || CliText.Abbreviates(args[0].Text, "system", 2)
                ? InstallDualImage(context).AsTask()
                : context.InvalidArg(0).AsTask();
        }
        if (!CliText.Abbreviates(args[0].Text, "nxos", 2))
        {
            return context.InvalidArg(0).AsTask();
        }
        if (args.Count < 2)
        {
            return context.InvalidArg(1).AsTask();
        }
        bool noReload = false, bios = false;
        for (var i = 2; i < args.Count; i++)
        {
            var word = args[i].Text;
            if (CliText.Abbreviates(word, "no-reload", 4))
            {
                noReload = true;
            }
            else if (CliText.Abbreviates(word, "bios", 2))
            {
                bios = true;
            }
            else if (!CliText.Abbreviates(word, "non-interruptive", 4) && !CliText.Abbreviates(word, "override", 2) && !CliText.Abbreviates(word, "no-save", 4))
            {
                return context.InvalidArg(i).AsTask();
            }
        }
        return InstallNxos(context, args[1].Text, noReload, bios).AsTask();
    }

    private CommandOutput InstallNxos(CommandContext context, string name, bool noReload, bool bios)
    {
        // The scripts' BIOS step names the image without "bootflash:"; NX-OS takes it from bootflash.
        var flashName = name.Contains(':', StringComparison.Ordinal) || name.StartsWith('/') ? name : "bootflash:" + name;
        var path = device.ResolveFlash(flashName);
        var text = new StringBuilder()
            .Append("Installer will perform compatibility check first. Please wait.\n")
            .Append("Installer is forced disruptive\n\n")
            .Append("Verifying image ").Append(flashName).Append(" for boot variable \"nxos\".\n");
        if (path is null || !device.FlashFileExists(path))
        {
            return Missing(text, flashName);
        }
        var info = NxosImage.TryRead(device.State.Bootflash.Files, path);
        if (info is null)
        {
            text.Append("[####################] 100% -- FAIL.\n\n")
                .Append("Return code 0x4045001F (image is not a valid NX-OS image: invalid image).\n")
                .Append("Install has failed. Return code 0x4045001F.\n");
            return CommandOutput.Fail(text.ToString());
        }

        var id = device.State.Identity;
        var running = device.State.RunningVersion.Display;
        var target = info.Version.Display;
        var biosVersion = $"v{id.BiosVersion}({id.BiosCompileTime})";
        text.Append(Progress).Append('\n')
            .Append("Verifying image type.\n").Append(Progress).Append('\n')
            .Append("Preparing \"nxos\" version info using image ").Append(flashName).Append(".\n").Append(Progress).Append('\n')
            .Append("Preparing \"bios\" version info using image ").Append(flashName).Append(".\n").Append(Progress).Append('\n')
            .Append("Performing module support checks.\n").Append(Progress).Append('\n')
            .Append("Notifying services about system upgrade.\n").Append(Progress).Append("\n\n")
            .Append("Compatibility check is done:\n")
            .Append("Module  bootable          Impact  Install-type  Reason\n")
            .Append("------  --------  --------------  ------------  ------\n")
            .Append("     1       yes      disruptive         reset  default upgrade is not hitless\n\n\n")
            .Append("Images will be upgraded according to following table:\n")
            .Append("Module       Image                  Running-Version(pri:alt)           New-Version  Upg-Required\n")
            .Append("------  ----------  ----------------------------------------  --------------------  ------------\n")
            .Append($"     1        nxos  {running,40}  {(bios ? running : target),20}  {(bios || running == target ? "no" : "yes"),12}\n")
            .Append($"     1        bios  {biosVersion,40}  {biosVersion,20}  {"no",12}\n\n\n");
        if (!noReload && !bios)
        {
            text.Append("Switch will be reloaded for disruptive upgrade.\n");
        }
        text.Append("Install is in progress, please wait.\n\n")
            .Append("Performing runtime checks.\n").Append(Progress).Append('\n');
        if (!bios)
        {
            text.Append("Setting boot variables.\n").Append(Progress).Append('\n')
                .Append("Performing configuration copy.\n").Append(Progress).Append('\n');
        }
        text.Append("Module 1: Refreshing compact flash and upgrading bios/loader/bootrom.\n")
            .Append("Warning: please do not remove or power off the module at this time.\n")
            .Append(Progress).Append("\n\n")
            .Append("Install has been successful.\n");

        if (!bios)
        {
            device.State.BootVariable = BootCommands.BootVariableFor(path);
            if (!noReload)
            {
                device.RequestReload(context.Session, context.Command);
            }
        }
        return CommandOutput.Ok(text.ToString());
    }

    /// <summary><c>install all kickstart K system S</c>: the 6.x upgrade, which always reloads.</summary>
    private CommandOutput InstallDualImage(CommandContext context)
    {
        var args = context.Args;
        string? kickstartName = null, systemName = null;
        for (var i = 0; i < args.Count; i++)
        {
            var word = args[i].Text;
            var isKickstart = CliText.Abbreviates(word, "kickstart", 1);
            if (!isKickstart && !CliText.Abbreviates(word, "system", 2))
            {
                return context.InvalidArg(i);
            }
            if (i + 1 >= args.Count)
            {
                return context.InvalidArg(i + 1);
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
            return context.InvalidArg(args.Count);
        }
        var text = new StringBuilder()
            .Append("Installer is forced disruptive\n\n")
            .Append("Verifying image ").Append(kickstartName).Append(" for boot variable \"kickstart\".\n");
        var kickstartPath = device.ResolveFlash(kickstartName);
        if (kickstartPath is null || !device.FlashFileExists(kickstartPath))
        {
            return Missing(text, kickstartName);
        }
        text.Append(Progress).Append('\n')
            .Append("Verifying image ").Append(systemName).Append(" for boot variable \"system\".\n");
        var systemPath = device.ResolveFlash(systemName);
        if (systemPath is null || !device.FlashFileExists(systemPath))
        {
            return Missing(text, systemName);
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
        device.State.KickstartBootVariable = BootCommands.BootVariableFor(kickstartPath);
        device.State.SystemBootVariable = BootCommands.BootVariableFor(systemPath);
        device.RequestReload(context.Session, context.Command);
        return CommandOutput.Ok(text.ToString());
    }

    /// <summary>The installer's refusal of an image that is not there.</summary>
    private static CommandOutput Missing(StringBuilder text, string name) =>
        CommandOutput.Fail(text.Append("[####################] 100% -- FAIL.\n\n")
            .Append("Return code 0x40930011 (Image verification failed).\n")
            .Append(name).Append(": No such file or directory\n")
            .Append("Error: no such file: ").Append(name).Append('\n')
            .Append("Install has failed. Return code 0x40930011.\n").ToString());
}
