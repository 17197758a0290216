using System.Net;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Services;
using PoapLab.Lab.Services.Real;

namespace PoapLab.Lab.Tests.Services.Real;

public sealed class RealServiceFactoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-open-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void OpenForReading_ServedTree_FoldersAndFilesReadableByAllLinksUntouched()
    {
        var sub = Directory.CreateDirectory(Path.Combine(_dir, "files", "images"));
        File.SetUnixFileMode(Path.Combine(_dir, "files"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var file = Path.Combine(sub.FullName, "nxos.bin");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var outside = Path.Combine(_dir, "secret");
        File.WriteAllText(outside, "s");
        File.SetUnixFileMode(outside, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.CreateSymbolicLink(Path.Combine(_dir, "files", "link"), outside);

        RealServiceFactory.OpenForReading(Path.Combine(_dir, "files"));

        File.GetUnixFileMode(Path.Combine(_dir, "files")).ShouldBe((UnixFileMode)0b111_101_101);
        File.GetUnixFileMode(sub.FullName).ShouldBe((UnixFileMode)0b111_101_101);
        File.GetUnixFileMode(file).ShouldBe((UnixFileMode)0b110_100_100);
        // A link in the tree is neither followed nor changed: what it points at keeps its mode.
        File.GetUnixFileMode(outside).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task StartAsync_InTheVirtualTransport_RefusedNamingTheTransportNothingStarted()
    {
        await using var lab = await PoapLab.Lab.Lab.CreateAsync(new LabOptions
        {
            WorkDirectory = _dir,
            AddressPool = new LoopbackBlockPool(56, 57),
            ServiceFactories = [.. RealServiceFactory.All],
        }, TestContext.Current.CancellationToken);
        var spec = new RealServiceSpec(ServiceKind.Dhcp, IPAddress.Parse("10.0.0.1"), 67, 24,
            new RealServerOptions { Kind = RealServerKind.Dnsmasq, ConfigPath = "/dev/null", WorkDirectory = Path.Combine(_dir, "servers") });

        var e = await Should.ThrowAsync<NotSupportedException>(() => lab.StartServiceAsync(spec, TestContext.Current.CancellationToken));

        e.Message.ShouldContain("--network namespace");
        lab.Services.ShouldBeEmpty();
    }
}
