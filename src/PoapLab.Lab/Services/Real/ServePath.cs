namespace PoapLab.Lab.Services.Real;

/// <summary>
/// Checks where a real server's served files appear inside its sandbox (<see cref="RealServerOptions.ServeAt"/>):
/// an absolute, normalised path that neither is, holds nor lies inside a folder the daemon or
/// the system needs. Mounting the served files at <c>/usr</c> would hide the daemon's own
/// libraries; at <c>/etc</c> its users and configuration; at <c>/</c> everything; at <c>/proc</c>
/// or <c>/dev</c> the kernel's views; at <c>/run</c> or <c>/var/lib</c> its private state.
/// </summary>
public static class ServePath
{
    /// <summary>Folders a served tree may neither replace, hold nor be mounted inside.</summary>
    public static readonly IReadOnlyList<string> SystemDirectories =
    [
        "/usr", "/etc", "/proc", "/dev", "/sys", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
        "/boot", "/run", "/var/run", "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/tmp",
    ];

    /// <summary>The longest path accepted.</summary>
    private const int MaxLength = 256;

    /// <summary>The path itself, or a <see cref="RealServerException"/> saying why it is refused.</summary>
    /// <param name="server">The daemon, for the message.</param>
    /// <param name="path">The path inside the sandbox.</param>
    /// <param name="taken">Paths the sandbox already mounts (the configuration's folder, private directories): they may not be hidden either.</param>
    public static string Check(string server, string path, IEnumerable<string>? taken = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length is 0 or > MaxLength || path.Any(char.IsControl))
        {
            throw Refused(server, path, $"it must be an absolute path of 1 to {MaxLength} characters without control characters");
        }
        if (path[0] != '/' || path.Length > 1 && path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal)
            || path.Split('/').Skip(1).Any(p => p is "." or ".."))
        {
            throw Refused(server, path, "it must be an absolute path such as /srv/poap, without '.', '..', '//' or a trailing '/'");
        }
        if (path == "/")
        {
            throw Refused(server, path, "it would hide the whole system (the daemon's programs, libraries and users) behind the served files");
        }
        foreach (var system in SystemDirectories.Concat(taken ?? []))
        {
            if (path == system || system.StartsWith(path + "/", StringComparison.Ordinal))
            {
                throw Refused(server, path, $"it would hide {system}, which the daemon needs; serve the files from a folder of their own, such as /srv/poap");
            }
            if (path.StartsWith(system + "/", StringComparison.Ordinal))
            {
                throw Refused(server, path, $"it lies inside {system}, which the daemon needs as it is; serve the files from a folder of their own, such as /srv/poap");
            }
        }
        return path;
    }

    private static RealServerException Refused(string server, string path, string why) =>
        new(server, $"{server}: serve_at '{Shown(path)}' is refused: {why}", null);

    private static string Shown(string path) =>
        new([.. path.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
}
