using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Cli.Commands;

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
internal sealed class InterfaceCommands(CliDevice device) : ICommandFamily
{
    public const string MgmtInterface = "mgmt0";
    public const int MgmtMtu = 1500;

    public void Register(CommandTable table)
    {
        table.Exec("show interface", ShowInterface);
        table.Exec("show ip interface brief", ShowIpInterfaceBrief);
        table.Exec("show hosts", (c, _) => (c.Args.Count == 0 ? ShowHosts() : c.InvalidArg(0)).AsTask());
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
            device.Events.Record(device.EventSource, EventKinds.CliUnsupported, $"unsupported command: {context.Command}",
                ("command", context.Command), ("word", args[0].Text), ("mode", context.Session.ConfigMode ? "config" : "exec"));
            return context.InvalidArg(0).AsTask();
        }
        var mac = device.State.Identity.MacDotted;
        var lease = ManagementLease();
        var prefixLength = lease is null ? 0 : PrefixLength(lease.SubnetMask);
        var traffic = device.Management;
        var row = new MgmtInterfaceRow
        {
            Mac = mac,
            Address = lease?.Address.ToString(),
            PrefixLength = lease is null ? null : prefixLength,
            Network = lease is null ? null : NetworkOf(lease.Address, lease.SubnetMask).ToString(),
            InPackets = traffic.InPackets,
            InBytes = traffic.InBytes,
            OutPackets = traffic.OutPackets,
            OutBytes = traffic.OutBytes,
        };
        return CommandOutput.Ok(new ShowInterfaceRecord([row])).AsTask();
    }

    private Task<CommandOutput> ShowIpInterfaceBrief(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        string? vrf = "default";
        if (args.Count > 0)
        {
            if (!CliText.Abbreviates(args[0].Text, "vrf", 3))
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
        var lease = device.State.Lease;
        var vrfRows = new List<IpBriefVrfRow>();
        var intfRows = new List<IpBriefInterfaceRow>();
        foreach (var (name, id) in vrfs.Where(v => vrf is null || v.Name == vrf))
        {
            vrfRows.Add(new IpBriefVrfRow { Name = name, Id = id });
            if (lease is not null && lease.Address.AddressFamily == AddressFamily.InterNetwork && LeaseVrf(lease) == name)
            {
                var intf = ShortInterfaceName(lease.Interface);
                intfRows.Add(new IpBriefInterfaceRow { Vrf = name, Name = intf, Iod = intf == MgmtInterface ? 2 : 5, Prefix = lease.Address.ToString() });
            }
        }
        return CommandOutput.Ok(new ShowIpInterfaceBriefRecord(vrfRows, intfRows)).AsTask();
    }

    private CommandOutput ShowHosts()
    {
        var lease = device.State.Lease;
        var servers = lease?.DnsServers.Where(a => a.AddressFamily == AddressFamily.InterNetwork).Select(a => a.ToString()).ToList() ?? [];
        var domain = lease?.DomainName;
        var vrf = lease is null ? "management" : LeaseVrf(lease);
        var rows = new List<HostsVrfRow>();
        if (domain is not null)
        {
            rows.Add(new HostsVrfRow { Vrf = vrf, Token = "domain", Config = domain });
        }
        rows.AddRange(servers.Select(server => new HostsVrfRow { Vrf = vrf, Token = "name_srvr", Config = server }));
        // No name server configured prints the limited broadcast address, as NX-OS does.
        return CommandOutput.Ok(new ShowHostsRecord { DefaultDomain = domain ?? "-", NameServers = servers.Count == 0 ? "255.255.255.255" : string.Join(' ', servers), Rows = rows });
    }

    /// <summary>The lease when it is on mgmt0 (an in-band lease leaves mgmt0 without an address).</summary>
    private DhcpLease? ManagementLease() =>
        device.State.Lease is { } lease && ShortInterfaceName(lease.Interface) == MgmtInterface ? lease : null;

    private static string LeaseVrf(DhcpLease lease) =>
        lease.Vrf.Length > 0 ? lease.Vrf : ShortInterfaceName(lease.Interface) == MgmtInterface ? "management" : "default";

    /// <summary><c>Eth1/1</c> for Ethernet ports (as <c>show ip interface brief</c> prints them), <c>mgmt0</c> as is.</summary>
    private static string ShortInterfaceName(string name)
    {
        var normal = CliText.NormaliseInterface(name);
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

/// <summary>
/// What the management port has carried: downloads are the traffic a POAP run makes. Each
/// transfer over the port that got the lease counts full-size TCP/UDP segments in and one
/// acknowledgement out per two segments in (an estimate: the lab has no packet model).
/// </summary>
internal sealed class ManagementTraffic
{
    public long InBytes { get; private set; }

    public long InPackets { get; private set; }

    public long OutBytes { get; private set; }

    public long OutPackets { get; private set; }

    public void Count(long bytes)
    {
        const int Segment = 1460;
        const int AckFrame = 66;
        var packets = (bytes + Segment - 1) / Segment;
        InBytes += bytes + (packets * 54);
        InPackets += packets;
        var acks = (packets + 1) / 2;
        OutPackets += acks;
        OutBytes += acks * AckFrame;
    }
}

/// <summary><c>show interface mgmt0</c>: one <c>ROW_interface</c>.</summary>
internal sealed record ShowInterfaceRecord([property: CliTable("interface")] IReadOnlyList<MgmtInterfaceRow> Rows) : CliRecord
{
    public override string ToText() => string.Concat(Rows.Select(r => r.ToText()));
}

/// <summary>The management port's counters and settings, text and keys from the same fields.</summary>
internal sealed record MgmtInterfaceRow : CliRecord
{
    [CliKey("interface")]
    public string Interface => InterfaceCommands.MgmtInterface;

    [CliKey("state")]
    public string State => "up";

    [CliKey("admin_state")]
    public string AdminState => "up";

    [CliKey("eth_hw_desc")]
    public string HardwareDescription => "GigabitEthernet";

    [CliKey("eth_hw_addr")]
    public required string Mac { get; init; }

    [CliKey("eth_bia_addr")]
    public string BurnedInMac => Mac;

    [CliKey("eth_ip_addr")]
    public string? Address { get; init; }

    [CliKey("eth_ip_mask")]
    public int? PrefixLength { get; init; }

    [CliKey("eth_ip_prefix")]
    public string? Network { get; init; }

    [CliKey("eth_mtu")]
    public string Mtu => InterfaceCommands.MgmtMtu.ToString(CultureInfo.InvariantCulture);

    [CliKey("eth_bw")]
    public int BandwidthKbit => 1000000;

    [CliKey("eth_dly")]
    public int DelayMicroseconds => 10;

    [CliKey("eth_reliability")]
    public string Reliability => "255";

    [CliKey("eth_txload")]
    public string TxLoad => "1";

    [CliKey("eth_rxload")]
    public string RxLoad => "1";

    [CliKey("medium")]
    public string Medium => "broadcast";

    [CliKey("eth_duplex")]
    public string Duplex => "full";

    [CliKey("eth_speed")]
    public string Speed => "1000 Mb/s";

    [CliKey("eth_autoneg")]
    public string AutoNegotiation => "on";

    [CliKey("eth_mdix")]
    public string Mdix => "off";

    [CliKey("eth_ethertype")]
    public string EtherType => "0x0000";

    [CliKey("vdc_lvl_in_avg_bits")]
    public int InRateBits => 0;

    [CliKey("vdc_lvl_in_avg_pkts")]
    public int InRatePackets => 0;

    [CliKey("vdc_lvl_out_avg_bits")]
    public int OutRateBits => 0;

    [CliKey("vdc_lvl_out_avg_pkts")]
    public int OutRatePackets => 0;

    [CliKey("vdc_lvl_in_pkts")]
    public required long InPackets { get; init; }

    [CliKey("vdc_lvl_in_ucast")]
    public long InUnicast => InPackets;

    [CliKey("vdc_lvl_in_mcast")]
    public int InMulticast => 0;

    [CliKey("vdc_lvl_in_bcast")]
    public int InBroadcast => 0;

    [CliKey("vdc_lvl_in_bytes")]
    public required long InBytes { get; init; }

    [CliKey("vdc_lvl_out_pkts")]
    public required long OutPackets { get; init; }

    [CliKey("vdc_lvl_out_ucast")]
    public long OutUnicast => OutPackets;

    [CliKey("vdc_lvl_out_mcast")]
    public int OutMulticast => 0;

    [CliKey("vdc_lvl_out_bcast")]
    public int OutBroadcast => 0;

    [CliKey("vdc_lvl_out_bytes")]
    public required long OutBytes { get; init; }

    public override string ToText()
    {
        var text = new StringBuilder()
            .Append(Interface).Append(" is ").Append(State).Append('\n')
            .Append("admin state is ").Append(AdminState).Append(",\n")
            .Append(CultureInfo.InvariantCulture, $"  Hardware: {HardwareDescription}, address: {Mac} (bia {BurnedInMac})\n");
        if (Address is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  Internet Address is {Address}/{PrefixLength}\n");
        }
        return text.Append(CultureInfo.InvariantCulture, $"  MTU {Mtu} bytes, BW {BandwidthKbit} Kbit , DLY {DelayMicroseconds} usec\n")
            .Append(CultureInfo.InvariantCulture, $"  reliability {Reliability}/255, txload {TxLoad}/255, rxload {RxLoad}/255\n")
            .Append(CultureInfo.InvariantCulture, $"  Encapsulation ARPA, medium is {Medium}\n")
            .Append(CultureInfo.InvariantCulture, $"  {Duplex}-duplex, {Speed}\n")
            .Append("  Auto-Negotiation is turned ").Append(AutoNegotiation).Append('\n')
            .Append("  Auto-mdix is turned ").Append(Mdix).Append('\n')
            .Append("  EtherType is ").Append(EtherType).Append(" \n")
            .Append(CultureInfo.InvariantCulture, $"  1 minute input rate {InRateBits} bits/sec, {InRatePackets} packets/sec\n")
            .Append(CultureInfo.InvariantCulture, $"  1 minute output rate {OutRateBits} bits/sec, {OutRatePackets} packets/sec\n")
            .Append("  Rx\n")
            .Append(CultureInfo.InvariantCulture, $"    {InPackets} input packets {InUnicast} unicast packets {InMulticast} multicast packets\n")
            .Append(CultureInfo.InvariantCulture, $"    {InBroadcast} broadcast packets {InBytes} bytes\n")
            .Append("  Tx\n")
            .Append(CultureInfo.InvariantCulture, $"    {OutPackets} output packets {OutUnicast} unicast packets {OutMulticast} multicast packets\n")
            .Append(CultureInfo.InvariantCulture, $"    {OutBroadcast} broadcast packets {OutBytes} bytes\n")
            .Append('\n')
            .ToString();
    }
}

/// <summary><c>show ip interface brief</c>: a block per VRF, its interfaces under it.</summary>
internal sealed record ShowIpInterfaceBriefRecord(
    [property: CliTable("vrf")] IReadOnlyList<IpBriefVrfRow> Vrfs,
    [property: CliTable("intf")] IReadOnlyList<IpBriefInterfaceRow> Interfaces) : CliRecord
{
    public override string ToText()
    {
        var text = new StringBuilder();
        foreach (var vrf in Vrfs)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }
            text.Append(vrf.ToText());
            foreach (var intf in Interfaces.Where(i => i.Vrf == vrf.Name))
            {
                text.Append(intf.ToText());
            }
        }
        return text.ToString();
    }
}

