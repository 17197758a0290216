namespace PoapLab.Switch.Flash;

/// <summary>
/// The host directories that stand for the switch's filesystem. The script sandbox
/// maps each to the path a script sees on a real switch. The harness reaches them only
/// through their <see cref="FileTree"/>s, which keep every access inside each tree.
/// </summary>
public sealed class SwitchFilesystem
{
    private FileOwner? _owner;

    public SwitchFilesystem(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(BootflashPath);
        Directory.CreateDirectory(TmpPath);
        Directory.CreateDirectory(Path.Combine(IsanPath, "etc"));
        Directory.CreateDirectory(Path.Combine(IsanPath, "bin"));
        Directory.CreateDirectory(NxosTmpPath);
        Directory.CreateDirectory(UsbPath);
        Directory.CreateDirectory(LogsPath);
        Directory.CreateDirectory(VolatilePath);
        Directory.CreateDirectory(LogflashPath);
        BootflashFiles = new FileTree(BootflashPath);
        TmpFiles = new FileTree(TmpPath);
        NxosTmpFiles = new FileTree(NxosTmpPath);
        UsbFiles = new FileTree(UsbPath);
        IsanFiles = new FileTree(IsanPath);
        LogsFiles = new FileTree(LogsPath);
        VolatileFiles = new FileTree(VolatilePath);
        LogflashFiles = new FileTree(LogflashPath);
    }

    /// <summary>The switch's own directory on the host.</summary>
    public string Root { get; }

    /// <summary>Seen by the script as <c>/bootflash</c>; survives reloads.</summary>
    public string BootflashPath => Path.Combine(Root, "bootflash");

    /// <summary>Seen as <c>/tmp</c>; emptied at every boot, as on the switch.</summary>
    public string TmpPath => Path.Combine(Root, "tmp");

    /// <summary>Seen as <c>/isan</c> (read-only to the script).</summary>
    public string IsanPath => Path.Combine(Root, "isan");

    /// <summary>Seen as <c>/nxos/tmp</c>.</summary>
    public string NxosTmpPath => Path.Combine(Root, "nxos", "tmp");

    /// <summary>Seen as <c>/usbslot1</c>.</summary>
    public string UsbPath => Path.Combine(Root, "usbslot1");

    /// <summary>Host-only: the switch's logs (POAP log, syslog) kept for the report; the script does not see it.</summary>
    public string LogsPath => Path.Combine(Root, "logs");

    /// <summary>The CLI's <c>volatile:</c> (a RAM filesystem: emptied at every boot); reached through the CLI only.</summary>
    public string VolatilePath => Path.Combine(Root, "volatile");

    /// <summary>The CLI's <c>logflash:</c>; reached through the CLI only.</summary>
    public string LogflashPath => Path.Combine(Root, "logflash");

    public FileTree BootflashFiles { get; }

    /// <summary><c>volatile:</c>.</summary>
    public FileTree VolatileFiles { get; }

    /// <summary><c>logflash:</c>.</summary>
    public FileTree LogflashFiles { get; }

    public FileTree TmpFiles { get; }

    public FileTree NxosTmpFiles { get; }

    public FileTree UsbFiles { get; }

    /// <summary><c>/isan</c>: written by the harness at boot, read-only to the script.</summary>
    public FileTree IsanFiles { get; }

    /// <summary>The host-only logs directory.</summary>
    public FileTree LogsFiles { get; }

    /// <summary>The trees the script may write: bootflash, <c>/tmp</c>, <c>/nxos/tmp</c>, <c>/usbslot1</c>.</summary>
    public IReadOnlyList<FileTree> WritableTrees => [BootflashFiles, TmpFiles, NxosTmpFiles, UsbFiles];

    /// <summary>
    /// The unprivileged user the script runs as, or null (the default: nothing is chowned).
    /// When set, every file and directory the harness creates in the writable trees is given to it.
    /// </summary>
    public FileOwner? Owner
    {
        get => _owner;
        set
        {
            _owner = value;
            foreach (var tree in WritableTrees)
            {
                tree.Owner = value;
            }
        }
    }

    /// <summary>
    /// Gives the writable trees, and everything in them, to <see cref="Owner"/> (links
    /// themselves, never their targets); does nothing when no owner is set.
    /// </summary>
    public void HandOverWritableTrees()
    {
        if (_owner is not { } owner)
        {
            return;
        }
        foreach (var tree in WritableTrees)
        {
            tree.ChangeOwner(owner);
        }
    }

    /// <summary>Empties <c>/tmp</c>, <c>/nxos/tmp</c> and <c>volatile:</c>, as a boot does; a link in them goes, what it points at stays.</summary>
    public void ClearVolatile()
    {
        TmpFiles.Clear();
        NxosTmpFiles.Clear();
        VolatileFiles.Clear();
    }
}
