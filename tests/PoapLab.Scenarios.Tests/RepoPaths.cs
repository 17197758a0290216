namespace PoapLab.Scenarios.Tests;

/// <summary>Paths in the repository, found by walking up from the test binary.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Scenarios => Path.Combine(Root, "scenarios");

    public static string FixtureScript => Path.Combine(Root, "fixtures", "scripts", "poap_nexus.py");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PoapLab.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("PoapLab.sln not found above " + AppContext.BaseDirectory);
    }
}