/// <summary>A VRF's header of <c>show ip interface brief</c>.</summary>
internal sealed record IpBriefVrfRow : CliRecord
{
    [CliKey("vrf-name-out")]
    public required string Name { get; init; }

    public required int Id { get; init; }

    public override string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"IP Interface Status for VRF \"{Name}\"({Id})\nInterface            IP Address      Interface Status\n");
}

/// <summary>An interface's line of <c>show ip interface brief</c>.</summary>
internal sealed record IpBriefInterfaceRow : CliRecord
{
    [CliKey("vrf-name-out")]
    public required string Vrf { get; init; }

    [CliKey("intf-name")]
    public required string Name { get; init; }

    [CliKey("proto-state")]
    public string ProtocolState => "up";

    [CliKey("link-state")]
    public string LinkState => "up";

    [CliKey("admin-state")]
    public string AdminState => "up";

    [CliKey("iod")]
    public required int Iod { get; init; }

    [CliKey("prefix")]
    public required string Prefix { get; init; }

    [CliKey("ip-disabled")]
    public string IpDisabled => "FALSE";

    public override string ToText() =>
        CliText.Pad(Name, 21) + CliText.Pad(Prefix, 16) + $"protocol-{ProtocolState}/link-{LinkState}/admin-{AdminState}       \n";
}

