using System.Runtime.InteropServices;
using System.Text;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// A fleet's switches from an inventory file beside the scenario (<c>switches: { inventory: fleet.csv }</c>):
/// <list type="bullet">
/// <item>CSV (RFC 4180): a header line naming the columns, then one switch per line. Columns
///   <c>name</c>, <c>serial</c> and <c>mac</c> are required, <c>model</c>, <c>version</c> and
///   <c>hostname</c> optional (an empty cell takes the entry's value); any other column is refused,
///   so a misspelt <c>modle</c> is not silently ignored. Lines starting with <c>#</c> and empty lines are skipped.</item>
/// <item>Ansible YAML inventory (<c>.yaml</c>/<c>.yml</c>): groups with <c>hosts</c>, <c>vars</c> and
///   <c>children</c>, as the ansible.builtin.yaml inventory plugin reads them; each host is a switch
///   named by its inventory name, its variables <c>serial</c>, <c>mac</c>, <c>model</c>,
///   <c>version</c> and <c>hostname</c> (host variables over a child group's over its parent's);
///   every other variable (ansible_host, ...) is ignored, as the inventory serves other tools too.</item>
/// </list>
/// The file must lie inside the scenario's folder (after links are followed), be a regular
/// file of at most <see cref="MaxBytes"/> and name at most <see cref="ScenarioLoader.MaxSwitches"/> switches.
/// </summary>
internal static class SwitchInventory
{
    /// <summary>The largest inventory file read (65,000 switches at about 100 bytes a line fit).</summary>
    public const long MaxBytes = 8L << 20;

    /// <summary>The columns (and Ansible variables) an inventory may give.</summary>
    public static readonly string[] Columns = ["name", "serial", "mac", "model", "version", "hostname"];

    /// <summary>Group visits an Ansible inventory may cost (aliases can make its groups a graph).</summary>
    private const int MaxGroupVisits = 100_000;

    /// <summary>One switch of an inventory: where it is written, and its fields.</summary>
    public sealed record Row(SourceLocation Location, string Name, IReadOnlyDictionary<string, string> Fields);

    /// <summary>
    /// The inventory's full path, refused (with why) unless it is a file inside <paramref name="baseDir"/>
    /// once every link is followed.
    /// </summary>
    public static string Resolve(string baseDir, string value)
    {
        if (value.Length is 0 or > 4096 || value.Any(char.IsControl))
        {
            throw new IOException($"'{YamlMap.Shown(value)}' is not a file name");
        }
        var full = Path.GetFullPath(Path.Combine(baseDir, value));
        var real = RealPath(full) ?? throw new IOException($"{full}: no such file");
        var root = RealPath(baseDir) ?? baseDir;
        if (!real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            throw new IOException($"{full} is not inside the scenario's folder {root} (an inventory must lie beside the scenario, links followed)");
        }
        return real;
    }

    /// <summary>Reads the rows of an inventory file (CSV, or Ansible YAML by its extension).</summary>
    public static IReadOnlyList<Row> Read(string path)
    {
        var bytes = RegularFile.ReadAll(path, MaxBytes, namedByScenario: true);
        var text = new UTF8Encoding(false, false).GetString(bytes);
        text = text.StartsWith('\uFEFF') ? text[1..] : text;
        return path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            ? ReadAnsible(path, text)
            : ReadCsv(path, text);
    }

