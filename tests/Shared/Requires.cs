namespace PoapLab.Testing;

/// <summary>
/// Guards for tests that need something from the machine (a tool, a package). Locally
/// a missing component skips the test with the reason; on CI (<c>CI=true</c>) it fails,
/// so a misconfigured CI machine cannot pass by skipping.
/// </summary>
internal static class Requires
{
    public static bool OnCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Requires an executable on PATH or at an absolute path; returns its full path.</summary>
    public static string Tool(string name, string installHint)
    {
        var found = Find(name);
        if (found is null)
        {
            Missing($"'{name}' is not installed ({installHint})");
        }
        return found!;
    }

    /// <summary>Requires a condition the test cannot run without.</summary>
    public static void That(bool condition, string whatIsMissing)
    {
        if (!condition)
        {
            Missing(whatIsMissing);
        }
    }

    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static void Missing(string what)
    {
        if (OnCi)
        {
            Assert.Fail($"{what}; CI must provide it (.ci/run installs it)");
        }
        Assert.Skip(what);
    }
}
