namespace PoapLab.Switch.Flash;

/// <summary>
/// One filesystem as the NX-OS CLI names it (<c>bootflash:</c>, <c>volatile:</c>, <c>usb1:</c>,
/// <c>logflash:</c>): its files, reached only through its <see cref="FileTree"/>, and its size.
/// </summary>
public sealed class NxosFilesystem
{
    private readonly Func<long> _used;

    public NxosFilesystem(string name, FileTree files, long capacityBytes, Func<long>? usedBytes = null, params string[] aliases)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(files);
        Name = name;
        Files = files;
        CapacityBytes = capacityBytes;
        Aliases = [name, .. aliases];
        _used = usedBytes ?? files.UsedBytes;
    }

    /// <summary>The name without the colon, e.g. <c>bootflash</c>.</summary>
    public string Name { get; }

    /// <summary>The names the CLI accepts for it (<c>usb1</c> and <c>usbslot1</c>).</summary>
    public IReadOnlyList<string> Aliases { get; }

    public FileTree Files { get; }

    public long CapacityBytes { get; }

    public long UsedBytes => _used();

    public long FreeBytes => Math.Max(0, CapacityBytes - UsedBytes);

    /// <summary>The NX-OS name of a path on it: <c>volatile:poap/x.cfg</c>.</summary>
    public string Display(string relative) => Name + ":" + relative;
}

/// <summary>A path on one of the switch's filesystems (<c>""</c>: the filesystem's root).</summary>
public sealed record NxosPath(NxosFilesystem Filesystem, string Relative)
{
    /// <summary><c>bootflash:scripts/x</c>.</summary>
    public override string ToString() => Filesystem.Display(Relative);

    /// <summary>The last name of the path (<c>""</c> for the root).</summary>
    public string Name => Relative[(Relative.LastIndexOf('/') + 1)..];

    /// <summary>The directory the path is in (the root's parent is the root).</summary>
    public NxosPath Parent
    {
        get
        {
            var slash = Relative.LastIndexOf('/');
            return this with { Relative = slash < 0 ? "" : Relative[..slash] };
        }
    }

    /// <summary>A name inside this directory.</summary>
    public NxosPath Child(string name) => this with { Relative = Relative.Length == 0 ? name : Relative + "/" + name };
}

/// <summary>
/// The switch's filesystems as the CLI sees them, and the parsing of every path a command
/// takes: <c>fs:</c>, <c>fs:name</c>, <c>fs:/name</c>, <c>fs:///name</c>, <c>/bootflash/name</c>,
/// and a bare name, which is in the current directory (<c>cd</c>; <c>bootflash:</c> by default).
/// Parsing only: where a path leads once links are followed is the kernel's answer, given when
/// the filesystem's <see cref="FileTree"/> uses it.
/// </summary>
public sealed class NxosFilesystems
{
    /// <summary><c>volatile:</c>'s size (a RAM disk; bounded by the CLI's space checks).</summary>
    public const long VolatileBytes = 512L << 20;

    /// <summary><c>logflash:</c>'s size.</summary>
    public const long LogflashBytes = 512L << 20;

    /// <summary><c>usb1:</c>'s size: the tmpfs mounted as <c>/usbslot1</c>.</summary>
    public const long UsbBytes = 1L << 30;

    public NxosFilesystems(SwitchFilesystem filesystem, Bootflash bootflash)
    {
        ArgumentNullException.ThrowIfNull(filesystem);
        ArgumentNullException.ThrowIfNull(bootflash);
        Bootflash = new NxosFilesystem("bootflash", bootflash.Files, bootflash.CapacityBytes, () => bootflash.UsedBytes);
        Volatile = new NxosFilesystem("volatile", filesystem.VolatileFiles, VolatileBytes);
        Usb = new NxosFilesystem("usb1", filesystem.UsbFiles, UsbBytes, null, "usbslot1");
        Logflash = new NxosFilesystem("logflash", filesystem.LogflashFiles, LogflashBytes);
        All = [Bootflash, Volatile, Usb, Logflash];
    }

    public NxosFilesystem Bootflash { get; }

    public NxosFilesystem Volatile { get; }

    public NxosFilesystem Usb { get; }

    public NxosFilesystem Logflash { get; }

    public IReadOnlyList<NxosFilesystem> All { get; }

    /// <summary>The root of bootflash: where a session starts.</summary>
    public NxosPath Home => new(Bootflash, "");

    /// <summary>The filesystem of that name (without the colon), or null.</summary>
    public NxosFilesystem? Find(string name) =>
        All.FirstOrDefault(f => f.Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase)));

    /// <summary>True when <paramref name="text"/> starts with a filesystem name and a colon (a known one or not).</summary>
    public static bool HasFilesystemPrefix(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && text.AsSpan(0, colon).IndexOfAny('/', '\\') < 0;
    }

    /// <summary>
    /// Parses a path typed on the CLI; null when it names no filesystem the switch has, or
    /// names its way out of one (<c>..</c> past the root, a NUL).
    /// </summary>
    public NxosPath? Resolve(string text, NxosPath currentDirectory)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(currentDirectory);
        if (text.Length == 0 || text.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }
        NxosFilesystem fs;
        string rest;
        string? start;
        if (HasFilesystemPrefix(text))
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (Find(text[..colon]) is not { } found)
            {
                return null;
            }
            fs = found;
            rest = text[(colon + 1)..];
            start = "";
        }
        else if (text.StartsWith('/'))
        {
            // The script's view: /bootflash/x is bootflash:x; no other absolute path is a CLI file.
            if (!(text == "/bootflash" || text.StartsWith("/bootflash/", StringComparison.Ordinal)))
            {
                return null;
            }
            fs = Bootflash;
            rest = text["/bootflash".Length..];
            start = "";
        }
        else
        {
            fs = currentDirectory.Filesystem;
            rest = text;
            start = currentDirectory.Relative;
        }
        var relative = Normalize(start, rest);
        return relative is null ? null : new NxosPath(fs, relative);
    }

    /// <summary>Joins <paramref name="path"/> to <paramref name="start"/>, dropping <c>.</c> and climbing <c>..</c>; null past the root.</summary>
    internal static string? Normalize(string start, string path)
    {
        var parts = new List<string>(start.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }
}
