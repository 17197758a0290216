namespace PoapLab.Switch.Cli.Commands;

/// <summary><c>show boot</c> of a single-image release: the <c>nxos</c> variable and POAP's boot flag.</summary>
internal sealed record ShowBootRecord(
    [property: CliKey("nxos_image")] string Image,
    [property: CliKey("poap_status")] string PoapStatus) : CliRecord
{
    public override string ToText()
    {
        var block = "sup-1\n" + (Image.Length > 0 ? $"NXOS variable = {Image}\n" : "NXOS variable not set\n") + $"Boot POAP {PoapStatus}\n";
        return "\nCurrent Boot Variables:\n\n" + block + "\nBoot Variables on next reload:\n\n" + block;
    }
}

/// <summary><c>show boot</c> of a 6.x dual-image release (its JSON keys are our best guess).</summary>
internal sealed record ShowBootLegacyRecord(
    [property: CliKey("kickstart_variable")] string Kickstart,
    [property: CliKey("system_variable")] string System,
    [property: CliKey("poap_status")] string PoapStatus) : CliRecord
{
    public override string ToText()
    {
        var block = (Kickstart.Length > 0 ? $"kickstart variable = {Kickstart}\n" : "kickstart variable not set\n")
            + (System.Length > 0 ? $"system variable = {System}\n" : "system variable not set\n")
            + $"Boot POAP {PoapStatus}\n";
        return "\nCurrent Boot Variables:\n\n\n" + block + "\nBoot Variables on next reload:\n\n\n" + block;
    }
}
