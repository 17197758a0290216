using System.Text;
using PoapLab.Switch.Identity;

using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

/// <summary><c>install all nxos &lt;image&gt; [no-reload] [non-interruptive] [override] [bios]</c>.</summary>
public sealed partial class NxosCli
{
    private const string Progress = "[####################] 100% -- SUCCESS\n";

    private void RegisterInstallCommands() => _exec.Add("install all", InstallAll);

    private Task<CommandOutput> InstallAll(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count == 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        if (_state.BootPoapEnabled)
        {
            // Operators running POAP at scale report the installer refusing to run while
            // "boot poap enable" is configured (the switch would run POAP again after the upgrade).
            return CommandOutput.Fail(
                "Installer will perform compatibility check first. Please wait.\n" +
                "Pre-upgrade check failed: boot poap is enabled.\n" +
                "Please remove \"boot poap enable\" from the configuration and retry.\n" +
                "Install has failed.\n").AsTask();
        }
        if (IsLegacy)
        {
            // 6.x installs a kickstart/system pair; the single "nxos" image came with 7.x.
            return Abbreviates(args[0].Text, "kickstart", 1) || Abbreviates(args[0].Text, "system", 2)
                ? InstallAllLegacy(context)
                : context.InvalidArg(0).AsTask();
        }
        if (!Abbreviates(args[0].Text, "nxos", 2))
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
            if (Abbreviates(word, "no-reload", 4))
            {
                noReload = true;
            }
            else if (Abbreviates(word, "bios", 2))
            {
                bios = true;
            }
            else if (!Abbreviates(word, "non-interruptive", 4) && !Abbreviates(word, "override", 2) && !Abbreviates(word, "no-save", 4))
            {
                return context.InvalidArg(i).AsTask();
            }
        }

        var name = args[1].Text;
        // The scripts' BIOS step names the image without "bootflash:"; NX-OS takes it from bootflash.
        var flashName = name.Contains(':', StringComparison.Ordinal) || name.StartsWith('/') ? name : "bootflash:" + name;
        var path = ResolveFlash(flashName);
        var text = new StringBuilder()
            .Append("Installer will perform compatibility check first. Please wait.\n")
            .Append("Installer is forced disruptive\n\n")
            .Append("Verifying image ").Append(flashName).Append(" for boot variable \"nxos\".\n");
        if (path is null || !FlashFileExists(path))
        {
            text.Append("[####################] 100% -- FAIL.\n\n")
                .Append("Return code 0x40930011 (Image verification failed).\n")
                .Append(flashName).Append(": No such file or directory\n")
                .Append("Error: no such file: ").Append(flashName).Append('\n')
                .Append("Install has failed. Return code 0x40930011.\n");
            return CommandOutput.Fail(text.ToString()).AsTask();
        }
        var info = NxosImage.TryRead(Flash, path);
        if (info is null)
        {
            text.Append("[####################] 100% -- FAIL.\n\n")
                .Append("Return code 0x4045001F (image is not a valid NX-OS image: invalid image).\n")
                .Append("Install has failed. Return code 0x4045001F.\n");
            return CommandOutput.Fail(text.ToString()).AsTask();
        }

        var running = _state.RunningVersion.Display;
        var target = info.Version.Display;
        var biosVersion = $"v{_state.Identity.BiosVersion}({_state.Identity.BiosCompileTime})";
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
            _state.BootVariable = BootVariableFor(path);
            if (!noReload)
            {
                RequestReload(context.Session, context.Command);
            }
        }
        return CommandOutput.Ok(text.ToString()).AsTask();
    }
}
