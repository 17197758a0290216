using System.Globalization;
using System.Text;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>show module</c>, <c>show chassis-family</c>, <c>show inventory [chassis]</c>, <c>show hostname</c>
/// and <c>show clock</c>: what scripts read the model, serial number, name and time from. Each
/// answers one record, printed as the Cisco Nexus 9000 command reference shows it and as <c>clid</c> keys.
/// </summary>
internal sealed class SystemShowCommands(CliDevice device) : ICommandFamily
{
    /// <summary>How many MAC addresses a module has (<c>show module</c>'s range).</summary>
    private const int ModuleMacCount = 0x48;

    public void Register(CommandTable table)
    {
        table.Exec("show module", (c, _) => c.NoArgs(ShowModule));
        table.Exec("show chassis-family", (c, _) => c.NoArgs(() => CommandOutput.Ok(new ChassisFamilyRecord(device.State.Identity.ChassisFamily))));
        table.Exec("show inventory", ShowInventory);
        table.Exec("show hostname", (c, _) => c.NoArgs(() => CommandOutput.Ok(new HostnameRecord(device.State.Hostname))));
        table.Exec("show clock", (c, _) => c.NoArgs(() => CommandOutput.Ok(ClockRecord.At(device.Clock.GetUtcNow()))));
    }

    private CommandOutput ShowModule()
    {
        var id = device.State.Identity;
        return CommandOutput.Ok(new ModuleRecord(
            [new ModuleRow(1, id.Ports, id.ModuleType, id.Model)],
            [new ModuleSoftwareRow(1, device.State.RunningVersion.Display)],
            [new ModuleMacRow(1, $"{MacDashed(0)} to {MacDashed(ModuleMacCount - 1)}", id.Serial)],
            [new ModuleDiagnosticsRow(1)]));
    }

    private Task<CommandOutput> ShowInventory(CommandContext context, CancellationToken cancellationToken)
    {
        var chassisOnly = false;
        if (context.Args.Count > 0)
        {
            if (context.Args.Count > 1 || !CliText.Abbreviates(context.Args[0].Text, "chassis"))
            {
                return context.InvalidArg(context.Args.Count > 1 && CliText.Abbreviates(context.Args[0].Text, "chassis") ? 1 : 0).AsTask();
            }
            chassisOnly = true;
        }
        var id = device.State.Identity;
        var items = new List<InventoryRow> { InventoryRow.Of("Chassis", ShowVersionCommands.ChassisName(device) + " Chassis", id.Model, id.Serial) };
        if (!chassisOnly)
        {
            items.Add(InventoryRow.Of("Slot 1", id.ModuleType, id.Model, id.Serial));
        }
        return CommandOutput.Ok(new InventoryRecord(items)).AsTask();
    }

    private string MacDashed(int offset)
    {
        var bytes = device.State.Identity.SystemMac.GetAddressBytes();
        var value = 0UL;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
        }
        value += (ulong)offset;
        var parts = new string[bytes.Length];
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            parts[i] = ((byte)value).ToString("x2", CultureInfo.InvariantCulture);
            value >>= 8;
        }
        return string.Join('-', parts);
    }
}

/// <summary><c>show module</c>: the module table, its software, MAC range and diagnostics, one row each on a one-module box.</summary>
internal sealed record ModuleRecord(
    [property: CliTable("modinfo")] IReadOnlyList<ModuleRow> Modules,
    [property: CliTable("modwwninfo")] IReadOnlyList<ModuleSoftwareRow> Software,
    [property: CliTable("modmacinfo")] IReadOnlyList<ModuleMacRow> Macs,
    [property: CliTable("moddiaginfo")] IReadOnlyList<ModuleDiagnosticsRow> Diagnostics) : CliRecord
{
    public override string ToText() => new StringBuilder()
        .Append("Mod Ports             Module-Type                      Model           Status\n")
        .Append("--- ----- ------------------------------------- --------------------- ---------\n")
        .AppendJoin("", Modules.Select(r => r.ToText()))
        .Append('\n')
        .Append("Mod  Sw                       Hw    Slot\n")
        .Append("---  ----------------------- ------ ----\n")
        .AppendJoin("", Software.Select(r => r.ToText()))
        .Append('\n')
        .Append('\n')
        .Append("Mod  MAC-Address(es)                         Serial-Num\n")
        .Append("---  --------------------------------------  ----------\n")
        .AppendJoin("", Macs.Select(r => r.ToText()))
        .Append('\n')
        .Append("Mod  Online Diag Status\n")
        .Append("---  ------------------\n")
        .AppendJoin("", Diagnostics.Select(r => r.ToText()))
        .Append('\n')
        .Append("* this terminal session \n")
        .ToString();
}

