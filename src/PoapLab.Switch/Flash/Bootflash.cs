namespace PoapLab.Switch.Flash;

/// <summary>
/// The switch's bootflash: a real directory on the host (the switch's own directory),
/// with the modelled capacity of the switch's flash. Paths in NX-OS form
/// (<c>bootflash:x</c>, <c>bootflash:/x</c>, <c>bootflash:///x</c>) or script form
/// (<c>/bootflash/x</c>) are parsed to paths relative to the flash by <see cref="ToRelative"/>;
/// every access goes through <see cref="Files"/>, where the kernel keeps it inside the flash.
/// </summary>
public sealed class Bootflash
{
    public Bootflash(string rootPath, long capacityBytes, long systemBytes = 0)
        : this(CreateTree(rootPath), capacityBytes, systemBytes)
    {
    }

    public Bootflash(FileTree files, long capacityBytes, long systemBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        Files = files;
        CapacityBytes = capacityBytes;
        SystemBytes = systemBytes;
    }

    /// <summary>The flash's files: every read, write, listing and delete goes through it.</summary>
    public FileTree Files { get; }

    /// <summary>The host directory that is the flash (for the host side: tests, reports).</summary>
    public string RootPath => Files.RootPath;

    /// <summary>Total size of the flash.</summary>
    public long CapacityBytes { get; }

    /// <summary>Bytes taken by things not modelled as files (the system's own partitions).</summary>
    public long SystemBytes { get; }

    /// <summary>Bytes in use: the regular files present (links count nothing) plus <see cref="SystemBytes"/>.</summary>
    public long UsedBytes => SystemBytes + Files.UsedBytes();

    /// <summary>Bytes free.</summary>
    public long FreeBytes => Math.Max(0, CapacityBytes - UsedBytes);

    /// <summary>
    /// Parses a flash path to a path relative to the flash (<c>""</c>: the flash itself).
    /// Accepts <c>bootflash:</c> URIs with zero to three slashes and <c>/bootflash/...</c>.
    /// Returns null when the path is not on bootflash or climbs out of it by name (<c>..</c>).
    /// This is parsing only: links are the kernel's business when the path is used.
    /// </summary>
    public string? ToRelative(string flashPath)
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
        if (rel.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }
        return NxosFilesystems.Normalize("", rel);
    }

    /// <summary>The NX-OS name of a path relative to the flash: <c>bootflash:x/y</c>.</summary>
    public static string ToFlashName(string relativePath) => "bootflash:" + relativePath.TrimStart('/');

    private static FileTree CreateTree(string rootPath)
    {
        Directory.CreateDirectory(rootPath);
        return new FileTree(rootPath);
    }
}
