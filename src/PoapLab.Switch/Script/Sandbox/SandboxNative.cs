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
    /// Gives <paramref name="root"/> (a directory PoapLab made and filled itself) and everything
    /// under it to the owner, without following links.
    /// </summary>
    internal static void LChownTree(string root, uint owner, uint group)
    {
        LChown(root, owner, group);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            LChown(entry.FullName, owner, group);
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
