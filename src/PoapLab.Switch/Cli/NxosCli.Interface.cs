using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PoapLab.Core.Events;
using PoapLab.Switch.State;

using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

/// <summary>
/// <c>show interface mgmt0</c>, <c>show ip interface brief [vrf X|all]</c> and <c>show hosts</c>:
/// the management port as POAP's lease configured it (read by forks of the reference script; docs/nxos-commands.md).
/// </summary>
/// <remarks>
/// The layouts follow NX-OS 9.x/10.x. JSON keys are NX-OS's as far as known:
/// <c>show interface</c> (<c>TABLE_interface/ROW_interface</c>, <c>eth_*</c>, <c>vdc_lvl_*</c>)
/// and <c>show ip interface brief</c> (<c>TABLE_intf/ROW_intf</c> with <c>vrf-name-out</c>,
/// <c>intf-name</c>, <c>prefix</c>, <c>proto-state</c>) are the well-known ones;
/// <c>show hosts</c> has no structured form that scripts use, and its keys here
/// (<c>TABLE_vrf/ROW_vrf</c>, <c>name_server</c>) are our best guess.
/// </remarks>
public sealed partial class NxosCli
{
    private const string MgmtInterface = "mgmt0";
    private const int MgmtMtu = 1500;

    // What the management port has carried: downloads are the traffic a POAP run makes.
    private long _mgmtInBytes;
    private long _mgmtInPackets;
    private long _mgmtOutBytes;
    private long _mgmtOutPackets;

    private void RegisterInterfaceCommands()
    {
        _exec.Add("show interface", ShowInterface);
        _exec.Add("show ip interface brief", ShowIpInterfaceBrief);
        _exec.Add("show hosts", (c, _) => NoArgs(c, ShowHosts));
    }

    /// <summary>
    /// Counts a transfer over the port that got the lease: full-size TCP/UDP segments in, one
    /// acknowledgement out per two segments in (an estimate: the lab has no packet model).
    /// </summary>
    private void CountManagementTraffic(long bytes)
    {
        const int Segment = 1460;
        const int AckFrame = 66;
        var packets = (bytes + Segment - 1) / Segment;
        _mgmtInBytes += bytes + (packets * 54);
        _mgmtInPackets += packets;
        var acks = (packets + 1) / 2;
        _mgmtOutPackets += acks;
        _mgmtOutBytes += acks * AckFrame;
    }