/// <summary>A row of <c>show module</c>'s first table.</summary>
internal sealed record ModuleRow(
    [property: CliKey("modinf")] int Module,
    [property: CliKey("ports")] int Ports,
    [property: CliKey("modtype")] string ModuleType,
    [property: CliKey("model")] string Model,
    [property: CliKey("status")] string Status = "active *") : CliRecord
{
    public override string ToText() =>
        CliText.Pad(Module.ToString(CultureInfo.InvariantCulture), 5) + CliText.Pad(Ports.ToString(CultureInfo.InvariantCulture), 5)
        + CliText.Pad(ModuleType, 39) + CliText.Pad(Model, 22) + Status + "\n";
}

/// <summary>A row of <c>show module</c>'s software table.</summary>
internal sealed record ModuleSoftwareRow(
    [property: CliKey("modwwn")] int Module,
    [property: CliKey("sw")] string Software,
    [property: CliKey("hw")] string Hardware = "1.0",
    [property: CliKey("slottype")] string Slot = "NA") : CliRecord
{
    public override string ToText() =>
        CliText.Pad(Module.ToString(CultureInfo.InvariantCulture), 5) + CliText.Pad(Software, 25) + CliText.Pad(Hardware, 7) + Slot + "\n";
}

/// <summary>A row of <c>show module</c>'s MAC table.</summary>
internal sealed record ModuleMacRow(
    [property: CliKey("modmac")] int Module,
    [property: CliKey("mac")] string Macs,
    [property: CliKey("serialnum")] string Serial) : CliRecord
{
    public override string ToText() => CliText.Pad(Module.ToString(CultureInfo.InvariantCulture), 5) + CliText.Pad(Macs, 40) + Serial + "\n";
}

/// <summary>A row of <c>show module</c>'s diagnostics table.</summary>
internal sealed record ModuleDiagnosticsRow(
    [property: CliKey("mod")] int Module,
    [property: CliKey("diagstatus")] string Status = "Pass") : CliRecord
{
    public override string ToText() => CliText.Pad(Module.ToString(CultureInfo.InvariantCulture), 5) + Status + "\n";
}

/// <summary><c>show inventory</c>: one item a row (<c>TABLE_inv</c>/<c>ROW_inv</c>).</summary>
internal sealed record InventoryRecord([property: CliTable("inv")] IReadOnlyList<InventoryRow> Items) : CliRecord
{
    public override string ToText() => string.Concat(Items.Select(i => i.ToText()));
}

/// <summary>An item of <c>show inventory</c>; NX-OS's JSON keeps the quotes of the name and description.</summary>
internal sealed record InventoryRow(
    [property: CliKey("name")] string QuotedName,
    [property: CliKey("desc")] string QuotedDescription,
    [property: CliKey("productid")] string ProductId,
    [property: CliKey("vendorid")] string VendorId,
    [property: CliKey("serialnum")] string Serial) : CliRecord
{
    public static InventoryRow Of(string name, string description, string productId, string serial) =>
        new($"\"{name}\"", $"\"{description}\"", productId, "V02", serial);

    public override string ToText() =>
        $"NAME: {QuotedName},  DESCR: {QuotedDescription}\n" + $"PID: {CliText.Pad(ProductId, 20)},  VID: {VendorId}  ,  SN: {Serial}\n\n";
}

/// <summary><c>show chassis-family</c>.</summary>
internal sealed record ChassisFamilyRecord([property: CliKey("chassis_family")] string Family) : CliRecord
{
    public override string ToText() => $"Chassis Family {Family}\n";
}

/// <summary><c>show hostname</c>.</summary>
internal sealed record HostnameRecord([property: CliKey("hostname")] string Hostname) : CliRecord
{
    public override string ToText() => Hostname + "\n";
}

/// <summary><c>show clock</c>: the time and where it comes from.</summary>
internal sealed record ClockRecord([property: CliKey("simple_time")] string Time, [property: CliKey("time_source")] string Source) : CliRecord
{
    public static ClockRecord At(DateTimeOffset now) =>
        new(now.ToString("HH:mm:ss.fff 'UTC' ddd MMM dd yyyy", CultureInfo.InvariantCulture), "NTP");

    public override string ToText() => $"{Time}\nTime source is {Source}\n";
}
