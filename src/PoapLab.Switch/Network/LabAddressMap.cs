using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace PoapLab.Switch.Network;

/// <summary>The IP protocol of a lab service.</summary>
public enum LabProtocol
{
    Udp,
    Tcp,
}

/// <summary>
/// Where the lab's addresses really are. A scenario names its servers by lab addresses
/// (10.0.0.1); each lab host is given its own loopback address (from the lab's own 127.B.0.0/16 block) so replies
/// can be traced back to the lab host by address alone, and each lab service (udp/67,
/// udp/69, tcp/80) to the port the server actually bound there, so nothing needs root
/// or a privileged port. Thread-safe; one map per scenario run.
/// </summary>
public sealed class LabAddressMap
{
    private readonly Func<IPAddress> _allocateHost;
    private readonly ConcurrentDictionary<IPAddress, IPAddress> _labToLoopback = new();
    private readonly ConcurrentDictionary<IPAddress, IPAddress> _loopbackToLab = new();
    private readonly ConcurrentDictionary<(IPAddress Lab, LabProtocol Transport, int Port), IPEndPoint> _services = new();
    private readonly ConcurrentDictionary<IPEndPoint, int> _realToLabPort = new();
    private readonly ConcurrentDictionary<string, IPAddress> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentBag<IPEndPoint> _dhcpServers = [];
    private readonly ConcurrentDictionary<(IPAddress Lab, int Port, string User), string> _logins = new();
    private readonly ConcurrentBag<IPEndPoint> _dhcp6Servers = [];
    private int _version;

    /// <param name="allocateHost">
    /// Gives a loopback address no other host of any lab in this process uses (the lab's
    /// address plan: one 127.B.0.0/16 block per lab); called once per lab host.
    /// </param>
    public LabAddressMap(Func<IPAddress> allocateHost)
    {
        ArgumentNullException.ThrowIfNull(allocateHost);
        _allocateHost = allocateHost;
    }

    /// <summary>
    /// Changes each time an address or a service is added (after the change is visible): an
    /// answer of <see cref="ToLab"/> or <see cref="ToReal"/> cached under one version holds while
    /// the version is the same.
    /// </summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1), where a DHCPv6 client sends.</summary>
    public static IPAddress AllDhcpServers { get; } = IPAddress.Parse("ff02::1:2");

    /// <summary>The loopback address standing for a lab host (allocated on first use).</summary>
    public IPAddress LoopbackFor(IPAddress labHost)
    {
        return _labToLoopback.GetOrAdd(labHost, lab =>
        {
            var lo = _allocateHost();
            _loopbackToLab[lo] = lab;
            Interlocked.Increment(ref _version);
            return lo;
        });
    }

    /// <summary>Declares that a lab service is served at a real endpoint.</summary>
    public void AddService(IPAddress labHost, LabProtocol transport, int labPort, IPEndPoint real)
    {
        _services[(labHost, transport, labPort)] = real;
        _realToLabPort[real] = labPort;
        _loopbackToLab.TryAdd(real.Address, labHost);
        Interlocked.Increment(ref _version);
        if (transport == LabProtocol.Udp && labPort == 67)
        {
            _dhcpServers.Add(real);
        }
        if (transport == LabProtocol.Udp && labPort == 547)
        {
            _dhcp6Servers.Add(real);
        }
    }

    /// <summary>
    /// Declares that logging in as <paramref name="labUser"/> to a lab service (ssh on
    /// tcp/22) is done as <paramref name="hostAccount"/> on the real server: the scenario's
    /// user names stay what scripts send, while the lab's sshd knows only its one lab account.
    /// </summary>
    public void AddLogin(IPAddress labHost, int labPort, string labUser, string hostAccount) =>
        _logins[(labHost, labPort, labUser)] = hostAccount;

    /// <summary>The host account a lab login is made as, or null when the lab declares none.</summary>
    public string? FindLogin(IPAddress labHost, int labPort, string labUser) =>
        _logins.TryGetValue((labHost, labPort, labUser), out var account) ? account : null;

    /// <summary>Declares a host name that resolves to a lab address (for URLs that use names).</summary>
    public void AddName(string name, IPAddress labHost) => _names[name] = labHost;

    /// <summary>The real endpoint of a lab service, or null when nothing serves it.</summary>
    public IPEndPoint? Find(IPAddress labHost, LabProtocol transport, int labPort) =>
        _services.TryGetValue((labHost, transport, labPort), out var real) ? real : null;

    /// <summary>Every DHCP server on the segment (where a broadcast DISCOVER goes).</summary>
    public IReadOnlyCollection<IPEndPoint> DhcpServers => _dhcpServers.ToArray();

    /// <summary>Every DHCPv6 server on the segment (where a multicast SOLICIT goes).</summary>
    public IReadOnlyCollection<IPEndPoint> Dhcp6Servers => _dhcp6Servers.ToArray();

    /// <summary>The lab endpoint a datagram from <paramref name="real"/> appears to come from.</summary>
    public IPEndPoint ToLab(IPEndPoint real)
    {
        var host = _loopbackToLab.TryGetValue(real.Address, out var lab) ? lab : real.Address;
        var port = _realToLabPort.TryGetValue(real, out var labPort) ? labPort : real.Port;
        return new IPEndPoint(host, port);
    }

    /// <summary>Resolves a URL host (address literal or declared name) to a lab address.</summary>
    public IPAddress? Resolve(string host)
    {
        var h = host.Trim('[', ']');
        if (IPAddress.TryParse(h, out var ip))
        {
            return ip;
        }
        return _names.TryGetValue(h, out var named) ? named : null;
    }

    /// <summary>The real destination of a datagram or connection to a lab endpoint.</summary>
    public IPEndPoint? ToReal(IPEndPoint lab, LabProtocol transport)
    {
        if (Find(lab.Address, transport, lab.Port) is { } service)
        {
            return service;
        }
        // A server's transfer socket (TFTP TID): same lab host, a port of its own.
        if (_labToLoopback.TryGetValue(lab.Address, out var lo))
        {
            return new IPEndPoint(lo, lab.Port);
        }
        foreach (var ((labHost, _, _), real) in _services)
        {
            if (labHost.Equals(lab.Address))
            {
                return new IPEndPoint(real.Address, lab.Port);
            }
        }
        return lab.AddressFamily == AddressFamily.InterNetwork && IPAddress.IsLoopback(lab.Address) ? lab : null;
    }
}
