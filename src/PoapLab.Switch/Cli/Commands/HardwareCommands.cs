using System.Text;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>show hardware</c>, <c>show version image FILE</c> and
/// <c>show system internal platform internal info</c>: what older POAP scripts read the
/// serial number, the running image, an image's check and the box's readiness from.
/// </summary>
internal sealed class HardwareCommands(CliDevice device) : ICommandFamily
{
    public void Register(CommandTable table)
    {
        table.Exec("show hardware", ShowHardware);
        table.Exec("show version image", ShowVersionImage);
        table.Exec("show system internal platform internal info", ShowPlatformInfo);
    }

    /// <summary>
    /// <c>show version</c>'s text followed by the "Switch hardware ID information" block
    /// (Cisco Nexus 9000 Series NX-OS Fundamentals Configuration Guide / command reference,
    /// <c>show hardware</c>): scripts read <c>Serial number is</c>, <c>NXOS image file is:</c>
    /// and <c>bootflash:</c> from it.
    /// </summary>
    private Task<CommandOutput> ShowHardware(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        var version = ShowVersionCommands.Record(device);
        var id = device.State.Identity;
        var hardware = new HardwareIdRecord(id.ChassisDescription, id.Model, "0.2110", "73-17776-02", "11", "Year 21 Week 15", id.Serial);
        return CommandOutput.Ok(version.ToText() + hardware.ToText()).AsTask();
    }

    /// <summary>
    /// The image check of <c>show version image</c>: <c>MD5 Verification Passed</c> (scripts take
    /// the third word, or what follows <c>MD5 Verification </c>), then the image's name and release
    /// (<c>kickstart:</c>/<c>system:</c> on 6.x, <c>nxos:</c> later; scripts take the eleventh word).
    /// </summary>
    private Task<CommandOutput> ShowVersionImage(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count != 1)
        {
            return context.InvalidArg(args.Count == 0 ? 0 : 1).AsTask();
        }
        var name = args[0].Text;
        if (device.Filesystems.Resolve(name, context.Session.CurrentDirectory) is not { } path)
        {
            return CliFiles.NoSuchFile(name).AsTask();
        }
        NxosImageInfo? info;
        try
        {
            if (!path.Filesystem.Files.FileExists(path.Relative))
            {
                return CliFiles.NoSuchFile(name).AsTask();
            }
            info = NxosImage.TryRead(path.Filesystem.Files, path.Relative);
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.NoSuchFile(name)).AsTask();
        }
        if (info is null)
        {
            return CommandOutput.Ok("MD5 Verification Failed\n\n" + $"  image name: {path.Name}\n").AsTask();
        }
        var id = device.State.Identity;
        var label = !device.State.Features.DualImage ? "nxos:"
            : path.Name.Contains("kickstart", StringComparison.OrdinalIgnoreCase) ? "kickstart:" : "system:";
        var text = new StringBuilder()
            .Append("MD5 Verification Passed\n\n")
            .Append("  image name: ").Append(path.Name).Append('\n')
            .Append("  bios:       v").Append(id.BiosVersion).Append('(').Append(id.BiosCompileTime).Append(")\n")
            .Append("  ").Append(label.PadRight(11)).Append(" version ").Append(info.Version.Display).Append('\n')
            .Append("  compiled:   ").Append(ShowVersionCommands.CompileTime).Append('\n')
            .ToString();
        return CommandOutput.Ok(text).AsTask();
    }

    /// <summary>
    /// A platform's internal state block; POAP scripts of the 2013 samples grep <c>box_online</c>
    /// and strip everything but the digits, waiting for <c>1</c>. By the time POAP runs the box is online.
    /// </summary>
    private Task<CommandOutput> ShowPlatformInfo(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        var text = new StringBuilder()
            .Append("Platform internal info:\n")
            .Append("  chassis_type: ").Append(device.State.Identity.Model).Append('\n')
            .Append("  box_online: 1\n")
            .Append("  sup_state: active\n")
            .ToString();
        return CommandOutput.Ok(text).AsTask();
    }

    /// <summary>The "Switch hardware ID information" block of <c>show hardware</c> (text only: NX-OS's JSON keys for it are not documented).</summary>
    private sealed record HardwareIdRecord(
        string SwitchType, string Model, string HardwareVersion, string PartNumber, string PartRevision, string ManufactureDate, string Serial) : CliRecord
    {
        public override string ToText() => new StringBuilder()
            .Append("--------------------------------\n")
            .Append("Switch hardware ID information\n")
            .Append("--------------------------------\n")
            .Append('\n')
            .Append("Switch is booted up\n")
            .Append("  Switch type is : ").Append(SwitchType).Append('\n')
            .Append("  Model number is ").Append(Model).Append('\n')
            .Append("  H/W version is ").Append(HardwareVersion).Append('\n')
            .Append("  Part Number is ").Append(PartNumber).Append('\n')
            .Append("  Part Revision is ").Append(PartRevision).Append('\n')
            .Append("  Manufacture Date is ").Append(ManufactureDate).Append('\n')
            .Append("  Serial number is ").Append(Serial).Append('\n')
            .Append("  CLEI code is \n")
            .ToString();
    }
}