    private Task<CommandOutput> ShowInterface(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count == 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        var name = string.Concat(args.Select(a => a.Text)).ToLowerInvariant();
        // "mgmt0", "mgmt 0" and abbreviations such as "mgm0" name the port.
        if (name.Length < 2 || name[^1] != '0' || !"mgmt".StartsWith(name[..^1], StringComparison.Ordinal))
        {
            // Front-panel ports exist on a real switch but are not modelled.
            _events.Record(_eventSource, EventKinds.CliUnsupported, $"unsupported command: {context.Command}",
                ("command", context.Command), ("word", args[0].Text), ("mode", context.Session.ConfigMode ? "config" : "exec"));
            return context.InvalidArg(0).AsTask();
        }
        var mac = _state.Identity.MacDotted;
        var lease = ManagementLease();
        var prefixLength = lease is null ? 0 : PrefixLength(lease.SubnetMask);
        var text = new StringBuilder()
            .Append("mgmt0 is up\n")
            .Append("admin state is up,\n")
            .Append(CultureInfo.InvariantCulture, $"  Hardware: GigabitEthernet, address: {mac} (bia {mac})\n");
        if (lease is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  Internet Address is {lease.Address}/{prefixLength}\n");
        }
        text.Append(CultureInfo.InvariantCulture, $"  MTU {MgmtMtu} bytes, BW 1000000 Kbit , DLY 10 usec\n")
            .Append("  reliability 255/255, txload 1/255, rxload 1/255\n")
            .Append("  Encapsulation ARPA, medium is broadcast\n")
            .Append("  full-duplex, 1000 Mb/s\n")
            .Append("  Auto-Negotiation is turned on\n")
            .Append("  Auto-mdix is turned off\n")
            .Append("  EtherType is 0x0000 \n")
            .Append("  1 minute input rate 0 bits/sec, 0 packets/sec\n")
            .Append("  1 minute output rate 0 bits/sec, 0 packets/sec\n")
            .Append("  Rx\n")
            .Append(CultureInfo.InvariantCulture, $"    {_mgmtInPackets} input packets {_mgmtInPackets} unicast packets 0 multicast packets\n")
            .Append(CultureInfo.InvariantCulture, $"    0 broadcast packets {_mgmtInBytes} bytes\n")
            .Append("  Tx\n")
            .Append(CultureInfo.InvariantCulture, $"    {_mgmtOutPackets} output packets {_mgmtOutPackets} unicast packets 0 multicast packets\n")
            .Append(CultureInfo.InvariantCulture, $"    0 broadcast packets {_mgmtOutBytes} bytes\n")
            .Append('\n');
        var row = new JsonObject
        {
            ["interface"] = MgmtInterface,
            ["state"] = "up",
            ["admin_state"] = "up",
            ["eth_hw_desc"] = "GigabitEthernet",
            ["eth_hw_addr"] = mac,
            ["eth_bia_addr"] = mac,
        };
        if (lease is not null)
        {
            row["eth_ip_addr"] = lease.Address.ToString();
            row["eth_ip_mask"] = prefixLength;
            row["eth_ip_prefix"] = NetworkOf(lease.Address, lease.SubnetMask).ToString();
        }
        row["eth_mtu"] = MgmtMtu.ToString(CultureInfo.InvariantCulture);
        row["eth_bw"] = 1000000;
        row["eth_dly"] = 10;
        row["eth_reliability"] = "255";
        row["eth_txload"] = "1";
        row["eth_rxload"] = "1";
        row["medium"] = "broadcast";
        row["eth_duplex"] = "full";
        row["eth_speed"] = "1000 Mb/s";
        row["eth_autoneg"] = "on";
        row["eth_mdix"] = "off";
        row["eth_ethertype"] = "0x0000";
        row["vdc_lvl_in_avg_bits"] = 0;
        row["vdc_lvl_in_avg_pkts"] = 0;
        row["vdc_lvl_out_avg_bits"] = 0;
        row["vdc_lvl_out_avg_pkts"] = 0;
        row["vdc_lvl_in_pkts"] = _mgmtInPackets;
        row["vdc_lvl_in_ucast"] = _mgmtInPackets;
        row["vdc_lvl_in_mcast"] = 0;
        row["vdc_lvl_in_bcast"] = 0;
        row["vdc_lvl_in_bytes"] = _mgmtInBytes;
        row["vdc_lvl_out_pkts"] = _mgmtOutPackets;
        row["vdc_lvl_out_ucast"] = _mgmtOutPackets;
        row["vdc_lvl_out_mcast"] = 0;
        row["vdc_lvl_out_bcast"] = 0;
        row["vdc_lvl_out_bytes"] = _mgmtOutBytes;
        var data = new JsonObject();
        CliJson.AddTable(data, "interface", [row]);
        return CommandOutput.Ok(text.ToString(), data).AsTask();
    }