/// <summary><c>show hosts</c>: the resolver the lease configured.</summary>
internal sealed record ShowHostsRecord : CliRecord
{
    [CliKey("dns_lookup")]
    public string DnsLookup => "enabled";

    [CliKey("default_domain")]
    public required string DefaultDomain { get; init; }

    [CliKey("name_server")]
    public required string NameServers { get; init; }

    [CliTable("vrf")]
    public required IReadOnlyList<HostsVrfRow> Rows { get; init; }

    public override string ToText() => new StringBuilder()
        .Append("DNS lookup ").Append(DnsLookup).Append('\n')
        .Append("Default domain for vrf:default is ").Append(DefaultDomain).Append('\n')
        .Append("Name/address lookup uses domain service\n")
        .Append("Name servers are ").Append(NameServers).Append('\n')
        .Append('\n')
        .Append("Vrf          Use-vrf      Token      Config\n")
        .Append(string.Concat(Rows.Select(r => r.ToText())))
        .Append('\n').Append("Host                                     Address\n")
        .ToString();
}

/// <summary>A line of <c>show hosts</c>' VRF table.</summary>
internal sealed record HostsVrfRow : CliRecord
{
    [CliKey("vrf")]
    public required string Vrf { get; init; }

    [CliKey("use_vrf")]
    public string UseVrf => Vrf;

    [CliKey("token")]
    public required string Token { get; init; }

    [CliKey("config")]
    public required string Config { get; init; }

    public override string ToText() => CliText.Pad(Vrf, 13) + CliText.Pad(UseVrf, 13) + CliText.Pad(Token, 11) + Config + "\n";
}
