using System.Net;
using System.Net.Sockets;
using PoapLab.Lab.Transports.Namespace;

namespace PoapLab.Lab.Services.Real;

/// <summary>
/// How one kind of daemon is run: its command line (foreground, logging to stderr, the
/// user's file unmodified), the directories it writes (each a private one, so paths in the
/// user's configuration work without touching the machine), the files it must find, and
/// how it shows it is ready. One entry per kind (<see cref="For"/>).
/// </summary>
internal sealed record RealServerPlan(
    string Program,
    string Package,
    Services.ServiceKind Service,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<string> ReadOnlyPaths,
    IReadOnlyList<string> PrivateDirectories,
    IReadOnlyList<string> EmptyFiles,
    ProtocolType ReadyProtocol,
    int ReadyPort,
    IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>
    /// A log line the daemon prints once it serves (after its port is bound), waited for a
    /// little when given: a configuration that logs elsewhere never shows it.
    /// </summary>
    public string? ReadyLine { get; init; }

    /// <summary>The served files and the path they appear at, read-only, in the sandbox (<see cref="RealServerOptions.ServeAt"/>); null: none.</summary>
    public (string Source, string Target)? Served { get; init; }

    /// <summary>Directories the daemon expects inside its private ones (vsftpd's <c>secure_chroot_dir</c>).</summary>
    public IReadOnlyList<string> Directories { get; init; } = [];

    /// <summary>The plan for <paramref name="options"/>; the user's paths are checked here, before anything starts.</summary>
    public static RealServerPlan For(RealServerOptions options, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(options);
        var none = new Dictionary<string, string>();
        switch (options.Kind)
        {
            case RealServerKind.Dnsmasq:
            {
                var config = RequireConfig(options, "dnsmasq");
                // -k: foreground; --log-facility=-: log to stderr (dnsmasq(8)); --conf-file: the
                // user's file only (not /etc/dnsmasq.conf). Leases default to /var/lib/misc.
                return new(options.Executable ?? "/usr/sbin/dnsmasq", "dnsmasq-base", Services.ServiceKind.Dhcp,
                    ["--keep-in-foreground", "--log-facility=-", $"--conf-file={config}"],
                    [config, .. Root(options, "dnsmasq", required: false)], ["/run", "/var/lib/misc"], [], ProtocolType.Udp, options.Port ?? 67, none);
            }
            case RealServerKind.TftpdHpa:
            {
                var root = Root(options, "tftpd-hpa", required: true);
                var port = options.Port ?? 69;
                // -L: foreground standalone (tftpd(8)); it logs through syslog, which PoapLab collects.
                string[] args = options.Arguments.IsDefaultOrEmpty ? ["--secure"] : [.. options.Arguments];
                return new(options.Executable ?? "/usr/sbin/in.tftpd", "tftpd-hpa", Services.ServiceKind.Tftp,
                    ["--foreground", "--address", $"{Literal(address)}:{port}", "--user", "tftp", .. args, root[0]],
                    root, ["/run"], [], ProtocolType.Udp, port, none);
            }
            case RealServerKind.Nginx:
            {
                var config = RequireConfig(options, "nginx");
                string[] state = ["/run", "/var/lib/nginx", "/var/log/nginx"];
                var (root, served) = Tree(options, "nginx", [Path.GetDirectoryName(config)!, .. state]);
                // -e stderr: errors to stderr from the start (nginx 1.19.5+); -p: relative paths
                // are taken from the configuration's folder; daemon off: stay in the foreground.
                return new(options.Executable ?? "/usr/sbin/nginx", "nginx", Services.ServiceKind.Http,
                    ["-e", "stderr", "-c", config, "-p", Path.GetDirectoryName(config)! + "/", "-g", "daemon off;"],
                    [Path.GetDirectoryName(config)!, .. root],
                    state, [], ProtocolType.Tcp, options.Port ?? 80, none)
                {
                    Served = served,
                };
            }
            case RealServerKind.KeaDhcp4:
            {
                var config = RequireConfig(options, "kea-dhcp4");
                return new(options.Executable ?? "/usr/sbin/kea-dhcp4", "kea-dhcp4-server", Services.ServiceKind.Dhcp,
                    ["-c", config], [config], ["/run", "/var/lib/kea", "/var/log/kea"], [], ProtocolType.Udp, options.Port ?? 67,
                    new Dictionary<string, string> { ["KEA_PIDFILE_DIR"] = "/run", ["KEA_LOCKFILE_DIR"] = "/run" })
                {
                    // Kea binds port 67 before it has opened its interfaces' sockets (kea-messages: DHCP4_STARTED).
                    ReadyLine = "DHCP4_STARTED",
                };
            }
            case RealServerKind.KeaDhcp6:
            {
                var config = RequireConfig(options, "kea-dhcp6");
                return new(options.Executable ?? "/usr/sbin/kea-dhcp6", "kea-dhcp6-server", Services.ServiceKind.Dhcp6,
                    ["-c", config], [config], ["/run", "/var/lib/kea", "/var/log/kea"], [], ProtocolType.Udp, options.Port ?? 547,
                    new Dictionary<string, string> { ["KEA_PIDFILE_DIR"] = "/run", ["KEA_LOCKFILE_DIR"] = "/run" })
                {
                    // As kea-dhcp4: port 547 is bound before the interfaces' sockets (kea-messages: DHCP6_STARTED).
                    ReadyLine = "DHCP6_STARTED",
                };
            }
            case RealServerKind.IscDhcpd:
            {
                var config = RequireConfig(options, "dhcpd");
                // -f -d: foreground, log to stderr (dhcpd(8)); the lease file must exist.
                return new(options.Executable ?? "/usr/sbin/dhcpd", "isc-dhcp-server", Services.ServiceKind.Dhcp,
                    ["-f", "-d", "-4", "-cf", config, "-lf", "/var/lib/dhcp/dhcpd.leases", "-pf", "/run/dhcpd.pid", LabHost.Interface],
                    [config], ["/run", "/var/lib/dhcp"], ["/var/lib/dhcp/dhcpd.leases"], ProtocolType.Udp, options.Port ?? 67, none);
            }
            case RealServerKind.IscDhcpRelay:
            {
                var servers = new List<string>();
                foreach (var a in options.Arguments.IsDefault ? [] : options.Arguments)
                {
                    if (!IPAddress.TryParse(a, out var server) || server.AddressFamily != AddressFamily.InterNetwork || a.StartsWith('-'))
                    {
                        throw new RealServerException("dhcrelay", $"dhcrelay: '{a}' is not a DHCP server's IPv4 address", null);
                    }
                    servers.Add(server.ToString());
                }
                if (servers.Count == 0)
                {
                    throw new RealServerException("dhcrelay", "dhcrelay: no DHCP server to relay to was given", null);
                }
                // -d: foreground, log to stderr; -id/-iu: listen for clients on the switches'
                // side, relay through the servers' side (dhcrelay(8)).
                return new(options.Executable ?? "/usr/sbin/dhcrelay", "isc-dhcp-relay", Services.ServiceKind.DhcpRelay,
                    ["-d", "-4", "-id", LabRouter.Downstream, "-iu", LabRouter.Upstream, .. servers],
                    [], ["/run"], [], ProtocolType.Udp, options.Port ?? 67, none);
            }
            case RealServerKind.Vsftpd:
            {
                var config = RequireConfig(options, "vsftpd");
                string[] state = ["/run", "/var/log"];
                var (root, served) = Tree(options, "vsftpd", [config, .. state]);
                // -o: a command-line setting after the file (vsftpd(8)): in the foreground, the
                // file itself unmodified. Its default secure_chroot_dir is made in the private /run.
                return new(options.Executable ?? "/usr/sbin/vsftpd", "vsftpd", Services.ServiceKind.Ftp,
                    [config, "-obackground=NO"], [config, .. root], state, [], ProtocolType.Tcp, options.Port ?? 21, none)
                {
                    Directories = ["/run/vsftpd/empty"],
                    Served = served,
                };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown real server kind");
        }
    }

    private static string RequireConfig(RealServerOptions options, string server) =>
        options.ConfigPath is null
            ? throw new RealServerException(server, $"{server}: no configuration file was given", null)
            : ConfigFile.Check(server, "configuration file", options.ConfigPath);

    private static string[] Root(RealServerOptions options, string server, bool required) =>
        options.RootPath is { } root
            ? [ConfigFile.CheckDirectory(server, "root", root)]
            : required ? throw new RealServerException(server, $"{server}: no root directory was given", null) : [];

    /// <summary>
    /// The served tree: at its own path (read-only), or, with <see cref="RealServerOptions.ServeAt"/>,
    /// bound at that path (checked against the system's folders and <paramref name="taken"/>).
    /// </summary>
    private static (string[] ReadOnly, (string Source, string Target)? Served) Tree(RealServerOptions options, string server, string[] taken)
    {
        if (options.ServeAt is not { } at)
        {
            return (Root(options, server, required: false), null);
        }
        var target = ServePath.Check(server, at, taken);
        // The sandbox's / is the machine's, read-only: a mount point can be made inside an existing top folder only.
        var top = "/" + target.Split('/')[1];
        if (!Directory.Exists(top))
        {
            throw new RealServerException(server, $"{server}: serve_at '{target}': {top} does not exist on this machine and the sandbox's / is read-only; serve from under /srv, /var/www or /opt", null);
        }
        var root = Root(options, server, required: true);
        return ([], (root[0], target));
    }

    private static string Literal(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
