using System.Net;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Faults;
using PoapLab.Servers.Tftp;
using PoapLab.Switch.Network;
using PoapLab.Switch.Transfer.Tftp;

namespace PoapLab.Lab.Tests.Faults;

/// <summary>
/// A seeded lossy link gives the same run however loaded the host is: the switch's timeouts pass
/// in switch time (microseconds of real time), so a server retransmitting on its own real timer
/// would land its copies wherever the host's stalls put them, and every copy the switch hears
/// takes a draw of the link's generator. The scenarios' servers (<c>LabSpecs</c>) retransmit in
/// step with the switch instead (<see cref="TftpServerOptions.RetransmitOnClientTimeout"/>).
/// </summary>
public sealed class LossDeterminismTests : IDisposable
{
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");
    private readonly LoopbackBlock _block = LoopbackBlockPool.Shared.Rent();
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("poaplab-loss-");

    public void Dispose()
    {
        _block.Dispose();
        _root.Delete(recursive: true);
    }

    [Fact]
    public async Task TftpDownload_ThirtyPercentLossOnAStallingHost_SameLossesSameOutcomeAsOnAnIdleOne()
    {
        File.WriteAllBytes(Path.Combine(_root.FullName, "image.bin"), new byte[24 * 512 + 100]);
        // What LabSpecs gives a scenario whose links only lose: retransmission on the switch's
        // repeated ACK, the real timer a backstop far beyond any stall below.
        var options = new TftpServerOptions { RootPath = _root.FullName, RetransmitOnClientTimeout = true, RetransmitTimeout = TimeSpan.FromSeconds(1) };

        var idle = await DownloadAsync(options, stall: TimeSpan.Zero);
        // Every receive of the switch starts 120 ms late: a host too busy to run it on time.
        var stalled = await DownloadAsync(options, stall: TimeSpan.FromMilliseconds(120));

        idle.Link.DroppedToSwitch.ShouldBeGreaterThan(0);
        idle.Link.DroppedFromSwitch.ShouldBeGreaterThan(0);
        stalled.Result.ShouldBe(idle.Result);
        stalled.Link.ToString().ShouldBe(idle.Link.ToString());
        stalled.SwitchTime.ShouldBe(idle.SwitchTime);
    }

    private async Task<(TftpDownloadResult Result, LinkStatistics Link, TimeSpan SwitchTime)> DownloadAsync(TftpServerOptions options, TimeSpan stall)
    {
        var ct = TestContext.Current.CancellationToken;
        var map = new LabAddressMap(_block.Next);
        await using var server = new EmbeddedTftpServer(options, new Timeline(new SimClock(DateTimeOffset.UnixEpoch)), "tftp:10.0.0.1");
        var at = await server.StartAsync(new IPEndPoint(map.LoopbackFor(Server), 0), ct);
        map.AddService(Server, LabProtocol.Udp, 69, at);
        var clock = new SimClock(DateTimeOffset.UnixEpoch);
        var inner = new StallingNetwork(new VirtualNetwork(map, _block.Next(), clock), stall);
        var link = new LinkFaultNetwork(inner, clock, new LinkFaults { LossToSwitch = 0.3, LossFromSwitch = 0.3, Seed = 2105 }, attempt: null);

        var result = await new TftpClient(link, clock).DownloadAsync(Server, 69, "image.bin", Stream.Null,
            new TftpClientOptions { RequestTransferSize = false }, announcedSize: null, ct);
        return (result, link.Statistics, clock.Elapsed);
    }

    /// <summary>The switch's network, with each receive started late by <paramref name="stall"/> of real time.</summary>
    private sealed class StallingNetwork(ISwitchNetwork inner, TimeSpan stall) : ISwitchNetwork
    {
        public async ValueTask<ILabUdpSocket> OpenUdpAsync(int localPort, CancellationToken cancellationToken) =>
            new StallingSocket(await inner.OpenUdpAsync(localPort, cancellationToken).ConfigureAwait(false), stall);

        public ValueTask<Stream> ConnectTcpAsync(IPAddress host, int port, CancellationToken cancellationToken) => inner.ConnectTcpAsync(host, port, cancellationToken);

        public IPAddress? Resolve(string host) => inner.Resolve(host);

        public void ExpectSilence() => inner.ExpectSilence();
    }

    private sealed class StallingSocket(ILabUdpSocket inner, TimeSpan stall) : ILabUdpSocket
    {
        public int LocalPort => inner.LocalPort;

        public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint destination, CancellationToken cancellationToken) =>
            inner.SendAsync(datagram, destination, cancellationToken);

        public async ValueTask<LabDatagram?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (stall > TimeSpan.Zero)
            {
                await Task.Delay(stall, cancellationToken).ConfigureAwait(false);
            }
            return await inner.ReceiveAsync(timeout, cancellationToken).ConfigureAwait(false);
        }

        public void ExpectSilence() => inner.ExpectSilence();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
