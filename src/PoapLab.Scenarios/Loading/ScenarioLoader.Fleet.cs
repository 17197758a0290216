using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Scenarios.Model;
using YamlDotNet.RepresentationModel;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// Fleets: <c>switches:</c> entries that stand for many switches (<c>count:</c> with patterns,
/// <c>inventory:</c> a file beside the scenario), DHCP reservations made from the switches
/// (<c>reservations: from-switches</c>) and files made per switch (<c>per_switch: true</c>).
/// </summary>
public static partial class ScenarioLoader
{
    /// <summary>The most switches a scenario may hold (generated and listed together).</summary>
    public const int MaxSwitches = 65_000;

    /// <summary>What a host name (DHCP option 12) may be, as the error message says it.</summary>
    public const string HostnameRule = "1 to 63 characters: letters, digits, '-', '_' and '.', starting with a letter or digit";

    /// <summary>What a fleet switch's serial may be (it names files: conf.&lt;serial&gt;).</summary>
    public const string SerialRule = "1 to 40 characters: letters, digits, '-', '_' and '.', starting with a letter or digit";

    /// <summary>The most bytes of per-switch files a scenario may make (every switch's copy together).</summary>
    public const long MaxPerSwitchBytes = 256L << 20;

    /// <summary>Marks a file template to expand per switch until <see cref="PerSwitchFiles"/> does.</summary>
    private const string PerSwitchTemplate = "\0per-switch";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostnamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,39}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SerialPattern();

    /// <summary>Every entry of <c>switches:</c>: a switch, a generator (count) or an inventory.</summary>
    private static List<SwitchModel> ParseSwitches(YamlMap root, IReadOnlyList<YamlNode> nodes, string baseDir, int seed)
    {
        var switches = new List<SwitchModel>();
        var fleet = new HashSet<SwitchModel>(ReferenceEqualityComparer.Instance);
        foreach (var node in nodes)
        {
            var map = node as YamlMappingNode;
            var generated = map?.Children.ContainsKey(new YamlScalarNode("count")) == true;
            var imported = !generated && map?.Children.ContainsKey(new YamlScalarNode("inventory")) == true;
            var added = root.Section(() =>
            {
                var m = root.MapOf(node, "a switch");
                return generated ? ParseGenerated(m, baseDir, seed)
                    : imported ? ParseInventory(m, baseDir, seed)
                    : [ParseSwitch(m, switches.Count, baseDir, seed)];
            });
            if (added is null || added.Count == 0)
            {
                continue;
            }
            if (switches.Count + added.Count > MaxSwitches)
            {
                root.Report(new ScenarioException(added[0].Location, $"a scenario may hold at most {MaxSwitches} switches, not {switches.Count + added.Count}"));
                break;
            }
            if (generated || imported)
            {
                fleet.UnionWith(added);
            }
            switches.AddRange(added);
        }
        CheckFleetIdentities(root, switches, fleet);
        return switches;
    }

    /// <summary>A fleet switch's serial and MAC must be its own: two switches of a fleet sharing one are a pattern or inventory mistake.</summary>
    private static void CheckFleetIdentities(YamlMap root, List<SwitchModel> switches, HashSet<SwitchModel> fleet)
    {
        if (fleet.Count == 0)
        {
            return;
        }
        foreach (var (key, of) in new (string, Func<SwitchModel, string>)[] { ("serial", s => s.Serial), ("mac", s => TryMac(s.Mac, out var a) ? a.ToString() : s.Mac) })
        {
            var seen = new Dictionary<string, SwitchModel>(StringComparer.OrdinalIgnoreCase);
            var reported = 0;
            foreach (var sw in switches)
            {
                var value = of(sw);
                if (seen.TryGetValue(value, out var first))
                {
                    if ((fleet.Contains(sw) || fleet.Contains(first)) && reported++ < 3)
                    {
                        root.Report(new ScenarioException(sw.Location, $"'{key}' of the switch '{sw.Name}' is '{YamlMap.Shown(key == "mac" ? sw.Mac : value)}', already the switch '{first.Name}''s ({first.Location}): a fleet's switches need distinct serials and MACs"));
                    }
                    continue;
                }
                seen[value] = sw;
            }
        }
    }

    /// <summary><c>- count: 100</c> with <c>name</c>, <c>serial</c>, <c>mac</c> and <c>hostname</c> patterns (<see cref="SwitchPattern"/>); every other key applies to all.</summary>
    private static List<SwitchModel> ParseGenerated(YamlMap m, string baseDir, int seed)
    {
        var count = m.Int("count", 1, MaxSwitches) ?? throw m.Missing("count", $"how many switches, 1 to {MaxSwitches}");
        var start = m.Int("start", 0, 1_000_000_000) ?? 1;
        if (m.Has("inventory"))
        {
            throw m.Error(m.Get("inventory")!, "an entry takes either 'count' (generated switches) or 'inventory' (switches from a file), not both");
        }
        SwitchPattern? Pattern(string key, string? fallback, string what)
        {
            var text = m.String(key) ?? fallback;
            if (text is null)
            {
                throw m.Missing(key, what);
            }
            try
            {
                var p = SwitchPattern.Parse(text);
                if (!p.HasNumber && count > 1)
                {
                    throw new FormatException($"it holds no {{n}}, so all {count} switches would share '{YamlMap.Shown(text)}'");
                }
                return p;
            }
            catch (FormatException e)
            {
                throw m.Error(m.Get(key) ?? m.Node, $"'{key}' pattern: {e.Message}");
            }
        }
        var name = Pattern("name", $"switch-{{n}}", "the switches' name pattern, such as leaf-{n:03}")!;
        var serial = Pattern("serial", null, "the serial pattern, such as FDO{n:08}")!;
        var mac = Pattern("mac", null, "the MAC pattern, such as 00:aa:bb:{n:x6}")!;
        var hostname = m.Has("hostname") ? Pattern("hostname", null, "") : null;
        var template = ParseSwitchSettings(m, baseDir, seed);
        var switches = new List<SwitchModel>(count);
        for (var i = 0; i < count; i++)
        {
            long n = start + (long)i;
            var sw = template with
            {
                Name = name.Expand(n),
                Serial = serial.Expand(n),
                Mac = mac.ExpandMac(n) ?? throw m.Error(m.Get("mac")!, $"'mac' pattern gives '{YamlMap.Shown(mac.Expand(n))}' for switch n={n}, which is not a MAC address (12 hex digits; a hex placeholder's width must leave room for the largest n)"),
                Hostname = hostname?.Expand(n),
                LinkFaults = template.LinkFaults with { Seed = unchecked(template.LinkFaults.Seed + i) },
            };
            CheckIdentity(sw, n, key => m.Get(key) ?? m.Node, m);
            switches.Add(sw);
        }
        return switches;
    }

    /// <summary>Refuses a generated or imported switch whose name, serial, MAC or host name cannot be used.</summary>
    private static void CheckIdentity(SwitchModel sw, long? n, Func<string, YamlNode> nodeOf, YamlMap m, SourceLocation? at = null)
    {
        ScenarioException Bad(string key, string problem) =>
            at is { } loc ? new ScenarioException(loc, $"'{key}' {problem}") : m.Error(nodeOf(key), $"'{key}' {problem}");
        var which = n is { } number ? $" (switch n={number})" : "";
        if (!IsSafeName(sw.Name, ReservedSwitchNames))
        {
            throw Bad("name", $"'{YamlMap.Shown(sw.Name)}'{which} cannot name a switch: a switch name names a folder of the output, so it must be {NameRule}");
        }
        if (!SerialPattern().IsMatch(sw.Serial))
        {
            throw Bad("serial", $"'{YamlMap.Shown(sw.Serial)}'{which} is not a serial number: {SerialRule}");
        }
        if (!TryMac(sw.Mac, out var mac))
        {
            throw Bad("mac", $"'{YamlMap.Shown(sw.Mac)}'{which} is not a MAC address such as 00:A1:B2:C3:D4:E5");
        }
        var bytes = mac.GetAddressBytes();
        if ((bytes[0] & 1) != 0 || bytes.All(b => b == 0))
        {
            throw Bad("mac", $"'{YamlMap.Shown(sw.Mac)}'{which} is not a unicast MAC (its first octet must be even, and not all zero)");
        }
        if (sw.Hostname is { } h && !HostnamePattern().IsMatch(h))
        {
            throw Bad("hostname", $"'{YamlMap.Shown(h)}'{which} is not a host name: {HostnameRule}");
        }
    }

    /// <summary><c>inventory: fleet.csv</c> (or an Ansible YAML inventory): one switch per row or host; the entry's other keys apply to all.</summary>
    private static List<SwitchModel> ParseInventory(YamlMap m, string baseDir, int seed)
    {
        foreach (var key in new[] { "name", "serial", "mac", "hostname", "start" }.Where(m.Has))
        {
            throw m.Error(m.Get(key)!, $"'{key}' comes from the inventory, one per switch: it cannot be given for them all");
        }
        var value = m.String("inventory")!;
        IReadOnlyList<SwitchInventory.Row> rows;
        try
        {
            rows = SwitchInventory.Read(SwitchInventory.Resolve(baseDir, value));
        }
        catch (IOException e)
        {
            throw m.Error(m.Get("inventory")!, $"'inventory' must be a CSV or Ansible YAML file of at most {YamlMap.FormatSize(SwitchInventory.MaxBytes)} inside the scenario's folder: {YamlMap.Shown(e.Message)}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw m.Error(m.Get("inventory")!, $"'inventory' cannot be read: {YamlMap.Shown(e.Message)}");
        }
        if (rows.Count == 0)
        {
            throw m.Error(m.Get("inventory")!, "the inventory names no switch");
        }
        var template = ParseSwitchSettings(m, baseDir, seed);
        var switches = new List<SwitchModel>(rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            string? Field(string key) => row.Fields.GetValueOrDefault(key);
            foreach (var key in new[] { "serial", "mac" }.Where(k => Field(k) is null))
            {
                throw new ScenarioException(row.Location, $"the switch '{YamlMap.Shown(row.Name)}' has no '{key}' in the inventory");
            }
            var sw = template with
            {
                Name = row.Name,
                Serial = Field("serial")!,
                Mac = Field("mac")!,
                Hostname = Field("hostname"),
                Model = Field("model") ?? template.Model,
                Version = Field("version") ?? template.Version,
                LinkFaults = template.LinkFaults with { Seed = unchecked(template.LinkFaults.Seed + i) },
                Location = row.Location,
            };
            CheckIdentity(sw, null, _ => m.Node, m, row.Location);
            try
            {
                Switch.Identity.NxosVersion.Parse(sw.Version);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                throw new ScenarioException(row.Location, $"'version' of the switch '{YamlMap.Shown(sw.Name)}': {YamlMap.Shown(e.Message)}");
            }
            switches.Add(sw);
        }
        return switches;
    }

    /// <summary><c>reservations: from-switches</c>: one reservation per switch, by serial, from the pool's first address on, with its host name.</summary>
    private static ServersModel WithFleetReservations(YamlMap root, ServersModel servers, IReadOnlyList<SwitchModel> switches)
    {
        if (!servers.Dhcp.Any(d => d.ReservationsFromSwitches))
        {
            if (switches.FirstOrDefault(s => s.Hostname is not null) is { } named)
            {
                root.Report(new ScenarioException(named.Location,
                    $"the switch '{named.Name}' has a 'hostname', which reaches a switch only as DHCP option 12 of its reservation: give the DHCP server 'reservations: from-switches'"));
            }
            return servers;
        }
        var dhcp = servers.Dhcp.Select(d =>
        {
            if (!d.ReservationsFromSwitches)
            {
                return d;
            }
            var first = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(d.PoolStart.GetAddressBytes());
            var last = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(d.PoolEnd.GetAddressBytes());
            if ((long)last - first + 1 < switches.Count)
            {
                throw new ScenarioException(d.Location,
                    $"'reservations: from-switches' reserves one address per switch from the pool's first on: the pool {d.PoolStart}-{d.PoolEnd} holds {(long)last - first + 1} addresses for {switches.Count} switches (widen 'pool' and 'subnet')");
            }
            var reservations = switches.Select((s, i) =>
            {
                var address = new byte[4];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(address, first + (uint)i);
                return new ReservationModel { Address = new IPAddress(address), ClientId = [0, .. Encoding.ASCII.GetBytes(s.Serial)], Hostname = s.Hostname };
            }).ToList();
            return d with { Reservations = reservations };
        }).ToList();
        return servers with { Dhcp = dhcp };
    }

    /// <summary>Each <c>per_switch</c> file made once per switch: {name}, {serial}, {mac}, {mac_hex} and {hostname} in its path and content are the switch's.</summary>
    private static List<FileModel> PerSwitchFiles(List<FileModel> files, IReadOnlyList<SwitchModel> switches)
    {
        if (!files.Any(f => f.ForSwitch == PerSwitchTemplate))
        {
            return files;
        }
        var result = new List<FileModel>(files.Count + switches.Count);
        long total = 0;
        foreach (var f in files)
        {
            if (f.ForSwitch != PerSwitchTemplate)
            {
                result.Add(f);
                continue;
            }
            if (f.Content is null)
            {
                throw new ScenarioException(f.Location, $"the file '{f.Path}' is per_switch: it needs 'content' (a script, image or source is the same for every switch: serve it once)");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sw in switches)
            {
                var path = SwitchFields(f.Path, sw, f.Location, "path");
                var content = SwitchFields(f.Content, sw, f.Location, "content");
                if (PathProblem(path))
                {
                    throw new ScenarioException(f.Location, $"the per_switch path gives '{YamlMap.Shown(path)}' for the switch '{sw.Name}', which is no relative path inside the file area");
                }
                if (!seen.Add(path))
                {
                    throw new ScenarioException(f.Location, $"the per_switch path '{YamlMap.Shown(f.Path)}' gives '{YamlMap.Shown(path)}' for two switches: use a field that differs, such as {{serial}}");
                }
                total += content.Length;
                if (total > MaxPerSwitchBytes)
                {
                    throw new ScenarioException(f.Location, $"per_switch files would hold more than {YamlMap.FormatSize(MaxPerSwitchBytes)} together");
                }
                result.Add(f with { Path = path, Content = content, ForSwitch = sw.Name });
            }
        }
        return result;
    }

    /// <summary>Whether a served path is unusable: absolute, with '..' or '.', a control character, too long.</summary>
    private static bool PathProblem(string path) =>
        path.Length is 0 or > 1024 || path.Split('/').Any(p => p is ".." or "." or "") || Path.IsPathRooted(path) || path.Any(char.IsControl);

    /// <summary>The switch's fields put into a per-switch file's text; {{ and }} are braces.</summary>
    internal static string SwitchFields(string text, SwitchModel sw, SourceLocation at, string key)
    {
        var sb = new StringBuilder(text.Length + 32);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c)
            {
                sb.Append(c);
                i++;
                continue;
            }
            if (c != '{')
            {
                sb.Append(c);
                continue;
            }
            var close = text.IndexOf('}', i);
            var field = close < 0 ? null : text[(i + 1)..close];
            string? value = field switch
            {
                "name" => sw.Name,
                "serial" => sw.Serial,
                "mac" => sw.Mac,
                "mac_hex" => TryMac(sw.Mac, out var mac) ? mac.ToString() : sw.Mac,
                "hostname" => sw.Hostname ?? throw new ScenarioException(at, $"'{key}' uses {{hostname}}, but the switch '{sw.Name}' has none (give the switches a 'hostname')"),
                _ => null,
            };
            if (value is null)
            {
                var shown = field is null ? "a '{' never closed" : $"'{{{YamlMap.Shown(field)}}}'";
                throw new ScenarioException(at, $"'{key}' of a per_switch file: {shown} is not a field; fields are {{name}}, {{serial}}, {{mac}}, {{mac_hex}} (12 upper-case hex digits), {{hostname}}; write {{{{ and }}}} for braces");
            }
            sb.Append(value);
            i = close;
        }
        return sb.ToString();
    }
}
