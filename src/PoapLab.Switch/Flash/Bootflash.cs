namespace PoapLab.Switch.Flash;

/// <summary>
/// The switch's bootflash: a real directory on the host (the switch's own directory),
/// with the modelled capacity of the switch's flash. Paths in NX-OS form
/// (<c>bootflash:x</c>, <c>bootflash:/x</c>, <c>bootflash:///x</c>) or script form
/// (<c>/bootflash/x</c>) resolve to host paths under <see cref="RootPath"/>; nothing
/// resolves outside it.
/// </summary>
public sealed class Bootflash
{
    public Bootflash(string rootPath, long capacityBytes, long systemBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        RootPath = Path.GetFullPath(rootPath);
        CapacityBytes = capacityBytes;
        SystemBytes = systemBytes;
        Directory.CreateDirectory(RootPath);
    }

    /// <summary>The host directory that is the flash.</summary>
    public string RootPath { get; }

    /// <summary>Total size of the flash.</summary>
    public long CapacityBytes { get; }

    /// <summary>Bytes taken by things not modelled as files (the system's own partitions).</summary>
    public long SystemBytes { get; }

    /// <summary>Bytes in use: the files present plus <see cref="SystemBytes"/>.</summary>
    public long UsedBytes
    {
        get
        {
            long used = SystemBytes;
            foreach (var f in new DirectoryInfo(RootPath).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
            {
                if (f.LinkTarget is null)
                {
                    used += f.Length;
                }
            }
            return used;
        }
    }

    /// <summary>Bytes free.</summary>
    public long FreeBytes => Math.Max(0, CapacityBytes - UsedBytes);

    /// <summary>
    /// Resolves a flash path to a host path. Accepts <c>bootflash:</c> URIs with zero to
    /// three slashes and <c>/bootflash/...</c>. Returns null when the path is not on
    /// bootflash or would leave it (<c>..</c>, a symlink pointing out).
    /// </summary>
    public string? Resolve(string flashPath)
    {
        ArgumentNullException.ThrowIfNull(flashPath);
        string rel;
        if (flashPath.StartsWith("bootflash:", StringComparison.OrdinalIgnoreCase))
        {
            rel = flashPath["bootflash:".Length..];
        }
        else if (flashPath.StartsWith("/bootflash", StringComparison.Ordinal) &&
                 (flashPath.Length == "/bootflash".Length || flashPath["/bootflash".Length] == '/'))
        {
            rel = flashPath["/bootflash".Length..];
        }
        else
        {
            return null;
        }
        rel = rel.TrimStart('/');
        var full = Path.GetFullPath(Path.Combine(RootPath, rel));
        if (!IsInside(full))
        {
            return null;
        }
        // A symlink anywhere along the way may point out of the flash.
        var probe = full;
        while (probe.Length > RootPath.Length)
        {
            var info = new FileInfo(probe);
            if (info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                if (target is null || !IsInside(Path.GetFullPath(target)))
                {
                    return null;
                }
            }
            probe = Path.GetDirectoryName(probe)!;
        }
        return full;
    }

    /// <summary>The NX-OS name of a host path under the flash: <c>bootflash:x/y</c>.</summary>
    public string ToFlashName(string hostPath)
    {
        var rel = Path.GetRelativePath(RootPath, hostPath).Replace('\\', '/');
        return "bootflash:" + rel;
    }

    private bool IsInside(string full) =>
        full == RootPath || full.StartsWith(RootPath + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
