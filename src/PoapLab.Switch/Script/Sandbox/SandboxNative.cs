using System.Runtime.InteropServices;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>The few libc calls the sandbox's set-up needs that .NET does not offer.</summary>
internal static class SandboxNative
{
    [DllImport("libc", EntryPoint = "geteuid")]
    internal static extern uint GetEffectiveUserId();

    [DllImport("libc", EntryPoint = "getegid")]
    internal static extern uint GetEffectiveGroupId();

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChownRaw([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    /// <summary>Changes the owner of <paramref name="path"/> itself, never of what a link points to.</summary>
    internal static void LChown(string path, uint owner, uint group)
    {
        if (LChownRaw(path, owner, group) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"lchown {path} to {owner}:{group} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>
    /// Gives <paramref name="root"/> and everything under it to the owner, without following
    /// links (a link is re-owned itself, what it points to is not visited). With
    /// <paramref name="stripSpecialBits"/>, set-user-ID, set-group-ID and sticky bits go too, so
    /// no file the script made can run as anyone but its caller on the host. Call it only
    /// while no process of the script is alive: the walk is by path.
    /// </summary>
    internal static void LChownTree(string root, uint owner, uint group, bool stripSpecialBits = false)
    {
        const UnixFileMode special = UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit;
        void Strip(FileSystemInfo entry)
        {
            if (stripSpecialBits && entry.LinkTarget is null && (entry.UnixFileMode & special) != 0)
            {
                // Not a link (checked just above, with no process of the script left to swap it).
                File.SetUnixFileMode(entry.FullName, entry.UnixFileMode & ~special);
            }
        }
        LChown(root, owner, group);
        Strip(new DirectoryInfo(root));
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var dir = pending.Pop();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", options))
            {
                LChown(entry.FullName, owner, group);
                Strip(entry);
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                {
                    pending.Push(entry.FullName);
                }
            }
        }
    }

    /// <summary>
    /// Whether a process that can still act is in the pid namespace <paramref name="pidNamespace"/>
    /// (<c>pid:[inode]</c>). A zombie cannot: bwrap's init, orphaned when bwrap exits, may wait
    /// a while for a reaper (where the host's pid 1 reaps slowly, as in some containers).
    /// </summary>
    internal static bool AnyProcessIn(string pidNamespace)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }
            try
            {
                if (new FileInfo(Path.Combine(dir, "ns", "pid")).LinkTarget == pidNamespace && !Dead(File.ReadAllText(Path.Combine(dir, "stat"))))
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return false;
    }

    /// <summary>A zombie or dead process, from the state field of /proc/&lt;pid&gt;/stat (after the command's closing parenthesis).</summary>
    private static bool Dead(string stat)
    {
        var close = stat.LastIndexOf(')');
        return close >= 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X' or 'x';
    }
}
