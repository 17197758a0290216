using PoapLab.Scenarios.Reports;

namespace PoapLab.Scenarios.Tests.Reports;

public sealed class ArtifactManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-manifest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriteRead_Entries_RoundTrip()
    {
        ManifestEntry[] entries = [new("files/images/a.bin", 8 << 20, "0123456789abcdef0123456789abcdef", "not kept")];

        ArtifactManifest.Write(_dir, entries);

        ArtifactManifest.Read(_dir).ShouldBe(entries);
    }

    [Fact]
    public void Read_MissingOrBrokenOrLinked_None()
    {
        ArtifactManifest.Read(_dir).ShouldBeEmpty();
        File.WriteAllText(Path.Combine(_dir, ArtifactManifest.FileName), "{ not json");
        ArtifactManifest.Read(_dir).ShouldBeEmpty();
        File.Delete(Path.Combine(_dir, ArtifactManifest.FileName));
        var elsewhere = Directory.CreateDirectory(Path.Combine(_dir, "elsewhere")).FullName;
        ArtifactManifest.Write(elsewhere, [new("x", 1, "00", "n")]);
        File.CreateSymbolicLink(Path.Combine(_dir, ArtifactManifest.FileName), Path.Combine(elsewhere, ArtifactManifest.FileName));
        ArtifactManifest.Read(_dir).ShouldBeEmpty();
    }
}
