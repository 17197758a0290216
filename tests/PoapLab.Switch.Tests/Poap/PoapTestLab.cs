using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Protocols.Integrity;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Device;
using PoapLab.Switch.Identity;
using PoapLab.Switch.Network;
using PoapLab.Switch.Poap;
using PoapLab.Switch.Script;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Poap;

/// <summary>
/// A one-switch lab for the POAP agent's tests: the embedded DHCP and TFTP servers on a
/// loopback address of the lab's own, reached as 10.0.0.1 through <see cref="TestLabNetwork"/>
/// (the switch speaks only <see cref="ISwitchNetwork"/>), a switch on a temporary directory
/// and one clock. Needs bubblewrap and Debian's python3 for the script run.
/// </summary>
internal sealed class PoapTestLab : IAsyncDisposable
{
    public static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");
    public static readonly PhysicalAddress Mac = PhysicalAddress.Parse("00-A1-B2-C3-D4-E5");
    public const string Serial = "FDO23490570";

    private static int s_labs;
    private readonly List<NexusSwitch> _switches = [];
    private EmbeddedDhcpServer? _dhcp;
    private EmbeddedTftpServer? _tftp;

    private PoapTestLab(string root, IPAddress loopback)
    {
        Root = root;
        Loopback = loopback;
        Served = Directory.CreateDirectory(Path.Combine(root, "served")).FullName;
        Clock = new SimClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), TimeSpan.FromMilliseconds(300));
        Timeline = new Timeline(Clock);
        Network = new TestLabNetwork();
    }

    public string Root { get; }

    /// <summary>What the TFTP server serves.</summary>
    public string Served { get; }

    public IPAddress Loopback { get; }

    public SimClock Clock { get; }

    public Timeline Timeline { get; }

    public TestLabNetwork Network { get; }

    public ScriptHost Scripts { get; } = new();

    public EmbeddedDhcpServer Dhcp => _dhcp!;

    /// <summary>Starts the servers; <paramref name="dhcp"/> may change the DHCP options (the script's name is poap.py).</summary>
    public static async Task<PoapTestLab> StartAsync(Func<DhcpServerOptions, DhcpServerOptions>? dhcp = null, bool withDhcp = true)
    {
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");
        var n = Interlocked.Increment(ref s_labs);
        var loopback = new IPAddress([127, (byte)(100 + Environment.ProcessId % 100), (byte)(n / 250), (byte)(n % 250 + 1)]);
        var lab = new PoapTestLab(Directory.CreateTempSubdirectory("poaplab-poap-").FullName, loopback);
        var ct = TestContext.Current.CancellationToken;
        try
        {
            if (withDhcp)
            {
                var options = new DhcpServerOptions
                {
                    ServerAddress = Server,
                    SubnetMask = IPAddress.Parse("255.255.255.0"),
                    Router = IPAddress.Parse("10.0.0.254"),
                    PoolStart = IPAddress.Parse("10.0.0.100"),
                    PoolEnd = IPAddress.Parse("10.0.0.199"),
                    LeaseTime = TimeSpan.FromDays(1),
                    TftpServerAddress = Server,
                    BootfileName = "poap.py",
                };
                lab._dhcp = new EmbeddedDhcpServer(dhcp?.Invoke(options) ?? options, lab.Timeline, "dhcp:10.0.0.1", lab.Clock);
                var dhcpAt = await lab._dhcp.StartAsync(new IPEndPoint(loopback, 0), ct);
                lab.Network.Route(new IPEndPoint(Server, 67), dhcpAt).Route(new IPEndPoint(IPAddress.Broadcast, 67), dhcpAt);
            }
            lab._tftp = new EmbeddedTftpServer(new TftpServerOptions { RootPath = lab.Served }, lab.Timeline, "tftp:10.0.0.1", lab.Clock);
            var tftpAt = await lab._tftp.StartAsync(new IPEndPoint(loopback, 0), ct);
            lab.Network.Route(new IPEndPoint(Server, 69), tftpAt).Host(Server, loopback);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Serves <paramref name="python"/> as poap.py, with a valid <c>#md5sum</c> line unless <paramref name="md5"/> says otherwise.</summary>
    public void ServeScript(string python, ScriptMd5Mode md5 = ScriptMd5Mode.Valid)
    {
        var text = "#!/usr/bin/env python3\n#md5sum=\"00000000000000000000000000000000\"\n" + python;
        var bytes = Encoding.UTF8.GetBytes(text);
        if (md5 == ScriptMd5Mode.Valid)
        {
            bytes = ScriptMd5.Fix(bytes);
        }
        File.WriteAllBytes(Path.Combine(Served, "poap.py"), bytes);
    }

    /// <summary>Serves <paramref name="text"/> as poap.py exactly as given (its own #! and #md5sum lines).</summary>
    public void ServeRawScript(string text) => File.WriteAllText(Path.Combine(Served, "poap.py"), text);

    /// <summary>Serves a generated NX-OS image of <paramref name="version"/> under <paramref name="name"/>.</summary>
    public void ServeImage(string name, string version, long bytes = 64 * 1024)
    {
        using var file = File.Create(Path.Combine(Served, name));
        var v = NxosVersion.Parse(version);
        NxosImage.Generate(file, v, v.Is64Bit ? "cs" : null, bytes);
    }

    public void Serve(string name, string content) => File.WriteAllText(Path.Combine(Served, name), content);

    /// <summary>A switch of this lab (disposed with it).</summary>
    public NexusSwitch Switch(PoapSettings? settings = null, string version = "9.3(8)", string name = "leaf-101")
    {
        var identity = new SwitchIdentity(name, "N9K-C93108TC-EX", Serial, Mac, "07.69", "04/08/2021",
            53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module");
        var spec = new SwitchSpec(identity, NxosVersion.Parse(version), null, Path.Combine(Root, "switch-" + _switches.Count))
        {
            Poap = settings ?? Settings(),
        };
        var sw = new NexusSwitch(spec, Network, Clock, Timeline, Scripts);
        _switches.Add(sw);
        return sw;
    }

    /// <summary>Quick settings: IPv4 only, two DISCOVERs, one attempt unless told.</summary>
    public static PoapSettings Settings(int maxAttempts = 1) => new()
    {
        MaxAttempts = maxAttempts,
        DiscoverTries = 2,
        Ipv6 = false,
        ScriptTimeout = TimeSpan.FromSeconds(30),
    };

    public IEnumerable<LabEvent> Events(string kind) => Timeline.Events.Where(e => e.Kind == kind);

    /// <summary>TFTP requests the server has not finished (completed, failed or denied) yet.</summary>
    private int TransfersInFlight()
    {
        var events = Timeline.Events;
        return events.Count(e => e.Kind == EventKinds.TftpServerRequest)
            - events.Count(e => e.Kind is EventKinds.TftpServerCompleted or EventKinds.TftpServerFailed or EventKinds.TftpServerDenied);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sw in _switches)
        {
            sw.Dispose();
        }
        if (_dhcp is not null)
        {
            await _dhcp.DisposeAsync();
        }
        if (_tftp is not null)
        {
            // A transfer whose last ACK is still on its way when the test ends would be recorded
            // as "server stopped": let the server see it first (bounded: 100 looks, 20 ms apart).
            for (var look = 0; look < 100 && TransfersInFlight() > 0; look++)
            {
                await Task.Delay(20);
            }
            await _tftp.DisposeAsync();
        }
        Directory.Delete(Root, recursive: true);
    }
}

/// <summary>How <see cref="PoapTestLab.ServeScript"/> writes the <c>#md5sum</c> line.</summary>
internal enum ScriptMd5Mode
{
    Valid,
    Stale,
}

/// <summary>
/// A lab network for tests: lab endpoints routed to the loopback endpoints where embedded
/// servers listen, other ports of a lab host to the same port of its loopback address (TFTP
/// transfer ports), and answers shown as coming from the lab endpoint. Datagrams to nowhere
/// are dropped, as on a segment with no such server.
/// </summary>
internal sealed class TestLabNetwork : ISwitchNetwork
{
    private readonly Dictionary<IPEndPoint, IPEndPoint> _routes = [];
    private readonly Dictionary<IPAddress, IPAddress> _hosts = [];

    /// <summary>The longest real wait standing for a switch-time timeout (servers here answer in microseconds).</summary>
    public TimeSpan RealWaitCap { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>What the switch announced on its link (CDP/LLDP), in order.</summary>
    public List<LinkAnnouncement> Announcements { get; } = [];

    public ValueTask AnnounceAsync(LinkAnnouncement announcement, CancellationToken cancellationToken)
    {
        Announcements.Add(announcement);
        return ValueTask.CompletedTask;
    }

    public TestLabNetwork Route(IPEndPoint lab, IPEndPoint real)
    {
        _routes[lab] = real;
        return this;
    }

    public TestLabNetwork Host(IPAddress lab, IPAddress real)
    {
        _hosts[lab] = real;
        return this;
    }

    public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ValueTask.FromResult<ILabUdpSocket>(new UdpSocket(this, socket, localPort));
    }

    public async ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken)
    {
        var real = ToReal(new IPEndPoint(host, port)) ?? throw new SocketException((int)SocketError.HostUnreachable);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(real, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NetworkStream(socket, ownsSocket: true);
    }

    public IPAddress? Resolve(string host) =>
        IPAddress.TryParse(host, out var address) && _hosts.ContainsKey(address) ? address : null;

    private IPEndPoint? ToReal(IPEndPoint lab) =>
        _routes.TryGetValue(lab, out var real) ? real
        : _hosts.TryGetValue(lab.Address, out var host) ? new IPEndPoint(host, lab.Port)
        : null;

    private IPEndPoint ToLab(IPEndPoint real)
    {
        foreach (var (lab, to) in _routes)
        {
            if (to.Equals(real) && !lab.Address.Equals(IPAddress.Broadcast))
            {
                return lab;
            }
        }
        foreach (var (lab, to) in _hosts)
        {
            if (to.Equals(real.Address))
            {
                return new IPEndPoint(lab, real.Port);
            }
        }
        return real;
    }

    private sealed class UdpSocket(TestLabNetwork network, Socket socket, int labPort) : ILabUdpSocket
    {
        private readonly byte[] _buffer = new byte[65536];
        private readonly SocketAddress _from = new(AddressFamily.InterNetwork);
        private readonly IPEndPoint _template = new(IPAddress.Any, 0);
        private Task<int>? _pending;

        public int LocalPort => labPort != 0 ? labPort : ((IPEndPoint)socket.LocalEndPoint!).Port;

        public async ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken)
        {
            if (network.ToReal(destination) is { } real)
            {
                await socket.SendToAsync(datagram, SocketFlags.None, real, cancellationToken);
            }
        }

        public async ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            // A receive that outlives a timed-out wait is kept for the next call: no datagram is lost.
            _pending ??= socket.ReceiveFromAsync(_buffer, SocketFlags.None, _from, CancellationToken.None).AsTask();
            var realWait = timeout < network.RealWaitCap ? timeout : network.RealWaitCap;
            try
            {
                await _pending.WaitAsync(realWait, cancellationToken);
            }
            catch (TimeoutException)
            {
                return null;
            }
            var length = await _pending;
            _pending = null;
            return new LabDatagram(_buffer.AsSpan(0, length).ToArray(), network.ToLab((IPEndPoint)_template.Create(_from)));
        }

        public async ValueTask DisposeAsync()
        {
            socket.Dispose();
            if (_pending is { } pending)
            {
                // The receive left pending ends with the socket; its exception is observed here.
                try
                {
                    await pending;
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                }
            }
        }
    }
}
