using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Time;
using PoapLab.Lab.Faults;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Tests.Faults;

/// <summary>The link wrapper hands the interface work (address, client prefix, local sockets) to the network beneath.</summary>
public sealed class LinkFaultNetworkForwardingTests
{
    private readonly SimClock _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>A network that records what it was asked to configure and makes marked sockets.</summary>
    private sealed class RecordingNetwork : ISwitchNetwork
    {
        private readonly FakeSwitchNetwork _fake = new();

        public List<(IPAddress Address, int PrefixLength, IPAddress? Gateway)> Configured { get; } = [];

        public List<Socket> Made { get; } = [];

        public Exception? ConfigureFails { get; init; }

        public ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken) => _fake.OpenUdpAsync(localPort, cancellationToken);

        public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) => _fake.ConnectTcpAsync(host, port, cancellationToken);

        public IPAddress? Resolve(string host) => _fake.Resolve(host);

        public void ExpectSilence() => _fake.ExpectSilence();

        public ValueTask ConfigureAsync(IPAddress address, int prefixLength, IPAddress? gateway, CancellationToken cancellationToken)
        {
            if (ConfigureFails is { } e)
            {
                return ValueTask.FromException(e);
            }
            Configured.Add((address, prefixLength, gateway));
            return ValueTask.CompletedTask;
        }

        public IReadOnlyList<string> ClientCommandPrefix => ["nsenter", "--net=/proc/1/fd/9", "--"];

        public Socket CreateLocalSocket(AddressFamily family, SocketType type, ProtocolType protocol)
        {
            var s = new Socket(family, type, protocol);
            Made.Add(s);
            return s;
        }
    }

    [Fact]
    public async Task ConfigureAsync_ClientCommandPrefix_CreateLocalSocket_ForwardedToTheInnerNetwork()
    {
        var ct = TestContext.Current.CancellationToken;
        var inner = new RecordingNetwork();
        ISwitchNetwork net = new LinkFaultNetwork(inner, _clock, new LinkFaults { LossFromSwitch = 0.5 }, null);

        await net.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 24, IPAddress.Parse("10.0.0.254"), ct);
        using var socket = net.CreateLocalSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        inner.Configured.ShouldHaveSingleItem().ShouldBe((IPAddress.Parse("10.0.0.100"), 24, (IPAddress?)IPAddress.Parse("10.0.0.254")));
        net.ClientCommandPrefix.ShouldBe(["nsenter", "--net=/proc/1/fd/9", "--"]);
        inner.Made.ShouldHaveSingleItem().ShouldBeSameAs(socket);
    }

    [Fact]
    public async Task ConfigureAsync_InnerRefusesTheAddress_TheErrorReachesTheSwitchUnchanged()
    {
        // A hostile lease (a prefix no interface takes): the wrapper neither hides nor rewords the refusal.
        var ct = TestContext.Current.CancellationToken;
        var inner = new RecordingNetwork { ConfigureFails = new ArgumentOutOfRangeException("prefixLength", "prefix length 40 is not 0..32") };
        ISwitchNetwork net = new LinkFaultNetwork(inner, _clock, new LinkFaults { LossFromSwitch = 0.5 }, null);

        var e = await Should.ThrowAsync<ArgumentOutOfRangeException>(async () => await net.ConfigureAsync(IPAddress.Parse("10.0.0.100"), 40, null, ct));

        e.Message.ShouldContain("prefix length 40");
        inner.Configured.ShouldBeEmpty();
    }
}
