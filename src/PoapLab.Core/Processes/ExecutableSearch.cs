namespace PoapLab.Core.Processes;

/// <summary>Finds a program as exec(3)'s <c>execvp</c> would: a name with a slash as it is, else the first match on a search path.</summary>
public static class ExecutableSearch
{
    /// <summary>
    /// The full path of <paramref name="name"/> on <paramref name="searchPath"/> (colon-separated;
    /// this process's PATH when null), or null when it is nowhere.
    /// </summary>
    public static string? Find(string name, string? searchPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? name : null;
        }
        foreach (var dir in (searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
