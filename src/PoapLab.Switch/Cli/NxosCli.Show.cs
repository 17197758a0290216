using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PoapLab.Switch.Flash;
using PoapLab.Switch.State;

using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

/// <summary><c>show ...</c> and <c>dir</c>: text as NX-OS prints it, JSON where NX-OS has it.</summary>
public sealed partial class NxosCli
{
    private const string NxosCompileTime = "8/31/2021 12:00:00 [08/31/2021 23:49:50]";
    private const int ModuleMacCount = 0x48;

    private static readonly string[] CapabilityNames =
    [
        "R:router", "T:trans-bridge", "B:source-route-bridge", "S:switch", "H:host", "I:IGMP_cnd_filtering",
        "r:repeater", "V:VoIP-Phone", "D:Remotely-Managed-Device", "s:Supports-STP-Dispute",
    ];

    private void RegisterShowCommands()
    {
        _exec.Add("show version", ShowVersion);
        _exec.Add("show module", ShowModule);
        _exec.Add("show chassis-family", ShowChassisFamily);
        _exec.Add("show inventory", ShowInventory);
        _exec.Add("show cdp neighbors", ShowCdpNeighbors);
        _exec.Add("show running-config", (c, _) => NoArgs(c, () => CommandOutput.Ok(RunningConfigText())));
        _exec.Add("show startup-config", (c, _) => NoArgs(c, () => CommandOutput.Ok(StartupConfigText())));
        _exec.Add("show boot", (c, _) => NoArgs(c, ShowBoot));
        _exec.Add("show hostname", (c, _) => NoArgs(c, () => CommandOutput.Ok(_state.Hostname + "\n", new JsonObject { ["hostname"] = _state.Hostname })));
        _exec.Add("show clock", (c, _) => NoArgs(c, ShowClock));
        _exec.Add("show file", ShowFile);
        _exec.Add("dir", Dir);
    }

    private static Task<CommandOutput> NoArgs(CommandContext context, Func<CommandOutput> run) =>
        (context.Args.Count == 0 ? run() : context.InvalidArg(0)).AsTask();

    private Task<CommandOutput> ShowVersion(CommandContext context, CancellationToken cancellationToken)
    {
        return (context.Args.Count > 0 ? context.InvalidArg(0) : ShowVersionOutput()).AsTask();
    }

    private CommandOutput ShowVersionOutput()
    {
        if (IsLegacy)
        {
            return ShowVersionLegacy();
        }
        var id = _state.Identity;
        var version = _state.RunningVersion;
        var compile = NxosCompileTime.Split(" [");
        return CommandOutput.Ok(new ShowVersionRecord
        {
            BiosVersion = id.BiosVersion,
            Version = version.Display,
            ReleaseType = version.ReleaseLabel.Length > 0 ? version.ReleaseLabel.Trim(' ', '[', ']') : null,
            BiosCompileTime = id.BiosCompileTime,
            Image = "bootflash:///" + ImageFileName(_state.RunningImage),
            CompileDate = compile[0],
            Timestamp = compile[1].TrimEnd(']'),
            ChassisLine = id.ChassisDescription,
            ChassisId = ChassisName() + " Chassis",
            Cpu = "Intel(R) Xeon(R) CPU D-1528 @ 1.90GHz",
            MemoryKilobytes = 24571632,
            Serial = id.Serial,
            Hostname = _state.Hostname,
            BootflashKilobytes = id.BootflashKilobytes,
            Uptime = Commands.Uptime.From(Uptime()),
        });
    }

