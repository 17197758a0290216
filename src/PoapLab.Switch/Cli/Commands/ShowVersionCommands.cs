using System.Text.RegularExpressions;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>show version</c>: the single-image layout of 7.x and later, or the kickstart/system layout
/// of a dual-image (6.x) release, as the release-features record says.
/// </summary>
internal sealed partial class ShowVersionCommands(CliDevice device) : ICommandFamily
{
    /// <summary>The compile stamp the emulated images carry: date, and in brackets the build time.</summary>
    public const string CompileTime = "8/31/2021 12:00:00 [08/31/2021 23:49:50]";

    public void Register(CommandTable table) => table.Exec("show version", (c, _) => c.NoArgs(() => CommandOutput.Ok(Record(device))));

    /// <summary>What <c>show version</c> prints on this switch (<c>show hardware</c> starts with its text).</summary>
    public static CliRecord Record(CliDevice device) => device.State.Features.DualImage ? DualImage(device) : SingleImage(device);

    private static ShowVersionRecord SingleImage(CliDevice device)
    {
        var state = device.State;
        var id = state.Identity;
        var version = state.RunningVersion;
        var compile = CompileTime.Split(" [");
        return new ShowVersionRecord
        {
            BiosVersion = id.BiosVersion,
            Version = version.Display,
            ReleaseType = version.ReleaseLabel.Length > 0 ? version.ReleaseLabel.Trim(' ', '[', ']') : null,
            BiosCompileTime = id.BiosCompileTime,
            Image = "bootflash:///" + ImageFileName(state.RunningImage),
            CompileDate = compile[0],
            Timestamp = compile[1].TrimEnd(']'),
            ChassisLine = id.ChassisDescription,
            ChassisId = ChassisName(device) + " Chassis",
            Cpu = "Intel(R) Xeon(R) CPU D-1528 @ 1.90GHz",
            MemoryKilobytes = 24571632,
            Serial = id.Serial,
            Hostname = state.Hostname,
            BootflashKilobytes = id.BootflashKilobytes,
            Uptime = Uptime.From(device.Uptime),
        };
    }

    /// <summary>
    /// The 6.0(2)U layout on a Nexus 3172 (labels padded so the values line up,
    /// <c>kickstart image file is: bootflash:///n3000-uk9-kickstart.6.0.2.U6.10.bin</c>); the image
    /// names come from the release-features record.
    /// </summary>
    private static ShowVersionLegacyRecord DualImage(CliDevice device)
    {
        var state = device.State;
        var id = state.Identity;
        var features = state.Features;
        var system = features.SystemImageName(state.RunningImage);
        return new ShowVersionLegacyRecord
        {
            BiosVersion = id.BiosVersion,
            Version = state.RunningVersion.Display,
            BiosCompileTime = id.BiosCompileTime,
            KickstartImage = "bootflash:///" + features.KickstartImageFor(system),
            SystemImage = "bootflash:///" + system,
            ChassisLine = DualImageChassisLine(device),
            Serial = id.Serial,
            Hostname = state.Hostname,
            BootflashKilobytes = id.BootflashKilobytes,
            Uptime = Uptime.From(device.Uptime),
        };
    }

    /// <summary>An image file name from the running-image field, whatever form it was given in.</summary>
    public static string ImageFileName(string image)
    {
        var name = image.StartsWith("bootflash:", StringComparison.OrdinalIgnoreCase) ? image["bootflash:".Length..] : image;
        return name.TrimStart('/');
    }

    /// <summary><c>Nexus9000 C93108TC-EX</c>: the chassis line without "cisco" and "chassis".</summary>
    public static string ChassisName(CliDevice device)
    {
        var d = device.State.Identity.ChassisDescription;
        if (d.StartsWith("cisco ", StringComparison.Ordinal))
        {
            d = d["cisco ".Length..];
        }
        return d.EndsWith(" chassis", StringComparison.Ordinal) ? d[..^" chassis".Length] : d;
    }

    /// <summary><c>cisco Nexus 3172 Chassis ("48x10GE + 6x40G Supervisor")</c>, as 6.x prints the chassis.</summary>
    private static string DualImageChassisLine(CliDevice device)
    {
        var id = device.State.Identity;
        var m = ChassisNumber().Match(id.Model);
        return m.Success ? $"cisco Nexus {m.Groups[1].Value} Chassis (\"{id.ModuleType}\")" : id.ChassisDescription;
    }

    [GeneratedRegex(@"-C(\d{4})", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ChassisNumber();
}
