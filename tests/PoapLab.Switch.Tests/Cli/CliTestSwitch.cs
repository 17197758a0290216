using System.Net.NetworkInformation;
using PoapLab.Core.Events;
using PoapLab.Core.Time;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;
using PoapLab.Switch.State;
using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Tests.Cli;

/// <summary>A switch on a temporary directory with an emulated CLI and a scriptable transfer service.</summary>
internal sealed class CliTestSwitch : IDisposable
{
    public const long Capacity = 1_000_000;

    /// <summary>6.0(2)U6(10): a dual-image release (kickstart and system).</summary>
    public const string Nxos6Version = "6.0(2)U6(10)";

    /// <summary>The Nexus 3000 that runs <see cref="Nxos6Version"/>.</summary>
    public const string Nxos6Model = "N3K-C3172PQ-10GE";

    public CliTestSwitch(string version = "9.3(8)", string model = "N9K-C93108TC-EX", long capacity = Capacity)
    {
        Root = Path.Combine(Path.GetTempPath(), "poaplab-cli-" + Guid.NewGuid().ToString("N"));
        Filesystem = new SwitchFilesystem(Root);
        Bootflash = new Bootflash(Filesystem.BootflashPath, capacity);
        Identity = new SwitchIdentity(
            "leaf", model, "FDO23490570", PhysicalAddress.Parse("D4-C9-3C-85-7D-80"), "07.69", "04/08/2021",
            53298520, "Fretta", 54, "48x10GT + 6x40/100G Ethernet Module");
        var v = NxosVersion.Parse(version);
        State = new SwitchState(Identity, Filesystem, Bootflash, v, v.ImageName());
        Clock = new SimClock(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Timeline = new Timeline(Clock);
        Transfers = new FakeTransferService();
        Cli = new NxosCli(State, Transfers, Clock, Timeline, "switch:leaf");
    }

    /// <summary>A Nexus 3000 running 6.0(2)U6(10): two images, kickstart and system.</summary>
    public static CliTestSwitch Nxos6() => new(Nxos6Version, Nxos6Model);

    public string Root { get; }

    public SwitchFilesystem Filesystem { get; }

    public Bootflash Bootflash { get; }

    public SwitchIdentity Identity { get; }

    public SwitchState State { get; }

    public SimClock Clock { get; }

    public Timeline Timeline { get; }

    public FakeTransferService Transfers { get; }

    public NxosCli Cli { get; }

    public Task<CliResult> Run(string command, bool json = false) =>
        Cli.ExecuteAsync(command, json, TestContext.Current.CancellationToken);

    public async Task<string> Ok(string command, bool json = false)
    {
        var result = await Run(command, json);
        result.Status.ShouldBe(CliStatus.Ok, result.Output);
        return result.Output;
    }

    public string FlashFile(string name) => Path.Combine(Bootflash.RootPath, name);

    public string WriteFile(string name, string content)
    {
        var path = FlashFile(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}

/// <summary>A transfer service that writes given bytes or fails with a given text, and remembers what it was asked.</summary>
internal sealed class FakeTransferService : ITransferService
{
    public byte[] Payload { get; set; } = "payload\n"u8.ToArray();

    /// <summary>Announce the payload's size (TFTP tsize / Content-Length) before writing.</summary>
    public bool AnnounceSize { get; set; } = true;

    /// <summary>When set, the transfer fails with this text after writing half the payload.</summary>
    public string? FailWith { get; set; }

    /// <summary>Turn write errors into a failed result, as a real client does, instead of throwing.</summary>
    public bool ReportWriteErrors { get; set; }

    public List<TransferRequest> Requests { get; } = [];

    public long BytesWritten { get; private set; }

    public async Task<TransferResult> DownloadAsync(TransferRequest request, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        if (AnnounceSize)
        {
            announcedSize?.Invoke(Payload.Length);
        }
        var end = FailWith is null ? Payload.Length : Payload.Length / 2;
        try
        {
            for (var offset = 0; offset < end; offset += 100)
            {
                var n = Math.Min(100, end - offset);
                await destination.WriteAsync(Payload.AsMemory(offset, n), cancellationToken);
                BytesWritten += n;
            }
        }
        catch (IOException ex) when (ReportWriteErrors)
        {
            return TransferResult.Failed(ex.Message, BytesWritten);
        }
        return FailWith is null
            ? new TransferResult(true, Payload.Length, null, TimeSpan.FromSeconds(1))
            : TransferResult.Failed(FailWith, BytesWritten);
    }
}
