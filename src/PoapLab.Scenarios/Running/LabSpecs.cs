using System.Collections.Immutable;
using System.Net;
using PoapLab.Lab;
using PoapLab.Lab.Services;
using PoapLab.Protocols.Dhcp;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Dhcp6;
using PoapLab.Servers.Ftp;
using PoapLab.Servers.Http;
using PoapLab.Servers.Ssh;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Device;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;
using PoapLab.Switch.Transfer.Tftp;

namespace PoapLab.Scenarios.Running;

/// <summary>
/// A scenario in the lab's terms: its <see cref="LabOptions"/>, one service spec per server
/// (in the order the lab starts them), one <see cref="LabSwitchOptions"/> per switch. Pure
/// mapping: nothing is started or written here.
/// </summary>
internal static class LabSpecs
{
    /// <summary>
    /// The routers the scenario's network has: each DHCP server's router (option 3) and each
    /// DHCPv6 server's next hop (option 242), with the subnet they sit on.
    /// </summary>
    internal static IEnumerable<(System.Net.IPAddress Address, int PrefixLength)> Gateways(Scenario scenario) =>
        scenario.Servers.Dhcp.Where(d => d.Router is not null)
            .Select(d => (d.Router!, SubnetMask.PrefixLength(d.SubnetMask)))
            .Concat(scenario.Servers.Dhcp6.Where(d => d.NextHop is not null).Select(d => (d.NextHop!, 64)))
            .Distinct();

    /// <summary>
    /// Why this run's transport does not run the scenario, or null when it does: in the namespace
    /// transport, a scenario that says it makes sense only in switch time (<c>virtual_only:</c>)
    /// or a fleet larger than a lab segment takes.
    /// </summary>
    internal static string? NotInTransport(Scenario scenario, RunOptions options)
    {
        if (options.Transport?.Name != PoapLab.Lab.Transports.Namespace.NamespaceTransport.TransportName)
        {
            return scenario.HasRealServers
                ? "the user's real servers (dnsmasq, Kea, ISC dhcpd, Kea DHCPv6, a DHCP relay, tftpd-hpa, nginx, vsftpd) run only on a real segment: run it with --network namespace"
                : null;
        }
        if (scenario.VirtualOnly is { } why)
        {
            return $"virtual transport only: {why}";
        }
        if (scenario.Switches.Count > PoapLab.Lab.Transports.Namespace.NamespaceTransport.MaxSwitches)
        {
            return $"{scenario.Switches.Count} switches: the namespace transport attaches at most {PoapLab.Lab.Transports.Namespace.NamespaceTransport.MaxSwitches} to one lab";
        }
        return null;
    }