    /// <summary>Reads a CSV inventory (RFC 4180 quoting; a quoted value stays on its line).</summary>
    public static IReadOnlyList<Row> ReadCsv(string path, string text)
    {
        var rows = new List<Row>();
        string[]? header = null;
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            var cells = SplitCsv(line, path, lineNumber);
            if (header is null)
            {
                header = cells.Select(c => c.Trim().ToLowerInvariant()).ToArray();
                for (var i = 0; i < header.Length; i++)
                {
                    if (!Columns.Contains(header[i]))
                    {
                        throw new ScenarioException(new SourceLocation(path, lineNumber, 1),
                            $"unknown column '{YamlMap.Shown(header[i])}'{LoadContext.Hint(header[i], Columns)}: an inventory's columns are {string.Join(", ", Columns)} (name, serial and mac required)");
                    }
                    if (Array.IndexOf(header, header[i]) != i)
                    {
                        throw new ScenarioException(new SourceLocation(path, lineNumber, 1), $"the column '{header[i]}' appears twice");
                    }
                }
                foreach (var required in Columns.Take(3).Where(c => !header.Contains(c)))
                {
                    throw new ScenarioException(new SourceLocation(path, lineNumber, 1),
                        $"the header line has no '{required}' column: the first line names the columns, of {string.Join(", ", Columns)} (name, serial and mac required)");
                }
                continue;
            }
            if (cells.Count != header.Length)
            {
                throw new ScenarioException(new SourceLocation(path, lineNumber, 1), $"{cells.Count} values where the header names {header.Length} columns");
            }
            if (rows.Count >= ScenarioLoader.MaxSwitches)
            {
                throw new ScenarioException(new SourceLocation(path, lineNumber, 1), $"more than {ScenarioLoader.MaxSwitches} switches in the inventory");
            }
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                if (cells[i].Trim() is { Length: > 0 } v)
                {
                    fields[header[i]] = v;
                }
            }
            rows.Add(new Row(new SourceLocation(path, lineNumber, 1), fields.GetValueOrDefault("name") ?? "", fields));
        }
        if (header is null)
        {
            throw new ScenarioException(new SourceLocation(path, 1, 1), $"the inventory is empty: it needs a header line ({string.Join(",", Columns)}) and a line per switch");
        }
        return rows;
    }

    private static List<string> SplitCsv(string line, string path, int lineNumber)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var i = 0;
        while (true)
        {
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new ScenarioException(new SourceLocation(path, lineNumber, i + 1), "a quoted value is not closed on its line");
                    }
                    if (line[i] == '"' && i + 1 < line.Length && line[i + 1] == '"')
                    {
                        cell.Append('"');
                        i += 2;
                    }
                    else if (line[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        cell.Append(line[i++]);
                    }
                }
                if (i < line.Length && line[i] != ',')
                {
                    throw new ScenarioException(new SourceLocation(path, lineNumber, i + 1), "after a quoted value comes a comma or the line's end");
                }
            }
            else
            {
                while (i < line.Length && line[i] != ',')
                {
                    cell.Append(line[i++]);
                }
            }
            cells.Add(cell.ToString());
            cell.Clear();
            if (i >= line.Length)
            {
                return cells;
            }
            i++;
        }
    }

    /// <summary>Reads an Ansible YAML inventory: every host of every group, with its variables resolved.</summary>
    public static IReadOnlyList<Row> ReadAnsible(string path, string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new DepthLimitedParser(new Parser(new StringReader(text)), path, ScenarioLoader.MaxDepth));
        }
        catch (YamlException e)
        {
            throw new ScenarioException(new SourceLocation(path, (int)Math.Clamp(e.Start.Line, 1, int.MaxValue), (int)Math.Clamp(e.Start.Column, 1, int.MaxValue)),
                $"not valid YAML: {YamlMap.Shown(e.InnerException?.Message ?? e.Message)}");
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ScenarioException(new SourceLocation(path, 1, 1), "an Ansible YAML inventory is one mapping of groups (all: { hosts: ..., vars: ..., children: ... })");
        }
        var hosts = new Dictionary<string, (SourceLocation Location, Dictionary<string, string> Fields)>(StringComparer.Ordinal);
        var order = new List<string>();
        var visits = 0;
        foreach (var (k, v) in root.Children)
        {
            Group(path, k, v, new Dictionary<string, string>(StringComparer.Ordinal), hosts, order, ref visits);
        }
        return order.Select(h => new Row(hosts[h].Location, h, hosts[h].Fields)).ToList();
    }

    private static SourceLocation At(string path, YamlNode node) =>
        new(path, (int)Math.Clamp(node.Start.Line, 1, int.MaxValue), (int)Math.Clamp(node.Start.Column, 1, int.MaxValue));

    private static void Group(string path, YamlNode key, YamlNode node, Dictionary<string, string> inherited,
        Dictionary<string, (SourceLocation, Dictionary<string, string>)> hosts, List<string> order, ref int visits)
    {
        if (++visits > MaxGroupVisits)
        {
            throw new ScenarioException(At(path, node), $"the inventory's groups are visited more than {MaxGroupVisits} times (aliases nesting groups in groups?)");
        }
        if (key is not YamlScalarNode { Value: { } groupName })
        {
            throw new ScenarioException(At(path, key), "a group's name must be a plain word");
        }
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }
        if (node is not YamlMappingNode group)
        {
            throw new ScenarioException(At(path, node), $"the group '{YamlMap.Shown(groupName)}' must be a mapping of hosts, vars and children");
        }
        var vars = new Dictionary<string, string>(inherited, StringComparer.Ordinal);
        if (Child(group, "vars") is { } groupVars)
        {
            Vars(path, groupVars, vars);
        }
        foreach (var (k, _) in group.Children)
        {
            if (k is not YamlScalarNode { Value: "hosts" or "vars" or "children" })
            {
                throw new ScenarioException(At(path, k), $"an Ansible group holds hosts, vars and children, not '{YamlMap.Shown((k as YamlScalarNode)?.Value)}'");
            }
        }
        if (Child(group, "hosts") is { } hostsNode)
        {
            if (hostsNode is YamlScalarNode { Value: null or "" })
            {
                // "hosts:" with nothing under it: no hosts.
            }
            else if (hostsNode is not YamlMappingNode hostMap)
            {
                throw new ScenarioException(At(path, hostsNode), $"'hosts' of the group '{YamlMap.Shown(groupName)}' must be a mapping of host names (each followed by ':')");
            }
            else
            {
                foreach (var (hk, hv) in hostMap.Children)
                {
                    if (hk is not YamlScalarNode { Value: { Length: > 0 } host })
                    {
                        throw new ScenarioException(At(path, hk), "a host's name must be a plain word");
                    }
                    if (host.Contains('[', StringComparison.Ordinal))
                    {
                        throw new ScenarioException(At(path, hk), $"the host pattern '{YamlMap.Shown(host)}' is a range: each switch needs its own serial and mac, so name every host");
                    }
                    if (!hosts.TryGetValue(host, out var known))
                    {
                        if (hosts.Count >= ScenarioLoader.MaxSwitches)
                        {
                            throw new ScenarioException(At(path, hk), $"more than {ScenarioLoader.MaxSwitches} switches in the inventory");
                        }
                        known = (At(path, hk), new Dictionary<string, string>(vars, StringComparer.Ordinal));
                        hosts[host] = known;
                        order.Add(host);
                    }
                    if (hv is YamlMappingNode)
                    {
                        Vars(path, hv, known.Item2);
                    }
                    else if (hv is not YamlScalarNode { Value: null or "" })
                    {
                        throw new ScenarioException(At(path, hv), $"the host '{YamlMap.Shown(host)}' must be followed by its variables (serial: ..., mac: ...) or nothing");
                    }
                }
            }
        }
        if (Child(group, "children") is { } children)
        {
            if (children is YamlMappingNode childMap)
            {
                foreach (var (ck, cv) in childMap.Children)
                {
                    Group(path, ck, cv, vars, hosts, order, ref visits);
                }
            }
            else if (children is not YamlScalarNode { Value: null or "" })
            {
                throw new ScenarioException(At(path, children), $"'children' of the group '{YamlMap.Shown(groupName)}' must be a mapping of groups");
            }
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static void Vars(string path, YamlNode node, Dictionary<string, string> into)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return;
        }
        if (node is not YamlMappingNode map)
        {
            throw new ScenarioException(At(path, node), "'vars' must be a mapping of variables");
        }
        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode { Value: { } name } && Columns.Contains(name) && name != "name")
            {
                into[name] = v is YamlScalarNode { Value: { } value } ? value
                    : throw new ScenarioException(At(path, v), $"the variable '{name}' must be a single value");
            }
        }
    }

    /// <summary>realpath(3): the path with every link followed, or null when it does not exist.</summary>
    private static string? RealPath(string path)
    {
        var p = NativeRealPath(path, IntPtr.Zero);
        if (p == IntPtr.Zero)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            NativeFree(p);
        }
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr NativeRealPath(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void NativeFree(IntPtr pointer);
}
