using System.Runtime.CompilerServices;

namespace PoapLab.Testing;

/// <summary>
/// Paths in the repository: found by walking up from the test binary, or from this source
/// file's compile-time path when the binary was built elsewhere (<c>--artifacts-path</c>).
/// </summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Scenarios => Path.Combine(Root, "scenarios");

    public static string Fixtures => Path.Combine(Root, "fixtures");

    public static string FixtureScript => Path.Combine(Fixtures, "scripts", "poap_nexus.py");

    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PoapLab.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException($"PoapLab.sln not found above {AppContext.BaseDirectory} or {sourceFile}");
    }
}