    /// <summary>
    /// The router of <c>servers.relay</c>, put between the switches' segment and the servers'
    /// before any service is placed (servers behind it go on the servers' segment). Nothing
    /// without a relay; a relay needs the namespace transport.
    /// </summary>
    public static async Task PlaceRelayAsync(Scenario scenario, PoapLab.Lab.Transports.ILabTransport transport, CancellationToken cancellationToken)
    {
        if (scenario.Servers.Relay is not { } relay)
        {
            return;
        }
        if (transport is not PoapLab.Lab.Transports.Namespace.NamespaceTransport ns)
        {
            throw new InvalidOperationException("a DHCP relay (servers.relay) runs only on a real segment: run it with --network namespace");
        }
        await ns.AddRouterAsync(relay.Address, relay.PrefixLength, relay.Upstream, relay.UpstreamPrefixLength, relay.RouteBack, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The lab of a scenario: every switch's clock starts at its <c>clock: { start }</c>; the run's transport (virtual by default).</summary>
    public static LabOptions Lab(Scenario scenario, RunOptions options, ScriptHost scripts, string workDirectory)
    {
        var lab = new LabOptions
        {
            ClockStart = scenario.ClockStart,
            Scripts = scripts,
            WorkDirectory = workDirectory,
            // The user's real servers first: a factory takes only the specs it can start.
            ServiceFactories = [.. PoapLab.Lab.Services.Real.RealServiceFactory.All, .. PoapLab.Lab.Services.Embedded.EmbeddedServiceFactories.All],
        };
        return options.Transport is { } transport ? lab with { Transport = transport } : lab;
    }

    /// <summary>The scenario's servers: DHCPv6, DHCPv4, TFTP, HTTP(S), SSH, FTP, in that order.</summary>
    /// <param name="filesRoot">Where the scenario's served files were put.</param>
    public static IEnumerable<LabServiceSpec> Services(Scenario scenario, string filesRoot)
    {
        var servers = scenario.Servers;
        // The user's real servers keep their state and logs beside the files (out/<scenario>/servers).
        var realWork = Path.Combine(Path.GetDirectoryName(filesRoot)!, "servers");
        foreach (var d in servers.Dhcp6)
        {
            if (d.Real is { } real6)
            {
                yield return new PoapLab.Lab.Services.Real.RealServiceSpec(ServiceKind.Dhcp6, d.Address, 547, 64,
                    new PoapLab.Lab.Services.Real.RealServerOptions { Kind = real6.Kind, ConfigPath = real6.ConfigPath, WorkDirectory = realWork });
                continue;
            }
            yield return new Dhcp6ServiceSpec(d.Address, new Dhcp6ServerOptions
            {
                ServerAddress = d.Address,
                PoolStart = d.PoolStart,
                PoolEnd = d.PoolEnd,
                PreferredLifetime = d.Lease,
                ValidLifetime = d.Lease * 2,
                BootfileUrl = d.BootfileUrl,
                NextHop = d.NextHop,
                RoutePrefix = d.RoutePrefix,
                DnsServers = [.. d.Dns],
                ExtraOptions = d.Option17 is { } option17 ? [PoapLab.Protocols.Dhcp6.Dhcp6OptionValue.FromBytes(PoapLab.Protocols.Dhcp6.Dhcp6Option.VendorOpts, option17)] : [],
            });
        }
        if (servers.Relay is { } relay)
        {
            yield return new PoapLab.Lab.Services.Real.RealServiceSpec(ServiceKind.DhcpRelay, relay.Address, 67, relay.PrefixLength,
                new PoapLab.Lab.Services.Real.RealServerOptions { Kind = PoapLab.Lab.Services.Real.RealServerKind.IscDhcpRelay, Arguments = [.. relay.Servers.Select(a => a.ToString())], WorkDirectory = realWork });
        }
        foreach (var d in servers.Dhcp)
        {
            if (d.Real is { } real)
            {
                yield return new PoapLab.Lab.Services.Real.RealServiceSpec(ServiceKind.Dhcp, d.Address, 67, SubnetMask.PrefixLength(d.SubnetMask),
                    new PoapLab.Lab.Services.Real.RealServerOptions { Kind = real.Kind, ConfigPath = real.ConfigPath, WorkDirectory = realWork });
                continue;
            }
            yield return new DhcpServiceSpec(d.Address, DhcpOptionsFor(d) with { Faults = d.Faults, FaultSeed = scenario.Seed });
        }
        var lossy = scenario.Switches.Any(sw => sw.LinkFaults.LossToSwitch > 0 || sw.LinkFaults.LossFromSwitch > 0);
        // Only losses: every ACK the server hears twice is a client's timeout.
        var lossOnly = lossy && scenario.Switches.All(sw => sw.LinkFaults is { Duplicate: 0, Reorder: 0 } f
            && f.Delay == TimeSpan.Zero && f.Rules.All(r => r.Delay == TimeSpan.Zero));
        foreach (var t in servers.Tftp)
        {
            if (t.Real is { } real)
            {
                yield return new PoapLab.Lab.Services.Real.RealServiceSpec(ServiceKind.Tftp, t.Address, t.Port, 24,
                    new PoapLab.Lab.Services.Real.RealServerOptions { Kind = real.Kind, RootPath = Path.Combine(filesRoot, t.Root), Arguments = [.. real.Arguments], WorkDirectory = realWork, Faults = real.Faults });
                continue;
            }
            yield return new TftpServiceSpec(t.Address, t.Port, new TftpServerOptions
            {
                RootPath = Path.Combine(filesRoot, t.Root),
                Faults = t.TftpFaults,
                FaultSeed = scenario.Seed,
                // On a lossy link the server's own retransmission is what recovers a lost DATA
                // (a client never re-asks for it: RFC 1123 §4.2.3.1), and the switch's timeouts
                // pass in switch time, microseconds of real time. With losses only, the switch's
                // repeated ACK (its timeout) stands for the server's timer running out too, so
                // a retransmission comes in step with the switch whatever the host's load, and
                // the seeded losses fall on the same datagrams every run; the real timer stays
                // as a backstop. A link that also duplicates or delays cannot tell a timeout
                // from a duplicate that way: there a short real timer stands for the switch-time
                // one, and a host stalled longer than it can change which datagrams are lost.
                RetransmitOnClientTimeout = lossOnly,
                RetransmitTimeout = lossy && !lossOnly ? TimeSpan.FromMilliseconds(50) : TimeSpan.FromSeconds(1),
            });
        }
        foreach (var h in servers.Http)
        {
            if (h.Real is { } real)
            {
                yield return RealFileServer(ServiceKind.Http, h.Address, h.Port, real, Path.Combine(filesRoot, h.Root), realWork);
                continue;
            }
            yield return new HttpServiceSpec(h.Address, h.Port, h.Tls, new HttpServerOptions { RootPath = Path.Combine(filesRoot, h.Root), Faults = h.HttpFaults, FaultSeed = scenario.Seed, CertificateFile = h.CertificateFile });
        }
        foreach (var x in servers.Ssh)
        {
            yield return new SshServiceSpec(x.Address, x.Port, x.User, new SshServerOptions { RootPath = Path.Combine(filesRoot, x.Root), Password = x.Password });
        }
        foreach (var f in servers.Ftp)
        {
            if (f.Real is { } real)
            {
                yield return RealFileServer(ServiceKind.Ftp, f.Address, f.Port, real, Path.Combine(filesRoot, f.Root), realWork);
                continue;
            }
            yield return new FtpServiceSpec(f.Address, f.Port, new FtpServerOptions
            {
                RootPath = Path.Combine(filesRoot, f.Root),
                User = f.User,
                Password = f.Password,
                AllowAnonymous = f.Anonymous,
            });
        }
    }

    /// <summary>The user's nginx or vsftpd: its configuration unmodified, the served files at <c>serve_at</c> (or their own path).</summary>
    private static PoapLab.Lab.Services.Real.RealServiceSpec RealFileServer(ServiceKind kind, IPAddress address, int port, RealServerModel real, string root, string work) =>
        new(kind, address, port, 24, new PoapLab.Lab.Services.Real.RealServerOptions
        {
            Kind = real.Kind,
            ConfigPath = real.ConfigPath,
            RootPath = root,
            ServeAt = real.ServeAt,
            WorkDirectory = work,
            Faults = real.Faults,
        });

    /// <summary>Where switch <paramref name="m"/>'s trees live under the scenario's output.</summary>
    public static string SwitchRoot(string outDir, SwitchModel m) => Path.Combine(outDir, "switches", OutputDirectory.SafeName(m.Name));

    /// <summary>A switch of the scenario: identity, image, flash, POAP settings, link and its faults (the scenario's link rules after its own).</summary>
    public static LabSwitchOptions Switch(Scenario scenario, SwitchModel m, string outDir)
    {
        ScenarioLoader.TryMac(m.Mac, out var mac);
        var identity = new SwitchIdentity(m.Name, m.Model, m.Serial, mac, m.BiosVersion, "04/08/2021",
            (m.BootflashBytes ?? 53298520L * 1024) / 1024, m.Model.StartsWith("N3K", StringComparison.Ordinal) ? "Nexus3000" : "Fretta",
            54, "48x10GT + 6x40/100G Ethernet Module");
        var version = NxosVersion.Parse(m.Version);
        var spec = new SwitchSpec(identity, version, m.Image, SwitchRoot(outDir, m), m.BootflashBytes, m.BootflashUsedBytes, m.Flavour)
        {
            Poap = new PoapSettings
            {
                MaxAttempts = m.MaxAttempts,
                DiscoverTries = m.DiscoverTries,
                RetryDelay = m.RetryDelay,
                ScriptTimeout = m.ScriptTimeout,
                MaxReloads = m.MaxReloads,
                Interface = m.Interface,
                Seed = scenario.Seed,
                Python = m.Python,
                Faults = m.Faults,
                Ipv6 = m.Ipv6,
            },
            Link = LinkModel.Default with { BitsPerSecond = m.LinkMbps * 1e6 },
            Tftp = new TftpClientOptions { BlockSize = m.TftpBlockSize, WindowSize = m.TftpWindowSize, LinkBitsPerSecond = (long)(m.LinkMbps * 1e6), RoundTripTime = LinkModel.Default.RoundTrip },
            CdpNeighbors = m.Cdp.Select(c => new CdpNeighbor(c.DeviceId, c.LocalInterface, c.PortId, c.Platform)).ToList(),
        };
        var link = scenario.Servers.LinkRules.Count == 0 ? m.LinkFaults : m.LinkFaults with { Rules = [.. m.LinkFaults.Rules, .. scenario.Servers.LinkRules] };
        return new LabSwitchOptions(spec) { Link = link };
    }

    internal static DhcpServerOptions DhcpOptionsFor(DhcpServerModel d) => new()
    {
        ServerAddress = d.Address,
        SubnetMask = d.SubnetMask,
        Router = d.Router,
        DnsServers = [.. d.Dns],
        DomainName = d.DomainName,
        PoolStart = d.PoolStart,
        PoolEnd = d.PoolEnd,
        LeaseTime = d.Lease,
        TftpServerName = d.TftpServerName,
        TftpServerAddress = d.TftpServerAddress,
        BootfileName = d.Bootfile,
        ExtraOptions = d.Option43 is { } option43 ? [DhcpOptionValue.FromBytes(DhcpOption.VendorSpecific, option43)] : [],
        Reservations = [.. d.Reservations.Select(r => new DhcpReservation
        {
            Address = r.Address,
            ClientId = r.ClientId is null ? null : ImmutableArray.Create(r.ClientId),
            Mac = r.Mac is not null && ScenarioLoader.TryMac(r.Mac, out var mac) ? mac : null,
            HostName = r.Hostname,
            BootfileName = r.Bootfile,
            TftpServerName = r.TftpServerName,
            TftpServerAddress = r.TftpServerAddress,
            LeaseTime = r.Lease,
        })],
    };
}
