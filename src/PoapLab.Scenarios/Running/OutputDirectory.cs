namespace PoapLab.Scenarios.Running;

/// <summary>
/// The rule for <c>--out</c>: PoapLab deletes and rewrites the folder of each scenario it runs
/// there, so it writes only into a directory that is new, empty, or marked as PoapLab output
/// by the file <see cref="MarkerName"/> (written on first use). An output of an older PoapLab
/// (a <c>report.json</c> or <c>report.junit.xml</c> at its top) is adopted and marked. Anything
/// else — <c>/</c>, a home or repository directory, a file — is refused before anything is
/// written, and nothing outside the directory is ever deleted.
/// </summary>
public static class OutputDirectory
{
    /// <summary>The file that marks a directory as PoapLab output.</summary>
    public const string MarkerName = ".poaplab-out";

    /// <summary>The file that marks a scenario folder as written by a PoapLab run (see <see cref="ClearEarlierRuns"/>).</summary>
    public const string ScenarioMarkerName = ".poaplab-scenario";

    private const string MarkerText = "This directory is PoapLab output: 'poaplab run --out' deletes and rewrites the scenario folders in it.\n";

    /// <summary>Checks <paramref name="path"/> against the rule, creates and marks it; returns its full path.</summary>
    /// <exception cref="InvalidOperationException">The directory may not be used: the message says why.</exception>
    public static string Prepare(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (full.Length == 0 || string.Equals(Path.GetPathRoot(full), full, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"--out {full}: the filesystem root cannot be the output directory");
        }
        if (File.Exists(full))
        {
            throw new InvalidOperationException($"--out {full}: a file of that name exists; the output must be a directory");
        }
        if (Directory.Exists(full))
        {
            var entries = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
            if (entries.Contains(".git") || entries.Contains("PoapLab.sln"))
            {
                throw new InvalidOperationException($"--out {full}: this is a source repository, not an output directory; use a folder inside it such as {Path.Combine(full, "out")}");
            }
            if (entries.Count > 0 && !entries.Contains(MarkerName) && !entries.Contains("report.json") && !entries.Contains("report.junit.xml"))
            {
                throw new InvalidOperationException($"--out {full}: a directory that is not empty and not a PoapLab output (no {MarkerName} in it); PoapLab deletes and rewrites scenario folders in its output, so give it a new or empty directory");
            }
        }
        Directory.CreateDirectory(full);
        var marker = Path.Combine(full, MarkerName);
        if (!File.Exists(marker))
        {
            try
            {
                using var stream = new FileStream(marker, FileMode.CreateNew, FileAccess.Write);
                stream.Write(System.Text.Encoding.UTF8.GetBytes(MarkerText));
            }
            catch (IOException) when (File.Exists(marker))
            {
                // Another scenario of the same run marked it first.
            }
        }
        return full;
    }

    /// <summary>
    /// The folder of one scenario: a direct child of <paramref name="outRoot"/> named
    /// <paramref name="name"/>, emptied. Null when the name cannot be a folder name
    /// (see <see cref="Loading.ScenarioLoader.NameRule"/>); a link in its place is removed, never followed.
    /// </summary>
    public static string? FreshScenarioFolder(string outRoot, string name)
    {
        if (!Loading.ScenarioLoader.IsSafeName(name, [MarkerName, ScenarioMarkerName, "report.json", "report.junit.xml", "report.html", "report.png"]))
        {
            return null;
        }
        var dir = Path.Combine(outRoot, name);
        if (!string.Equals(Path.GetDirectoryName(Path.GetFullPath(dir)), outRoot, StringComparison.Ordinal))
        {
            return null;
        }
        var info = new DirectoryInfo(dir);
        if (info.LinkTarget is not null)
        {
            File.Delete(dir);
        }
        else if (info.Exists)
        {
            info.Delete(recursive: true);
        }
        else if (File.Exists(dir))
        {
            File.Delete(dir);
        }
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, ScenarioMarkerName), "Written by a PoapLab run: the next 'poaplab run' with this --out deletes this folder.\n");
        return dir;
    }

    /// <summary>
    /// Starts a run with a clean output: deletes the folders an earlier PoapLab run wrote at the
    /// top of <paramref name="outRoot"/> (each marked by <see cref="ScenarioMarkerName"/>) and its
    /// top-level reports, and nothing else (a user's own files and unmarked folders stay; a link
    /// is never followed). Returns the names of the folders deleted.
    /// </summary>
    public static IReadOnlyList<string> ClearEarlierRuns(string outRoot)
    {
        var cleared = new List<string>();
        foreach (var entry in new DirectoryInfo(outRoot).EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo dir && dir.LinkTarget is null && File.Exists(Path.Combine(dir.FullName, ScenarioMarkerName))
                && new FileInfo(Path.Combine(dir.FullName, ScenarioMarkerName)).LinkTarget is null)
            {
                dir.Delete(recursive: true);
                cleared.Add(dir.Name);
            }
            else if (entry is FileInfo { LinkTarget: null } file && file.Name is "report.json" or "report.junit.xml" or "report.html" or "report.png")
            {
                file.Delete();
            }
        }
        cleared.Sort(StringComparer.Ordinal);
        return cleared;
    }

    /// <summary>A name as a folder name: anything outside A-Z a-z 0-9 - _ . becomes '_', and a leading dot too (never '.', '..' or hidden).</summary>
    internal static string SafeName(string name)
    {
        var safe = string.Concat(name.Take(64).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return safe.Length == 0 ? "_" : safe[0] == '.' ? "_" + safe[1..] : safe;
    }
}