    private Task<CommandOutput> ShowModule(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        var id = _state.Identity;
        var ports = id.Ports.ToString(CultureInfo.InvariantCulture);
        var macs = $"{MacDashed(0)} to {MacDashed(ModuleMacCount - 1)}";
        var text = new StringBuilder()
            .Append("Mod Ports             Module-Type                      Model           Status\n")
            .Append("--- ----- ------------------------------------- --------------------- ---------\n")
            .Append(Pad("1", 5)).Append(Pad(ports, 5)).Append(Pad(id.ModuleType, 39)).Append(Pad(id.Model, 22)).Append("active *\n")
            .Append('\n')
            .Append("Mod  Sw                       Hw    Slot\n")
            .Append("---  ----------------------- ------ ----\n")
            .Append(Pad("1", 5)).Append(Pad(_state.RunningVersion.Display, 25)).Append(Pad("1.0", 7)).Append("NA\n")
            .Append('\n')
            .Append('\n')
            .Append("Mod  MAC-Address(es)                         Serial-Num\n")
            .Append("---  --------------------------------------  ----------\n")
            .Append(Pad("1", 5)).Append(Pad(macs, 40)).Append(id.Serial).Append('\n')
            .Append('\n')
            .Append("Mod  Online Diag Status\n")
            .Append("---  ------------------\n")
            .Append("1    Pass\n")
            .Append('\n')
            .Append("* this terminal session \n")
            .ToString();
        var data = new JsonObject();
        CliJson.AddTable(data, "modinfo", [new JsonObject
        {
            ["modinf"] = 1, ["ports"] = id.Ports, ["modtype"] = id.ModuleType, ["model"] = id.Model, ["status"] = "active *",
        }]);
        CliJson.AddTable(data, "modwwninfo", [new JsonObject
        {
            ["modwwn"] = 1, ["sw"] = _state.RunningVersion.Display, ["hw"] = "1.0", ["slottype"] = "NA",
        }]);
        CliJson.AddTable(data, "modmacinfo", [new JsonObject
        {
            ["modmac"] = 1, ["mac"] = macs, ["serialnum"] = id.Serial,
        }]);
        CliJson.AddTable(data, "moddiaginfo", [new JsonObject { ["mod"] = 1, ["diagstatus"] = "Pass" }]);
        return CommandOutput.Ok(text, data).AsTask();
    }

    private Task<CommandOutput> ShowChassisFamily(CommandContext context, CancellationToken cancellationToken) =>
        NoArgs(context, () => CommandOutput.Ok(
            $"Chassis Family {_state.Identity.ChassisFamily}\n",
            new JsonObject { ["chassis_family"] = _state.Identity.ChassisFamily }));

    private Task<CommandOutput> ShowInventory(CommandContext context, CancellationToken cancellationToken)
    {
        var chassisOnly = false;
        if (context.Args.Count > 0)
        {
            if (context.Args.Count > 1 || !Abbreviates(context.Args[0].Text, "chassis"))
            {
                return context.InvalidArg(context.Args.Count > 1 && Abbreviates(context.Args[0].Text, "chassis") ? 1 : 0).AsTask();
            }
            chassisOnly = true;
        }
        var id = _state.Identity;
        var items = new List<(string Name, string Descr)> { ("Chassis", ChassisName() + " Chassis") };
        if (!chassisOnly)
        {
            items.Add(("Slot 1", id.ModuleType));
        }
        var text = new StringBuilder();
        var rows = new List<JsonObject>();
        foreach (var (name, descr) in items)
        {
            text.Append(CultureInfo.InvariantCulture, $"NAME: \"{name}\",  DESCR: \"{descr}\"\n")
                .Append(CultureInfo.InvariantCulture, $"PID: {Pad(id.Model, 20)},  VID: V02  ,  SN: {id.Serial}\n")
                .Append('\n');
            rows.Add(new JsonObject
            {
                ["name"] = $"\"{name}\"", ["desc"] = $"\"{descr}\"", ["productid"] = id.Model, ["vendorid"] = "V02", ["serialnum"] = id.Serial,
            });
        }
        var data = new JsonObject();
        CliJson.AddTable(data, "inv", rows);
        return CommandOutput.Ok(text.ToString(), data).AsTask();
    }

