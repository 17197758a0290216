using System.Net;
using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Faults;

namespace PoapLab.Servers.Tests.Dhcp;

public sealed partial class EmbeddedDhcpServerTests
{
    private sealed class MutableAttempt : IFaultContext
    {
        public int Attempt { get; set; } = 1;

        public int? AttemptOf(IPEndPoint client) => Attempt;
    }

    private static DhcpServerOptions WithFaults(params DhcpFault[] faults) => Options() with { Faults = [.. faults] };

    private sealed class SilenceRecorder : IFaultContext
    {
        public System.Collections.Concurrent.ConcurrentQueue<ServerSilence> Silences { get; } = new();

        public int? AttemptOf(IPEndPoint client) => 1;

        /// <summary>Completes once the first notice is in (a server may record its event before it tells the lab).</summary>
        public TaskCompletionSource Heard { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void WillNotAnswer(ServerSilence silence)
        {
            Silences.Enqueue(silence);
            Heard.TrySetResult();
        }
    }

    [Fact]
    public async Task Faults_NoAnswer_TellsTheLabItWillNotAnswerTheBroadcastWithTheClientsMac()
    {
        var context = new SilenceRecorder();
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.NoAnswer, new FaultTrigger())) with { FaultContext = context });
        var silenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _timeline.Subscribe(e =>
        {
            if (e.Kind == EventKinds.FaultInjected)
            {
                silenced.TrySetResult();
            }
        });

        await SendAsync(server, Discover(0x66, PoapClientId).Encode());
        await silenced.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await context.Heard.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var silence = context.Silences.ShouldHaveSingleItem();
        silence.Scope.ShouldBe(SilenceScope.Broadcast);
        silence.ClientMac.ShouldBe(SwitchMac);
        silence.Client.ShouldNotBeNull();
        silence.Server.ShouldBe("dhcp:10.0.0.1");
    }

    [Fact]
    public async Task Ignore_NotABootRequest_TellsTheLabItWillNotAnswer()
    {
        // A hostile BOOTREPLY sent to the server: ignored, and said so through the typed channel.
        var context = new SilenceRecorder();
        var server = await StartAsync(Options() with { FaultContext = context });
        var ignored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _timeline.Subscribe(e =>
        {
            if (e.Kind == EventKinds.DhcpServerIgnored)
            {
                ignored.TrySetResult();
            }
        });

        await SendAsync(server, (Discover(0x77, PoapClientId) with { Operation = BootpOperation.Reply }).Encode());
        await ignored.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await context.Heard.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        context.Silences.ShouldHaveSingleItem().Reason.ShouldBe("not a BOOTREQUEST");
    }

    [Fact]
    public async Task Faults_NoAnswerOnFirstAttempt_DiscoverAndRequestSilentThenSecondAttemptServed()
    {
        var context = new MutableAttempt();
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.NoAnswer, new FaultTrigger { Attempts = [1] })) with { FaultContext = context });
        var discover = Discover(0x11, PoapClientId);
        var bothSilenced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _timeline.Subscribe(e =>
        {
            if (e.Kind == EventKinds.FaultInjected && e.Get("type") == "Request")
            {
                bothSilenced.TrySetResult();
            }
        });

        await SendAsync(server, discover.Encode());
        await SendAsync(server, Request(discover, IPAddress.Parse("10.0.0.100"), IPAddress.Parse("10.0.0.1")).Encode());
        await bothSilenced.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        context.Attempt = 2;
        // Replies come in order from one receive loop: the first one seen answers attempt 2.
        var offer = await ExchangeAsync(server, Discover(0x22, PoapClientId));

        offer.TransactionId.ShouldBe(0x22u);
        offer.MessageType.ShouldBe(DhcpMessageType.Offer);
        var injected = _timeline.Events.Where(e => e.Kind == EventKinds.FaultInjected).ToList();
        injected.Select(e => e.Get("type")).ShouldBe(["Discover", "Request"]);
        injected.ShouldAllBe(e => e.Get("server") == "dhcp:10.0.0.1" && e.Get("attempt") == "1" && e.Get("xid") == "0x00000011");
        injected[0].Get("fault")!.ShouldStartWith("DHCP does not answer (attempt 1)");
        injected[0].Get("client").ShouldBe(_client.Client.LocalEndPoint!.ToString());
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.DhcpServerOffered && e.Get("xid") == "0x00000011");
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.DhcpServerAcked);
    }

    /// <summary>Knows the switch only by its MAC: its requests come from 0.0.0.0:68 on a real segment.</summary>
    private sealed class MacOnlyAttempt(PhysicalAddress known) : IFaultContext
    {
        public int? AttemptOf(IPEndPoint client) => null;

        public int? AttemptOfMac(PhysicalAddress mac) => mac.Equals(known) ? 1 : null;
    }

    [Fact]
    public async Task Faults_NoAnswerOnFirstAttemptClientKnownOnlyByMac_DiscoverNotAnswered()
    {
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.NoAnswer, new FaultTrigger { Attempts = [1] })) with { FaultContext = new MacOnlyAttempt(SwitchMac) });
        var injected = new TaskCompletionSource<LabEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        _timeline.Subscribe(e =>
        {
            if (e.Kind == EventKinds.FaultInjected)
            {
                injected.TrySetResult(e);
            }
        });

        await SendAsync(server, Discover(0x31, PoapClientId).Encode());
        var e = await injected.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        e.Get("attempt").ShouldBe("1");
        e.Get("mac").ShouldBe(DhcpFormat.Mac(SwitchMac));
        _timeline.Events.ShouldNotContain(x => x.Kind == EventKinds.DhcpServerOffered && x.Get("xid") == "0x00000031");
    }

    [Fact]
    public async Task Faults_NoAnswerOnFirstAttemptUnknownMac_Offered()
    {
        // A stranger on the segment (a MAC no switch of the lab has): its attempt is unknown, an attempt-keyed fault does not fire.
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.NoAnswer, new FaultTrigger { Attempts = [1] })) with { FaultContext = new MacOnlyAttempt(SwitchMac) });

        var offer = await ExchangeAsync(server, Discover(0x32, PoapClientId, PhysicalAddress.Parse("02-00-00-00-00-66")));

        offer.MessageType.ShouldBe(DhcpMessageType.Offer);
        _timeline.Events.ShouldNotContain(x => x.Kind == EventKinds.FaultInjected);
    }

    [Fact]
    public async Task Faults_Nak_DiscoverStillOfferedRequestNaked()
    {
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.Nak, new FaultTrigger { Request = 1 })));
        var discover = Discover(0x33, PoapClientId);

        var offer = await ExchangeAsync(server, discover);
        var nak = await ExchangeAsync(server, Request(discover, offer.YourAddress, IPAddress.Parse("10.0.0.1")));
        var offer2 = await ExchangeAsync(server, discover);
        var ack = await ExchangeAsync(server, Request(discover, offer2.YourAddress, IPAddress.Parse("10.0.0.1")));

        offer.MessageType.ShouldBe(DhcpMessageType.Offer);
        nak.MessageType.ShouldBe(DhcpMessageType.Nak);
        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        var injected = _timeline.Events.Single(e => e.Kind == EventKinds.FaultInjected);
        injected.Get("type").ShouldBe("Request");
        injected.Get("kind").ShouldBe("Nak");
        injected.Get("attempt").ShouldBeNull();
        _timeline.Events.ShouldContain(e => e.Kind == EventKinds.DhcpServerNaked && e.Get("reason") == "injected fault");
    }

    [Fact]
    public async Task Faults_OmitOptions_OfferAndAckLackThem()
    {
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.OmitOptions, new FaultTrigger()) { Options = [66, 150, 67] }));
        var discover = Discover(0x44, PoapClientId);

        var offer = await ExchangeAsync(server, discover);
        var ack = await ExchangeAsync(server, Request(discover, offer.YourAddress, IPAddress.Parse("10.0.0.1")));

        foreach (var reply in new[] { offer, ack })
        {
            reply.Has(DhcpOption.TftpServerAddress).ShouldBeFalse();
            reply.Has(DhcpOption.BootfileName).ShouldBeFalse();
            reply.GetAddress(DhcpOption.SubnetMask).ShouldBe(IPAddress.Parse("255.255.255.0"));
            reply.GetAddress(DhcpOption.ServerIdentifier).ShouldBe(IPAddress.Parse("10.0.0.1"));
        }
        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        var injected = _timeline.Events.Where(e => e.Kind == EventKinds.FaultInjected).ToList();
        injected.Count.ShouldBe(2);
        injected[0].Get("fault")!.ShouldStartWith("DHCP leaves out option(s) 66, 150, 67");
    }

    [Fact]
    public async Task Faults_ShortLease_LeaseAndTimersScaled()
    {
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.ShortLease, new FaultTrigger()) { Lease = TimeSpan.FromSeconds(300) }));
        var discover = Discover(0x55, PoapClientId);

        var offer = await ExchangeAsync(server, discover);
        var ack = await ExchangeAsync(server, Request(discover, offer.YourAddress, IPAddress.Parse("10.0.0.1")));

        foreach (var reply in new[] { offer, ack })
        {
            reply.GetUInt32(DhcpOption.LeaseTime).ShouldBe(300u);
            reply.GetUInt32(DhcpOption.RenewalTime).ShouldBe(150u);
            reply.GetUInt32(DhcpOption.RebindingTime).ShouldBe(262u);
        }
        _server!.Leases.ShouldHaveSingleItem().Expires.ShouldBe(_clock.GetUtcNow() + TimeSpan.FromSeconds(300));
        _timeline.Events.Count(e => e.Kind == EventKinds.FaultInjected && e.Get("kind") == "ShortLease").ShouldBe(2);
    }

    [Fact]
    public async Task Faults_ProbabilityZero_ServesLikeAServerWithoutFaults()
    {
        var server = await StartAsync(WithFaults(new DhcpFault(DhcpFaultKind.NoAnswer, new FaultTrigger { Probability = 0 })));
        var discover = Discover(0x66, PoapClientId);

        var offer = await ExchangeAsync(server, discover);
        var ack = await ExchangeAsync(server, Request(discover, offer.YourAddress, IPAddress.Parse("10.0.0.1")));

        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        ack.GetUInt32(DhcpOption.LeaseTime).ShouldBe(86400u);
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.FaultInjected);
    }
}
