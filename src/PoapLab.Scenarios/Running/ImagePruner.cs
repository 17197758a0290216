using System.Security.Cryptography;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Reports;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Identity;

namespace PoapLab.Scenarios.Running;

/// <summary>Takes the images out of a scenario's output once it ran (see <see cref="Prune"/>).</summary>
internal static class ImagePruner
{
    /// <summary>Files larger than this that are known to be images leave the output.</summary>
    private const long PruneThreshold = 1024 * 1024;

    /// <summary>
    /// Images are large and can be made again: they do not stay in the output. Only what is known
    /// to be one goes: a served file the scenario generated as an image or copied from the host
    /// (<c>image:</c>, <c>source:</c>), and on each switch's flash a regular file that carries the
    /// generated image's header (the switch's own image, or one the script copied). Nothing else
    /// is deleted, however large: the script's own logs and output stay for the report. Every
    /// step goes through a tree rooted at the scenario's output directory, entries are examined
    /// and unlinked without following a link, so nothing outside it is touched. Nothing goes
    /// silently: each file taken out is listed with its size and MD5 in the scenario's
    /// <see cref="ArtifactManifest"/>, which the reports show.
    /// </summary>
    internal static void Prune(string outDir, Scenario scenario)
    {
        if (!Directory.Exists(outDir))
        {
            return;
        }
        var tree = new FileTree(outDir);
        var pruned = new List<ManifestEntry>();
        foreach (var file in scenario.Files.Where(f => f.ImageVersion is not null || f.Source is not null))
        {
            var path = "files/" + file.Path.Replace('\\', '/').TrimStart('/');
            TryPrune(tree, path, imageHeader: false, pruned);
        }
        foreach (var model in scenario.Switches)
        {
            var flash = "switches/" + OutputDirectory.SafeName(model.Name) + "/bootflash";
            IReadOnlyList<FileEntry> entries;
            try
            {
                entries = tree.Walk(flash);
            }
            catch (SwitchFileException)
            {
                continue;
            }
            foreach (var entry in entries.Where(e => e.Kind == FileEntryKind.File && e.Size > PruneThreshold))
            {
                TryPrune(tree, entry.Path, imageHeader: true, pruned);
            }
        }
        ArtifactManifest.Write(outDir, pruned);
    }

    private static void TryPrune(FileTree tree, string path, bool imageHeader, List<ManifestEntry> pruned)
    {
        try
        {
            if (tree.Stat(path, followLinks: false) is not { Kind: FileEntryKind.File, Size: > PruneThreshold })
            {
                return;
            }
            long size;
            string md5;
            using (var file = tree.OpenRead(path, followLinks: false))
            {
                if (imageHeader && NxosImage.TryRead(file, path) is not { FromHeader: true })
                {
                    return;
                }
                file.Position = 0;
                size = file.Length;
                md5 = Convert.ToHexStringLower(MD5.HashData(file));
            }
            tree.DeleteFile(path);
            pruned.Add(new ManifestEntry(path.Replace('\\', '/'), size, md5, imageHeader ? "an image on the switch's flash, not kept" : "a generated or copied image, not kept"));
        }
        catch (SwitchFileException)
        {
            // Gone, swapped for a link or a FIFO, or outside the output: left alone.
        }
    }
}
