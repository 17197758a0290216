namespace PoapLab.Servers.Tftp;

/// <summary>What a requested name resolved to under a served root.</summary>
internal enum ServedFileStatus
{
    Found,
    NotFound,
    Denied,
}

/// <summary>A requested name resolved under a served root: a real path, or why not.</summary>
internal readonly record struct ServedFile(ServedFileStatus Status, string Path, string Reason);

/// <summary>
/// Maps a client's file name to a path under a root, the way tftpd-hpa <c>--secure</c> and
/// any careful file server do: a leading <c>/</c> is dropped, <c>..</c> components are
/// refused outright, and every symbolic link on the way is resolved so that a link that
/// points outside the root is refused too. Shared by the TFTP and HTTP servers.
/// </summary>
internal sealed class ServedFileResolver
{
    private const int MaxLinkDepth = 40;

    private readonly string _realRoot;

    public ServedFileResolver(string rootPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootPath);
        var full = Path.GetFullPath(rootPath);
        if (!Directory.Exists(full))
        {
            throw new ArgumentException($"Root directory '{rootPath}' does not exist.", nameof(rootPath));
        }
        _realRoot = RealPath(full, 0).TrimEnd('/');
    }

    /// <summary>The root with every symbolic link resolved.</summary>
    public string Root => _realRoot.Length == 0 ? "/" : _realRoot;

    /// <summary>Resolves <paramref name="name"/> to an existing regular file under the root.</summary>
    public ServedFile ResolveExisting(string name)
    {
        var resolved = Resolve(name);
        if (resolved.Status != ServedFileStatus.Found)
        {
            return resolved;
        }
        return File.Exists(resolved.Path)
            ? resolved
            : new ServedFile(ServedFileStatus.NotFound, resolved.Path, Directory.Exists(resolved.Path) ? "is a directory" : "no such file");
    }

    /// <summary>Resolves <paramref name="name"/> to a path under the root that may not exist yet.</summary>
    public ServedFile Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains('\0', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
        {
            return new ServedFile(ServedFileStatus.Denied, "", "NUL or backslash in the name");
        }
        var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s == ".."))
        {
            return new ServedFile(ServedFileStatus.Denied, "", "'..' in the name");
        }
        var relative = string.Join('/', segments.Where(s => s != "."));
        if (relative.Length == 0)
        {
            return new ServedFile(ServedFileStatus.NotFound, Root, "no file named");
        }
        string real;
        try
        {
            real = RealPath(_realRoot + "/" + relative, 0);
        }
        catch (IOException ex)
        {
            return new ServedFile(ServedFileStatus.Denied, "", ex.Message);
        }
        if (!real.StartsWith(_realRoot + "/", StringComparison.Ordinal))
        {
            return new ServedFile(ServedFileStatus.Denied, real, "resolves outside the served root");
        }
        return new ServedFile(ServedFileStatus.Found, real, "");
    }

    // realpath(3) without requiring the final components to exist: each existing prefix
    // that is a symbolic link is replaced by its target and the walk starts again, so
    // ".." inside a link target is applied to the resolved directory, as the kernel does.
    private static string RealPath(string absolute, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            throw new IOException("too many levels of symbolic links");
        }
        var parts = absolute.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var resolved = new List<string>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }
                continue;
            }
            var candidate = "/" + string.Join('/', resolved.Append(part));
            var target = new FileInfo(candidate).LinkTarget;
            if (target is not null)
            {
                var parent = "/" + string.Join('/', resolved);
                var targetPath = Path.IsPathRooted(target) ? target : parent.TrimEnd('/') + "/" + target;
                var rest = string.Join('/', parts.Skip(i + 1));
                return RealPath(rest.Length == 0 ? targetPath : targetPath + "/" + rest, depth + 1);
            }
            resolved.Add(part);
        }
        return "/" + string.Join('/', resolved);
    }
}