    private Task<CommandOutput> ShowCdpNeighbors(CommandContext context, CancellationToken cancellationToken)
    {
        string? wanted = null;
        var args = context.Args;
        if (args.Count > 0)
        {
            if (!Abbreviates(args[0].Text, "interface", 3))
            {
                return context.InvalidArg(0).AsTask();
            }
            if (args.Count < 2)
            {
                return context.InvalidArg(1).AsTask();
            }
            // "interface ethernet 1/1" and "interface Eth1/1" name the same port.
            wanted = NormaliseInterface(string.Concat(args.Skip(1).Select(a => a.Text)));
        }
        var neighbors = _state.CdpNeighbors
            .Where(n => wanted is null || NormaliseInterface(n.LocalInterface) == wanted)
            .ToList();
        var text = new StringBuilder()
            .Append("Capability Codes: R - Router, T - Trans-Bridge, B - Source-Route-Bridge\n")
            .Append("                  S - Switch, H - Host, I - IGMP, r - Repeater,\n")
            .Append("                  V - VoIP-Phone, D - Remotely-Managed-Device,\n")
            .Append("                  s - Supports-STP-Dispute\n")
            .Append('\n')
            .Append("Device-ID          Local Intrfce  Hldtme Capability  Platform      Port ID\n");
        var rows = new List<JsonObject>();
        foreach (var n in neighbors)
        {
            // A device id that does not fit its column goes on a line of its own.
            text.Append(n.DeviceId.Length < 20 ? Pad(n.DeviceId, 20) : n.DeviceId + "\n" + new string(' ', 20))
                .Append(Pad(n.LocalInterface, 15))
                .Append(Pad(n.HoldTime.ToString(CultureInfo.InvariantCulture), 7))
                .Append(Pad(n.Capability, 10))
                .Append(Pad(n.Platform, 16))
                .Append(n.PortId)
                .Append('\n');
            rows.Add(CdpRow(n));
        }
        text.Append('\n').Append(CultureInfo.InvariantCulture, $"Total entries displayed: {neighbors.Count}\n");
        var data = new JsonObject();
        CliJson.AddTable(data, "cdp_neighbor_brief_info", rows);
        data["neigh_count"] = neighbors.Count;
        return CommandOutput.Ok(text.ToString(), data).AsTask();
    }

    private static JsonObject CdpRow(CdpNeighbor n)
    {
        var capabilities = new List<string>();
        foreach (var code in n.Capability.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = CapabilityNames.FirstOrDefault(c => c.AsSpan(0, c.IndexOf(':', StringComparison.Ordinal)).SequenceEqual(code));
            capabilities.Add(name is null ? code : name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        }
        return new JsonObject
        {
            ["ifindex"] = InterfaceIndex(n.LocalInterface),
            ["device_id"] = n.DeviceId,
            ["intf_id"] = n.LocalInterface,
            ["ttl"] = n.HoldTime,
            ["capability"] = CliJson.OneOrMany(capabilities),
            ["platform_id"] = n.Platform,
            ["port_id"] = n.PortId,
        };
    }

    private CommandOutput ShowBoot()
    {
        if (IsLegacy)
        {
            return ShowBootLegacy();
        }
        return CommandOutput.Ok(new ShowBootRecord(_state.BootVariable ?? "", _state.BootPoapEnabled ? "Enabled" : "Disabled"));
    }

    private CommandOutput ShowClock()
    {
        var now = _clock.GetUtcNow();
        return CommandOutput.Ok(
            now.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC " + now.ToString("ddd MMM dd yyyy", CultureInfo.InvariantCulture) + "\nTime source is NTP\n",
            new JsonObject { ["simple_time"] = now.ToString("HH:mm:ss.fff 'UTC' ddd MMM dd yyyy", CultureInfo.InvariantCulture), ["time_source"] = "NTP" });
    }

    private Task<CommandOutput> ShowFile(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count == 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        HashAlgorithmName? hash = null;
        if (args.Count > 1)
        {
            var word = args[1].Text;
            hash = Abbreviates(word, "md5sum", 2) ? HashAlgorithmName.MD5
                : Abbreviates(word, "sha256sum", 4) ? HashAlgorithmName.SHA256
                : Abbreviates(word, "sha512sum", 4) ? HashAlgorithmName.SHA512
                : null;
            if (hash is null || args.Count > 2)
            {
                return context.InvalidArg(hash is null ? 1 : 2).AsTask();
            }
        }
        var name = args[0].Text;
        var path = ResolvePath(name, context.Session);
        if (path is null)
        {
            return NoSuchFile(name).AsTask();
        }
        try
        {
            return ShowFile(name, path, hash).AsTask();
        }
        catch (IOException e)
        {
            return FileFailure(e, name, NoSuchFile(name)).AsTask();
        }
    }

    /// <summary><c>show file</c> prints at most this much (a config or a log; images are hashed, not shown).</summary>
    private const long ShowFileLimit = 64L << 20;

    private static CommandOutput ShowFile(string name, NxosPath file, HashAlgorithmName? hash)
    {
        var (files, path) = (file.Filesystem.Files, file.Relative);
        switch (files.Stat(path)?.Kind)
        {
            case null:
                return NoSuchFile(name);
            case FileEntryKind.Directory:
                return CommandOutput.Fail($"{name}: Is a directory");
        }
        if (hash is { } algorithm)
        {
            // Images are hundreds of megabytes: read in large sequential chunks, as md5sum does.
            using var stream = files.OpenRead(path);
            byte[] digest = algorithm == HashAlgorithmName.MD5 ? MD5.HashData(stream)
                : algorithm == HashAlgorithmName.SHA256 ? SHA256.HashData(stream)
                : SHA512.HashData(stream);
            var hex = Convert.ToHexStringLower(digest);
            return CommandOutput.Ok(hex + "\n", new JsonObject { ["file_content_" + algorithm.Name!.ToLowerInvariant() + "sum"] = hex });
        }
        var content = Encoding.UTF8.GetString(files.ReadAllBytes(path, ShowFileLimit));
        return CommandOutput.Ok(content.Length == 0 || content.EndsWith('\n') ? content : content + "\n");
    }

    private Task<CommandOutput> Dir(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 1)
        {
            return context.InvalidArg(1).AsTask();
        }
        var name = context.Args.Count == 1 ? context.Args[0].Text : context.Session.CurrentDirectory.ToString();
        var path = ResolvePath(name, context.Session);
        if (path is null)
        {
            return NoSuchFile(name).AsTask();
        }
        try
        {
            return DirListing(name, path).AsTask();
        }
        catch (IOException e)
        {
            return FileFailure(e, name, NoSuchFile(name)).AsTask();
        }
    }