    private Task<CommandOutput> ShowIpInterfaceBrief(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        string? vrf = "default";
        if (args.Count > 0)
        {
            if (!Abbreviates(args[0].Text, "vrf", 3))
            {
                return context.InvalidArg(0).AsTask();
            }
            if (args.Count < 2)
            {
                return context.InvalidArg(1).AsTask();
            }
            if (args.Count > 2)
            {
                return context.InvalidArg(2).AsTask();
            }
            vrf = args[1].Text == "all" ? null : args[1].Text;
        }
        var vrfs = new List<(string Name, int Id)> { ("default", 1), ("management", 2) };
        if (vrf is not null && !vrfs.Any(v => v.Name == vrf))
        {
            return CommandOutput.Fail($"% VRF {vrf} not found").AsTask();
        }
        var lease = _state.Lease;
        var text = new StringBuilder();
        var vrfRows = new List<JsonObject>();
        var intfRows = new List<JsonObject>();
        foreach (var (name, id) in vrfs.Where(v => vrf is null || v.Name == vrf))
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }
            text.Append(CultureInfo.InvariantCulture, $"IP Interface Status for VRF \"{name}\"({id})\n")
                .Append("Interface            IP Address      Interface Status\n");
            vrfRows.Add(new JsonObject { ["vrf-name-out"] = name });
            if (lease is not null && lease.Address.AddressFamily == AddressFamily.InterNetwork && LeaseVrf(lease) == name)
            {
                var intf = ShortInterfaceName(lease.Interface);
                text.Append(Pad(intf, 21)).Append(Pad(lease.Address.ToString(), 16)).Append("protocol-up/link-up/admin-up       \n");
                intfRows.Add(new JsonObject
                {
                    ["vrf-name-out"] = name,
                    ["intf-name"] = intf,
                    ["proto-state"] = "up",
                    ["link-state"] = "up",
                    ["admin-state"] = "up",
                    ["iod"] = intf == MgmtInterface ? 2 : 5,
                    ["prefix"] = lease.Address.ToString(),
                    ["ip-disabled"] = "FALSE",
                });
            }
        }
        var data = new JsonObject();
        CliJson.AddTable(data, "vrf", vrfRows);
        CliJson.AddTable(data, "intf", intfRows);
        return CommandOutput.Ok(text.ToString(), data).AsTask();
    }

    private CommandOutput ShowHosts()
    {
        var lease = _state.Lease;
        var servers = lease?.DnsServers.Where(a => a.AddressFamily == AddressFamily.InterNetwork).Select(a => a.ToString()).ToList() ?? [];
        var domain = lease?.DomainName;
        var vrf = lease is null ? "management" : LeaseVrf(lease);
        var text = new StringBuilder()
            .Append("DNS lookup enabled\n")
            .Append("Default domain for vrf:default is ").Append(domain ?? "-").Append('\n')
            .Append("Name/address lookup uses domain service\n")
            // No name server configured prints the limited broadcast address, as NX-OS does.
            .Append("Name servers are ").Append(servers.Count == 0 ? "255.255.255.255" : string.Join(' ', servers)).Append('\n')
            .Append('\n')
            .Append("Vrf          Use-vrf      Token      Config\n");
        var rows = new List<JsonObject>();
        if (domain is not null)
        {
            text.Append(Pad(vrf, 13)).Append(Pad(vrf, 13)).Append(Pad("domain", 11)).Append(domain).Append('\n');
            rows.Add(new JsonObject { ["vrf"] = vrf, ["use_vrf"] = vrf, ["token"] = "domain", ["config"] = domain });
        }
        foreach (var server in servers)
        {
            text.Append(Pad(vrf, 13)).Append(Pad(vrf, 13)).Append(Pad("name_srvr", 11)).Append(server).Append('\n');
            rows.Add(new JsonObject { ["vrf"] = vrf, ["use_vrf"] = vrf, ["token"] = "name_srvr", ["config"] = server });
        }
        text.Append('\n').Append("Host                                     Address\n");
        var data = new JsonObject
        {
            ["dns_lookup"] = "enabled",
            ["default_domain"] = domain ?? "-",
            ["name_server"] = servers.Count == 0 ? "255.255.255.255" : string.Join(' ', servers),
        };
        CliJson.AddTable(data, "vrf", rows);
        return CommandOutput.Ok(text.ToString(), data);
    }

    /// <summary>The lease when it is on mgmt0 (an in-band lease leaves mgmt0 without an address).</summary>
    private DhcpLease? ManagementLease() =>
        _state.Lease is { } lease && ShortInterfaceName(lease.Interface) == MgmtInterface ? lease : null;

    private static string LeaseVrf(DhcpLease lease) =>
        lease.Vrf.Length > 0 ? lease.Vrf : ShortInterfaceName(lease.Interface) == MgmtInterface ? "management" : "default";

    /// <summary><c>Eth1/1</c> for Ethernet ports (as <c>show ip interface brief</c> prints them), <c>mgmt0</c> as is.</summary>
    private static string ShortInterfaceName(string name)
    {
        var normal = NormaliseInterface(name);
        return normal.StartsWith("ethernet", StringComparison.Ordinal) ? "Eth" + normal["ethernet".Length..] : normal;
    }

    private static int PrefixLength(IPAddress mask) => PoapLab.Protocols.Dhcp.SubnetMask.PrefixLength(mask);

    private static IPAddress NetworkOf(IPAddress address, IPAddress mask)
    {
        var a = address.GetAddressBytes();
        var m = mask.GetAddressBytes();
        for (var i = 0; i < a.Length && i < m.Length; i++)
        {
            a[i] &= m[i];
        }
        return new IPAddress(a);
    }
}
