using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// The boot variables: <c>boot nxos IMAGE</c> on single-image releases, the <c>boot kickstart</c> /
/// <c>boot system</c> pair on dual-image (6.x) ones, <c>[no] boot poap enable</c>, and
/// <c>show boot</c>. Which form a release has is the release-features record's
/// <see cref="NxosFeatures.DualImage"/>; the other form is rejected at its second word, as the parser does.
/// </summary>
internal sealed class BootCommands(CliDevice device) : ICommandFamily
{
    private const string Verifying = "Performing image verification and compatibility check, please wait....\n";

    public void Register(CommandTable table)
    {
        table.Exec("show boot", (c, _) => c.NoArgs(ShowBoot));
        table.Config("boot nxos", BootNxos);
        table.Config("boot kickstart", (c, _) => BootDualImage(c, kickstart: true));
        table.Config("boot system", (c, _) => BootDualImage(c, kickstart: false));
        table.Config("boot poap enable", (c, _) => SetBootPoap(c, enable: true));
        table.Config("no boot poap enable", (c, _) => SetBootPoap(c, enable: false));
    }

    /// <summary>The boot variable NX-OS stores for an image: <c>bootflash:/name</c>.</summary>
    public static string BootVariableFor(string flashPath) => "bootflash:/" + flashPath;

    private CommandOutput ShowBoot()
    {
        var state = device.State;
        var poap = state.BootPoapEnabled ? "Enabled" : "Disabled";
        return state.Features.DualImage
            ? CommandOutput.Ok(new ShowBootLegacyRecord(state.KickstartBootVariable ?? "", state.SystemBootVariable ?? "", poap))
            : CommandOutput.Ok(new ShowBootRecord(state.BootVariable ?? "", poap));
    }

    private Task<CommandOutput> BootNxos(CommandContext context, CancellationToken cancellationToken)
    {
        if (device.State.Features.DualImage)
        {
            // 6.x boots a kickstart/system pair; "boot nxos" came with the single image of 7.x.
            return context.UnknownAt(1).AsTask();
        }
        if (ImageArgument(context, out var name, out var path) is { } refused)
        {
            return refused.AsTask();
        }
        if (NxosImage.TryRead(device.State.Bootflash.Files, path) is null)
        {
            return CommandOutput.Fail($"{Verifying}Image verification failed for {name}: not a valid NX-OS image").AsTask();
        }
        var variable = BootVariableFor(path);
        device.State.BootVariable = variable;
        ConfigText.ReplaceLine(device.State, l => l.StartsWith("boot nxos ", StringComparison.OrdinalIgnoreCase), "boot nxos " + variable);
        return CommandOutput.Ok(Verifying).AsTask();
    }

    /// <summary><c>boot kickstart IMAGE</c> / <c>boot system IMAGE</c>: one half of the 6.x boot pair.</summary>
    private Task<CommandOutput> BootDualImage(CommandContext context, bool kickstart)
    {
        if (!device.State.Features.DualImage)
        {
            // 7.x and later have one image and only "boot nxos".
            return context.UnknownAt(1).AsTask();
        }
        if (ImageArgument(context, out _, out var path) is { } refused)
        {
            return refused.AsTask();
        }
        var variable = BootVariableFor(path);
        if (kickstart)
        {
            device.State.KickstartBootVariable = variable;
        }
        else
        {
            device.State.SystemBootVariable = variable;
        }
        var keyword = kickstart ? "boot kickstart " : "boot system ";
        ConfigText.ReplaceLine(device.State, l => l.StartsWith(keyword, StringComparison.OrdinalIgnoreCase), keyword + variable);
        return CommandOutput.Ok(Verifying).AsTask();
    }

    private Task<CommandOutput> SetBootPoap(CommandContext context, bool enable)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        var state = device.State;
        state.BootPoapEnabled = enable;
        state.RunningConfig.RemoveAll(l => l.Equals("boot poap enable", StringComparison.OrdinalIgnoreCase));
        if (enable)
        {
            state.RunningConfig.Add("boot poap enable");
        }
        return CommandOutput.Empty.AsTask();
    }

    /// <summary>
    /// The image argument of <c>boot nxos|kickstart|system IMAGE [sup-1|sup-2]</c> (the supervisor
    /// word changes nothing on a one-sup box): the refusal, or null with the flash path of an existing file.
    /// </summary>
    private CommandOutput? ImageArgument(CommandContext context, out string name, out string path)
    {
        var args = context.Args;
        name = path = "";
        if (args.Count == 0)
        {
            return context.InvalidArg(0);
        }
        if (args.Count > 2 || (args.Count == 2 && !args[1].Text.StartsWith("sup-", StringComparison.OrdinalIgnoreCase)))
        {
            return context.InvalidArg(args.Count == 2 ? 1 : 2);
        }
        name = args[0].Text;
        var resolved = device.ResolveFlash(name);
        var outside = name.Contains(':', StringComparison.Ordinal) ? CliFiles.PermissionDenied(name) : context.InvalidArg(0);
        if (resolved is null)
        {
            return outside;
        }
        try
        {
            if (!device.State.Bootflash.Files.FileExists(resolved))
            {
                return CliFiles.NoSuchFile(name);
            }
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, outside);
        }
        path = resolved;
        return null;
    }
}
