using System.Net;
using PoapLab.Lab.Services.Real;
using PoapLab.Lab.Tests.Transports.Namespace;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Services.Real;

/// <summary>A lab segment with one host (10.0.0.1/24) and one switch, and a work folder, for a real-server test.</summary>
internal sealed class RealServerLab : IAsyncDisposable
{
    public static readonly IPAddress ServerAddress = IPAddress.Parse("10.0.0.1");

    private RealServerLab(LabSegment segment, LabHost host, SwitchPort sw, DirectoryInfo work)
    {
        Segment = segment;
        Host = host;
        Switch = sw;
        Work = work;
        Network = new NamespaceNetwork(sw, TimeSpan.FromSeconds(5));
    }

    public LabSegment Segment { get; }

    public LabHost Host { get; }

    public SwitchPort Switch { get; }

    public NamespaceNetwork Network { get; }

    public DirectoryInfo Work { get; }

    public static string Fixture(params string[] parts) => Path.Combine([RepoPaths.Fixtures, "servers", .. parts]);

    /// <summary>Root, namespaces, bubblewrap and the daemon's package.</summary>
    public static async Task<RealServerLab> CreateAsync(string program, string package, CancellationToken cancellationToken)
    {
        NamespaceRequirements.Check();
        Requires.Tool("bwrap", "apt-get install bubblewrap");
        Requires.Tool(program, $"apt-get install {package}");
        var segment = await LabSegment.CreateAsync(cancellationToken);
        var host = await segment.AddHostAsync(ServerAddress, 24, null, cancellationToken);
        var sw = await segment.AddSwitchAsync("leaf", DhcpProbe.Mac, cancellationToken);
        return new RealServerLab(segment, host, sw, Directory.CreateTempSubdirectory("poaplab-real-"));
    }

    public RealServerOptions Options(RealServerKind kind, string? config = null, string? root = null) =>
        new() { Kind = kind, ConfigPath = config, RootPath = root, WorkDirectory = Work.FullName };

    public async ValueTask DisposeAsync()
    {
        await Segment.DisposeAsync();
        Work.Delete(recursive: true);
    }
}
