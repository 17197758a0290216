using System.Text.Json;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// A large file a scenario made that is not kept in its output (an image: large, and made
/// again from the scenario), listed instead: where it was, its size and its MD5, and why it
/// is not there. Nothing leaves the output silently: the reports show this list.
/// </summary>
/// <param name="Path">The file's path relative to the scenario's output folder, with '/'.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Md5">Its MD5, lower-case hex (what <c>md5sum</c> prints).</param>
/// <param name="Note">Why it is not kept.</param>
public sealed record ManifestEntry(string Path, long Size, string Md5, string Note);

/// <summary>Reads and writes a scenario's <see cref="FileName"/>: the files left out of its output.</summary>
public static class ArtifactManifest
{
    /// <summary>The manifest's name in a scenario's output folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The most entries read back from one manifest (a script could make many large files).</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Writes <paramref name="entries"/> to the scenario folder <paramref name="scenarioDir"/> (nothing when there are none).</summary>
    public static void Write(string scenarioDir, IReadOnlyList<ManifestEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }
        var json = JsonSerializer.Serialize(new
        {
            note = "Files PoapLab did not keep in this folder (large, and made again by running the scenario), with their size and MD5.",
            files = entries.Take(MaxEntries).Select(e => new { path = e.Path, size = e.Size, md5 = e.Md5, note = e.Note }),
        }, ReportJson.Options);
        File.WriteAllText(System.IO.Path.Combine(scenarioDir, FileName), json);
    }

    /// <summary>The entries of the manifest in <paramref name="scenarioDir"/>; none when it has none or it cannot be read.</summary>
    public static IReadOnlyList<ManifestEntry> Read(string scenarioDir)
    {
        var path = System.IO.Path.Combine(scenarioDir, FileName);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.LinkTarget is not null || info.Length > 16L << 20)
            {
                return [];
            }
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var list = new List<ManifestEntry>();
            foreach (var f in doc.RootElement.GetProperty("files").EnumerateArray().Take(MaxEntries))
            {
                list.Add(new ManifestEntry(
                    f.GetProperty("path").GetString() ?? "",
                    f.GetProperty("size").GetInt64(),
                    f.GetProperty("md5").GetString() ?? "",
                    f.TryGetProperty("note", out var n) ? n.GetString() ?? "" : ""));
            }
            return list;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return [];
        }
    }
}
