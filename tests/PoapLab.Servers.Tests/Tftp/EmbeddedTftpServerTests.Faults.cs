using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Tftp;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Tftp;

public sealed partial class EmbeddedTftpServerTests
{
    private Task<IPEndPoint> StartWithFaultsAsync(params TftpFault[] faults) =>
        StartAsync(new TftpServerOptions { RootPath = Root, Faults = [.. faults] });

    private LabEvent SingleFaultEvent() => _timeline.Events.Single(e => e.Kind == EventKinds.FaultInjected);

    [Fact]
    public async Task Faults_ErrorMidTransfer_ErrorAfterTheGivenBytes()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "injected fault"); // the fault under test
        var content = WriteFile("nxos.bin", 5000);
        var server = await StartWithFaultsAsync(new TftpFault(TftpFaultKind.ErrorMidTransfer, new FaultTrigger { File = "*.bin" })
        {
            AfterBytes = 1024, ErrorCode = 3, ErrorMessage = "Disk full",
        });
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "nxos.bin", null, Ct);

        result.Error.ShouldNotBeNull().Code.ShouldBe(TftpErrorCode.DiskFull);
        result.Error.Message.ShouldBe("Disk full");
        result.Data.ShouldBe(content[..1024]);
        var injected = SingleFaultEvent();
        injected.Get("server").ShouldBe("tftp:10.0.0.1");
        injected.Get("file").ShouldBe("nxos.bin");
        injected.Get("client").ShouldBe(client.LocalEndPoint.ToString());
        injected.Get("bytes").ShouldBe("1024");
        injected.Get("fault")!.ShouldStartWith("TFTP sends ERROR 3 'Disk full' after 1024 bytes");
        (await WaitForEventAsync(EventKinds.TftpServerFailed)).Get("reason")!.ShouldContain("injected fault");
    }

    [Fact]
    public async Task Faults_ErrorMidTransferAtZero_ErrorInsteadOfFirstData()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "injected fault"); // the fault under test
        WriteFile("poap.py", 700);
        var server = await StartWithFaultsAsync(new TftpFault(TftpFaultKind.ErrorMidTransfer, new FaultTrigger()) { ErrorCode = 2, ErrorMessage = "Access violation" });
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "poap.py", TftpOptionList.Of(("blksize", "1400")), Ct);

        result.OptionAck.ShouldNotBeNull();
        result.Blocks.ShouldBe(0);
        result.Error.ShouldNotBeNull().Code.ShouldBe(TftpErrorCode.AccessViolation);
        SingleFaultEvent().Get("bytes").ShouldBe("0");
    }

    [Fact]
    public async Task Faults_Truncate_ShortLastBlockButRealTsize()
    {
        var content = WriteFile("nxos.bin", 5000);
        var server = await StartWithFaultsAsync(new TftpFault(TftpFaultKind.Truncate, new FaultTrigger()) { AfterBytes = 1100 });
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "nxos.bin", TftpOptionList.Of(("tsize", "0")), Ct);

        result.Error.ShouldBeNull();
        result.OptionAck.ShouldNotBeNull().Options["tsize"].ShouldBe("5000");
        result.Data.ShouldBe(content[..1100]);
        result.Blocks.ShouldBe(3);
        SingleFaultEvent().Get("size").ShouldBe("5000");
        (await WaitForEventAsync(EventKinds.TftpServerCompleted)).Get("bytes").ShouldBe("1100");
    }

    [Fact]
    public async Task Faults_RefuseOptions_PlainDataAt512WithoutOack()
    {
        var content = WriteFile("nxos.bin", 3000);
        var server = await StartWithFaultsAsync(new TftpFault(TftpFaultKind.RefuseOptions, new FaultTrigger()));
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "nxos.bin", "octet", TftpOptionList.Of(("blksize", "1468"), ("tsize", "0"), ("windowsize", "4"))), server, Ct);
        var (first, _) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();

        var data = first.ShouldBeOfType<TftpData>();
        data.Block.ShouldBe((ushort)1);
        data.Payload.Length.ShouldBe(512);
        data.Payload.ToArray().ShouldBe(content[..512]);
        SingleFaultEvent().Get("kind").ShouldBe("RefuseOptions");
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.TftpServerOptions);
    }

    [Fact]
    public async Task Faults_GoneMidTransfer_SilenceNoErrorAndSocketClosed()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "injected fault"); // the fault under test
        WriteFile("nxos.bin", 3000);
        var server = await StartAsync(new TftpServerOptions
        {
            RootPath = Root,
            RetransmitTimeout = TimeSpan.FromMilliseconds(100),
            Faults = [new TftpFault(TftpFaultKind.GoneMidTransfer, new FaultTrigger()) { AfterBytes = 512 }],
        });
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "nxos.bin", "octet"), server, Ct);
        var (first, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        await client.SendAsync(new TftpAck(1), tid, Ct);
        var failed = await WaitForEventAsync(EventKinds.TftpServerFailed);
        // The client retransmits its ACK as a real one would: nothing comes back.
        await client.SendAsync(new TftpAck(1), tid, Ct);
        var after = await client.ReceiveAsync(TimeSpan.FromMilliseconds(500), Ct);

        first.ShouldBeOfType<TftpData>().Block.ShouldBe((ushort)1);
        after.ShouldBeNull();
        failed.Get("reason").ShouldBe("injected fault: server gone");
        failed.Get("bytes").ShouldBe("512");
        SingleFaultEvent().Get("bytes").ShouldBe("512");
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(tid);
    }

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
    public async Task Faults_GoneMidTransfer_TellsTheLabItWillNotAnswerThatClient()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "injected fault"); // the fault under test
        WriteFile("nxos.bin", 3000);
        var context = new SilenceRecorder();
        var server = await StartAsync(new TftpServerOptions
        {
            RootPath = Root,
            RetransmitTimeout = TimeSpan.FromMilliseconds(100),
            Faults = [new TftpFault(TftpFaultKind.GoneMidTransfer, new FaultTrigger()) { AfterBytes = 512 }],
            FaultContext = context,
        });
        using var client = new RawTftpPeer();

        await client.SendAsync(new TftpRequest(TftpOpcode.ReadRequest, "nxos.bin", "octet"), server, Ct);
        var (_, tid) = (await client.ReceiveAsync(Short, Ct)).ShouldNotBeNull();
        await client.SendAsync(new TftpAck(1), tid, Ct);
        await WaitForEventAsync(EventKinds.TftpServerFailed);
        await context.Heard.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        var silence = context.Silences.ShouldHaveSingleItem();
        silence.Scope.ShouldBe(SilenceScope.Exchange);
        silence.Client.ShouldNotBeNull().Port.ShouldBe(client.LocalEndPoint.Port);
        silence.ClientMac.ShouldBeNull();
    }

    [Fact]
    public async Task Faults_NotFoundFirstRequestOfTheClient_ThenServed()
    {
        TestEnvironment.Current.ExpectError("tftp", EventKinds.TftpServerFailed, "File not found"); // the fault under test
        var content = WriteFile("poap.py", 900);
        WriteFile("other.py", 10);
        var server = await StartWithFaultsAsync(new TftpFault(TftpFaultKind.NotFound, new FaultTrigger { Request = 1 }));
        using var client = new RawTftpPeer();

        var first = await client.DownloadAsync(server, "poap.py", null, Ct);
        var other = await client.DownloadAsync(server, "other.py", null, Ct);
        var second = await client.DownloadAsync(server, "poap.py", null, Ct);

        first.Error.ShouldNotBeNull().Code.ShouldBe(TftpErrorCode.FileNotFound);
        other.Error.ShouldBeNull();
        second.Error.ShouldBeNull();
        second.Data.ShouldBe(content);
        _timeline.Events.Where(e => e.Kind == EventKinds.FaultInjected).Select(e => e.Get("file")).ShouldBe(["poap.py"]);
    }

    [Fact]
    public async Task Faults_TriggerForOtherFile_TransferUntouched()
    {
        var content = WriteFile("nxos.bin", 4000);
        var server = await StartWithFaultsAsync(new TftpFault(TftpFaultKind.Truncate, new FaultTrigger { File = "*.py" }) { AfterBytes = 10 });
        using var client = new RawTftpPeer();

        var result = await client.DownloadAsync(server, "nxos.bin", TftpOptionList.Of(("tsize", "0"), ("blksize", "1024")), Ct);

        result.Data.ShouldBe(content);
        result.OptionAck!.Options["tsize"].ShouldBe(content.Length.ToString(CultureInfo.InvariantCulture));
        _timeline.Events.ShouldNotContain(e => e.Kind == EventKinds.FaultInjected);
    }
}
