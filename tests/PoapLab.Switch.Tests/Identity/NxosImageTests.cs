using System.Security.Cryptography;
using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Tests.Identity;

public sealed class NxosImageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-image-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Generate_SameSeed_SameBytesAndRequestedSize()
    {
        var a = Path.Combine(_dir, "a.bin");
        var b = Path.Combine(_dir, "b.bin");
        NxosImage.Generate(a, NxosVersion.Parse("10.3(6)M"), "cs", 100_003, seed: 5);
        NxosImage.Generate(b, NxosVersion.Parse("10.3(6)M"), "cs", 100_003, seed: 5);
        new FileInfo(a).Length.ShouldBe(100_003);
        MD5.HashData(File.ReadAllBytes(a)).ShouldBe(MD5.HashData(File.ReadAllBytes(b)));
    }

    [Fact]
    public void Generate_OtherSeed_OtherBytes()
    {
        var a = Path.Combine(_dir, "a.bin");
        var b = Path.Combine(_dir, "b.bin");
        NxosImage.Generate(a, NxosVersion.Parse("9.3(8)"), null, 4096, seed: 1);
        NxosImage.Generate(b, NxosVersion.Parse("9.3(8)"), null, 4096, seed: 2);
        File.ReadAllBytes(a).ShouldNotBe(File.ReadAllBytes(b));
    }

    [Fact]
    public void TryRead_GeneratedImage_ReadsVersionFromHeaderNotName()
    {
        var path = Path.Combine(_dir, "renamed.bin");
        NxosImage.Generate(path, NxosVersion.Parse("10.3(6)M"), "msll", 8192);
        var info = NxosImage.TryRead(path)!;
        info.Version.Display.ShouldBe("10.3(6)");
        info.Version.ReleaseType.ShouldBe('M');
        info.Flavour.ShouldBe("msll");
        info.FromHeader.ShouldBeTrue();
    }

    [Fact]
    public void TryRead_HeaderlessFileWithReleaseName_InferredFromName()
    {
        var path = Path.Combine(_dir, "nxos.9.3.8.bin");
        File.WriteAllBytes(path, new byte[1000]);
        var info = NxosImage.TryRead(path)!;
        info.Version.Display.ShouldBe("9.3(8)");
        info.FromHeader.ShouldBeFalse();
    }

    [Fact]
    public void TryRead_ConfigFile_Null()
    {
        var path = Path.Combine(_dir, "poap.cfg");
        File.WriteAllText(path, "hostname x\n");
        NxosImage.TryRead(path).ShouldBeNull();
        NxosImage.TryRead(Path.Combine(_dir, "missing.bin")).ShouldBeNull();
    }
}