    private static CommandOutput DirListing(string name, NxosPath where)
    {
        var (files, path) = (where.Filesystem.Files, where.Relative);
        if (files.Stat(path) is not { } target)
        {
            return NoSuchFile(name);
        }
        var text = new StringBuilder();
        var rows = new List<JsonObject>();
        IEnumerable<FileEntry> entries = target.Kind == FileEntryKind.Directory ? files.List(path) : [target with { Name = NameOf(path) }];
        foreach (var e in entries)
        {
            var size = e.Kind == FileEntryKind.File ? e.Size : 4096;
            var time = e.Modified.UtcDateTime.ToString("MMM dd HH:mm:ss yyyy", CultureInfo.InvariantCulture);
            var shown = e.Name + (e.Kind == FileEntryKind.Directory ? "/" : "");
            text.Append(CultureInfo.InvariantCulture, $"{size,11}    {time}  {shown}\n");
            rows.Add(new JsonObject { ["fsize"] = size, ["timestamp"] = time, ["fname"] = shown });
        }
        var flash = where.Filesystem;
        var used = flash.UsedBytes;
        var free = Math.Max(0, flash.CapacityBytes - used);
        var usage = flash.Name + "://sup-local";
        text.Append('\n')
            .Append(CultureInfo.InvariantCulture, $"Usage for {usage}\n")
            .Append(CultureInfo.InvariantCulture, $"  {used} bytes used\n")
            .Append(CultureInfo.InvariantCulture, $"  {free} bytes free\n")
            .Append(CultureInfo.InvariantCulture, $"  {flash.CapacityBytes} bytes total\n");
        // NX-OS's keys for dir: TABLE_dir/ROW_dir (fsize, timestamp, fname), then the usage summary.
        var data = new JsonObject();
        CliJson.AddTable(data, "dir", rows);
        data["usage_for_fs"] = usage;
        data["bytesused"] = used;
        data["bytesfree"] = free;
        data["bytestotal"] = flash.CapacityBytes;
        return CommandOutput.Ok(text.ToString(), data);
    }

