using System.Globalization;
using System.Text;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>show cdp neighbors [interface IF]</c>: what scripts that name a switch by its uplink read
/// (the neighbour's device id and port), in the Cisco Nexus 9000 command reference's layout.
/// </summary>
internal sealed class CdpCommands(CliDevice device) : ICommandFamily
{
    public void Register(CommandTable table) => table.Exec("show cdp neighbors", ShowCdpNeighbors);

    private Task<CommandOutput> ShowCdpNeighbors(CommandContext context, CancellationToken cancellationToken)
    {
        string? wanted = null;
        var args = context.Args;
        if (args.Count > 0)
        {
            if (!CliText.Abbreviates(args[0].Text, "interface", 3))
            {
                return context.InvalidArg(0).AsTask();
            }
            if (args.Count < 2)
            {
                return context.InvalidArg(1).AsTask();
            }
            // "interface ethernet 1/1" and "interface Eth1/1" name the same port.
            wanted = CliText.NormaliseInterface(string.Concat(args.Skip(1).Select(a => a.Text)));
        }
        var rows = device.State.CdpNeighbors
            .Where(n => wanted is null || CliText.NormaliseInterface(n.LocalInterface) == wanted)
            .Select(CdpNeighborRow.From)
            .ToList();
        return CommandOutput.Ok(new CdpNeighborsRecord(rows)).AsTask();
    }
}

/// <summary><c>show cdp neighbors</c>: the neighbour table and its count.</summary>
internal sealed record CdpNeighborsRecord([property: CliTable("cdp_neighbor_brief_info")] IReadOnlyList<CdpNeighborRow> Neighbors) : CliRecord
{
    [CliKey("neigh_count")]
    public int Count => Neighbors.Count;

    public override string ToText() => new StringBuilder()
        .Append("Capability Codes: R - Router, T - Trans-Bridge, B - Source-Route-Bridge\n")
        .Append("                  S - Switch, H - Host, I - IGMP, r - Repeater,\n")
        .Append("                  V - VoIP-Phone, D - Remotely-Managed-Device,\n")
        .Append("                  s - Supports-STP-Dispute\n")
        .Append('\n')
        .Append("Device-ID          Local Intrfce  Hldtme Capability  Platform      Port ID\n")
        .AppendJoin("", Neighbors.Select(n => n.ToText()))
        .Append('\n')
        .Append(CultureInfo.InvariantCulture, $"Total entries displayed: {Count}\n")
        .ToString();
}

/// <summary>A neighbour: the text prints its capability codes, the JSON their names.</summary>
internal sealed record CdpNeighborRow : CliRecord
{
    private static readonly Dictionary<string, string> CapabilityNames = new(StringComparer.Ordinal)
    {
        ["R"] = "router", ["T"] = "trans-bridge", ["B"] = "source-route-bridge", ["S"] = "switch", ["H"] = "host",
        ["I"] = "IGMP_cnd_filtering", ["r"] = "repeater", ["V"] = "VoIP-Phone", ["D"] = "Remotely-Managed-Device",
        ["s"] = "Supports-STP-Dispute",
    };

    [CliKey("ifindex")]
    public long InterfaceIndex => CliText.InterfaceIndex(LocalInterface);

    [CliKey("device_id")]
    public required string DeviceId { get; init; }

    [CliKey("intf_id")]
    public required string LocalInterface { get; init; }

    [CliKey("ttl")]
    public required int HoldTime { get; init; }

    /// <summary>The codes as the text prints them (<c>R S I s</c>).</summary>
    public required string Capability { get; init; }

    [CliKey("capability")]
    public IReadOnlyList<string> Capabilities =>
        [.. Capability.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(c => CapabilityNames.GetValueOrDefault(c, c))];

    [CliKey("platform_id")]
    public required string Platform { get; init; }

    [CliKey("port_id")]
    public required string PortId { get; init; }

    public static CdpNeighborRow From(CdpNeighbor n) => new()
    {
        DeviceId = n.DeviceId, LocalInterface = n.LocalInterface, HoldTime = n.HoldTime, Capability = n.Capability, Platform = n.Platform, PortId = n.PortId,
    };

    // A device id that does not fit its column goes on a line of its own.
    public override string ToText() =>
        (DeviceId.Length < 20 ? CliText.Pad(DeviceId, 20) : DeviceId + "\n" + new string(' ', 20))
        + CliText.Pad(LocalInterface, 15) + CliText.Pad(HoldTime.ToString(CultureInfo.InvariantCulture), 7)
        + CliText.Pad(Capability, 10) + CliText.Pad(Platform, 16) + PortId + "\n";
}
