using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Identity;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>The pruning after a run: only known images go, never through a link, never outside the output.</summary>
public sealed class ImagePrunerTests : IDisposable
{
    private const int Large = 2 << 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-prune-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void Image(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NxosImage.Generate(path, NxosVersion.Parse("10.3(6)M"), "cs", Large);
    }

    [Fact]
    public void PruneImages_ImagesLogsAndLinksOut_OnlyImagesInsideGo()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"));
        var outDir = Path.Combine(_dir, "out");
        var served = Path.Combine(outDir, "files", "images", "nxos64-cs.10.3.6.M.bin");
        Image(served);
        var flash = Directory.CreateDirectory(Path.Combine(outDir, "switches", "leaf-101", "bootflash")).FullName;
        var copied = Path.Combine(flash, "nxos64-cs.10.3.6.M.bin");
        Image(copied);
        var ownLog = Path.Combine(flash, "big_script.log");
        File.WriteAllBytes(ownLog, new byte[Large]);
        var ownOutput = Path.Combine(flash, "scripts", "output.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(ownOutput)!);
        File.WriteAllBytes(ownOutput, new byte[Large]);

        // The host's images and large files behind links the script planted.
        var hostDir = Directory.CreateDirectory(Path.Combine(_dir, "host", "images")).FullName;
        var hostImage = Path.Combine(hostDir, "host.bin");
        Image(hostImage);
        var hostFile = Path.Combine(hostDir, "host.dat");
        File.WriteAllBytes(hostFile, new byte[Large]);
        File.CreateSymbolicLink(Path.Combine(flash, "b"), hostDir);
        File.CreateSymbolicLink(Path.Combine(flash, "a"), "b/..");
        File.CreateSymbolicLink(Path.Combine(flash, "linked.bin"), hostImage);

        ImagePruner.Prune(outDir, scenario);

        File.Exists(served).ShouldBeFalse();
        File.Exists(copied).ShouldBeFalse();
        new FileInfo(ownLog).Length.ShouldBe(Large);
        new FileInfo(ownOutput).Length.ShouldBe(Large);
        new FileInfo(hostImage).Length.ShouldBe(Large);
        new FileInfo(hostFile).Length.ShouldBe(Large);
        new FileInfo(Path.Combine(flash, "linked.bin")).LinkTarget.ShouldBe(hostImage);
    }

    [Fact]
    public void PruneImages_ServedImageDirectoryIsALinkOut_HostUntouched()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"));
        var outDir = Directory.CreateDirectory(Path.Combine(_dir, "out")).FullName;
        var hostDir = Directory.CreateDirectory(Path.Combine(_dir, "host", "images")).FullName;
        var hostImage = Path.Combine(hostDir, "nxos64-cs.10.3.6.M.bin");
        Image(hostImage);
        Directory.CreateDirectory(Path.Combine(outDir, "files"));
        File.CreateSymbolicLink(Path.Combine(outDir, "files", "images"), hostDir);

        ImagePruner.Prune(outDir, scenario);

        new FileInfo(hostImage).Length.ShouldBe(Large);
    }

    [Fact]
    public void Prune_ImagesTakenOut_ListedInTheManifestWithSizeAndMd5()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"));
        var outDir = Path.Combine(_dir, "out");
        var served = Path.Combine(outDir, "files", "images", "nxos64-cs.10.3.6.M.bin");
        Image(served);
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(File.ReadAllBytes(served)));
        var flash = Directory.CreateDirectory(Path.Combine(outDir, "switches", "leaf-101", "bootflash")).FullName;
        Image(Path.Combine(flash, "nxos64-cs.10.3.6.M.bin"));

        ImagePruner.Prune(outDir, scenario);

        var manifest = PoapLab.Scenarios.Reports.ArtifactManifest.Read(outDir);
        manifest.Select(e => e.Path).Order(StringComparer.Ordinal).ShouldBe(["files/images/nxos64-cs.10.3.6.M.bin", "switches/leaf-101/bootflash/nxos64-cs.10.3.6.M.bin"]);
        manifest.ShouldAllBe(e => e.Size == Large);
        manifest.Single(e => e.Path.StartsWith("files/", StringComparison.Ordinal)).Md5.ShouldBe(md5);
    }

    [Fact]
    public void Prune_NothingLarge_NoManifest()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"));
        var outDir = Directory.CreateDirectory(Path.Combine(_dir, "out")).FullName;

        ImagePruner.Prune(outDir, scenario);

        File.Exists(Path.Combine(outDir, PoapLab.Scenarios.Reports.ArtifactManifest.FileName)).ShouldBeFalse();
    }
}