    /// <summary>What <c>show running-config</c> prints; also what <c>copy running-config</c> writes.</summary>
    private string RunningConfigText()
    {
        var now = ConfigTime(_clock.GetUtcNow());
        var sb = new StringBuilder()
            .Append("\n!Command: show running-config\n")
            .Append("!Running configuration last done at: ").Append(now).Append('\n')
            .Append("!Time: ").Append(now).Append('\n')
            .Append('\n')
            .Append("version ").Append(_state.RunningVersion.Display).Append(" Bios:version ").Append(_state.Identity.BiosVersion).Append('\n');
        if (!_state.RunningConfig.Any(l => l.StartsWith("hostname ", StringComparison.Ordinal)))
        {
            sb.Append("hostname ").Append(_state.Hostname).Append('\n');
        }
        foreach (var line in _state.RunningConfig)
        {
            if (!IsBootNxosLine(line) && !IsBootLegacyLine(line))
            {
                sb.Append(line).Append('\n');
            }
        }
        if (_state.BootVariable is { } boot)
        {
            sb.Append("boot nxos ").Append(boot).Append('\n');
        }
        if (_state.KickstartBootVariable is { } kickstart)
        {
            sb.Append("boot kickstart ").Append(kickstart).Append('\n');
        }
        if (_state.SystemBootVariable is { } system)
        {
            sb.Append("boot system ").Append(system).Append('\n');
        }
        return sb.ToString();
    }

    private string StartupConfigText()
    {
        var now = ConfigTime(_clock.GetUtcNow());
        var sb = new StringBuilder().Append("\n!Command: show startup-config\n");
        if (_state.StartupConfig is not { } lines)
        {
            return sb.Append("!No startup configuration\n").ToString();
        }
        sb.Append("!Time: ").Append(now).Append('\n')
            .Append('\n')
            .Append("version ").Append(_state.RunningVersion.Display).Append(" Bios:version ").Append(_state.Identity.BiosVersion).Append('\n');
        foreach (var line in lines)
        {
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    private static string ConfigTime(DateTimeOffset t) =>
        $"{t.ToString("ddd MMM", CultureInfo.InvariantCulture)} {t.Day,2} {t.ToString("HH:mm:ss yyyy", CultureInfo.InvariantCulture)}";

    private static bool IsBootNxosLine(string line) =>
        line.StartsWith("boot nxos ", StringComparison.OrdinalIgnoreCase);

    private static bool IsBootLegacyLine(string line) =>
        line.StartsWith("boot kickstart ", StringComparison.OrdinalIgnoreCase) || line.StartsWith("boot system ", StringComparison.OrdinalIgnoreCase);

    /// <summary>An image file name from the running-image field, whatever form it was given in.</summary>
    private static string ImageFileName(string image)
    {
        var name = image.StartsWith("bootflash:", StringComparison.OrdinalIgnoreCase) ? image["bootflash:".Length..] : image;
        return name.TrimStart('/');
    }

    /// <summary><c>Nexus9000 C93108TC-EX</c>: the chassis line without "cisco" and "chassis".</summary>
    private string ChassisName()
    {
        var d = _state.Identity.ChassisDescription;
        if (d.StartsWith("cisco ", StringComparison.Ordinal))
        {
            d = d["cisco ".Length..];
        }
        return d.EndsWith(" chassis", StringComparison.Ordinal) ? d[..^" chassis".Length] : d;
    }

    private string MacDashed(int offset)
    {
        var bytes = _state.Identity.SystemMac.GetAddressBytes();
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

    internal static string NormaliseInterface(string name)
    {
        var lower = name.ToLowerInvariant();
        var m = Regex.Match(lower, @"^e[a-z]*(\d.*)$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return m.Success ? "ethernet" + m.Groups[1].Value : lower;
    }

    private static long InterfaceIndex(string name)
    {
        var normal = NormaliseInterface(name);
        if (normal.StartsWith("mgmt", StringComparison.Ordinal))
        {
            return 0x5000000;
        }
        var m = Regex.Match(normal, @"^ethernet(\d+)/(\d+)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return m.Success
            ? 0x1A000000L + ((long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1) << 12) + ((long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) - 1) << 9)
            : 0;
    }

    internal static string Pad(string text, int width) => text.Length < width ? text.PadRight(width) : text + " ";
}
