namespace PoapLab.Switch.Flash;

/// <summary>
/// The host directories that stand for the switch's filesystem. The script sandbox
/// maps each to the path a script sees on a real switch.
/// </summary>
public sealed class SwitchFilesystem
{
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

    /// <summary>Empties <c>/tmp</c> and <c>/nxos/tmp</c>, as a boot does.</summary>
    public void ClearVolatile()
    {
        foreach (var dir in new[] { TmpPath, NxosTmpPath })
        {
            // The directory itself stays: it may be a mount point (FlashMount).
            Directory.CreateDirectory(dir);
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                {
                    // Recursive delete does not follow links (System.IO removes a link, not its target).
                    Directory.Delete(entry.FullName, recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }
    }
}
