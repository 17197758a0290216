using System.Runtime.InteropServices;

namespace PoapLab.Switch.Flash;

/// <summary>
/// Whether this process may mount the switches' filesystems as size-bounded tmpfs: it runs
/// as root inside a mount namespace of its own (the <c>poaplab</c> command re-executes itself
/// under <c>unshare --mount --propagation private</c> for that, see <see cref="ReexecArguments"/>).
/// Such mounts are seen by PoapLab and its children only, and vanish with the last of them —
/// also after a <c>kill -9</c> — so nothing is left mounted on the host.
/// </summary>
public static class PrivateMounts
{
    /// <summary>Set in the environment of the re-executed process.</summary>
    public const string MarkerVariable = "POAPLAB_PRIVATE_MOUNTS";

    private const string Unshare = "/usr/bin/unshare";

    private static readonly Lazy<bool> s_active = new(Detect);

    /// <summary>True when switch filesystems are mounted as bounded tmpfs (root, private mount namespace).</summary>
    public static bool Active => s_active.Value;

    /// <summary>
    /// The command line that runs this same process again in a private mount namespace, or
    /// null when it is not needed (not root, already inside one) or cannot be had (no
    /// <c>unshare</c>).
    /// </summary>
    public static string[]? ReexecArguments()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess
            || Environment.GetEnvironmentVariable(MarkerVariable) == "1" || !File.Exists(Unshare)
            || Environment.ProcessPath is not { } self)
        {
            return null;
        }
        // The exact argv this process was started with: the runtime's own arguments
        // (`dotnet poaplab.dll ...`) included.
        var argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        return [Unshare, "--mount", "--propagation", "private", "--", self, .. argv[1..]];
    }

    /// <summary>
    /// Replaces this process with <paramref name="arguments"/> (execve(2)): same pid, same
    /// terminal, so signals and exit codes need no relaying. Returns only on failure, with why.
    /// </summary>
    public static string Reexec(string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var environment = Environment.GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .Where(e => (string)e.Key != MarkerVariable)
            .Select(e => $"{e.Key}={e.Value}")
            .Append(MarkerVariable + "=1")
            .ToList();
        string?[] argv = [.. arguments, null];
        string?[] envp = [.. environment, null];
        Execve(arguments[0], argv, envp);
        return Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
    }

    private static bool Detect()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess || Environment.GetEnvironmentVariable(MarkerVariable) != "1")
        {
            return false;
        }
        try
        {
            return new FileInfo("/proc/self/ns/mnt").LinkTarget != new FileInfo("/proc/1/ns/mnt").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(
        [MarshalAs(UnmanagedType.LPUTF8Str)] string path,
        [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] argv,
        [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] envp);
}
