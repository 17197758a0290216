using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace PoapLab.Switch.Script;

public sealed partial class ScriptHost
{
    private const int SigTerm = 15;

    // The interpreter is started a moment after bwrap: an abort that early waits this long for it.
    private static readonly TimeSpan FindScriptLimit = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Sends SIGTERM to the script's interpreter. bwrap does not forward signals (its
    /// default action would just end bwrap and, through --die-with-parent, SIGKILL the
    /// script before its handler runs), so the signal goes to the interpreter itself:
    /// host pid tree bwrap → bwrap (pid 1 of the sandbox) → python.
    /// </summary>
    /// <returns>False when the interpreter could not be found (the sandbox then gets SIGKILL).</returns>
    private async Task<bool> TerminateScriptAsync(Process sandbox)
    {
        var deadline = _realTime.GetTimestamp();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (sandbox.HasExited)
            {
                return true;
            }
            foreach (var init in ChildrenOf(sandbox.Id))
            {
                foreach (var script in ChildrenOf(init))
                {
                    if (Kill(script, SigTerm) == 0)
                    {
                        return true;
                    }
                }
            }
            if (_realTime.GetElapsedTime(deadline) > FindScriptLimit)
            {
                break;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(10), _realTime, CancellationToken.None).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>SIGKILL to bwrap and everything under it; pid 1 of the sandbox dying takes the rest of its namespace.</summary>
    private static void KillSandbox(Process sandbox)
    {
        try
        {
            sandbox.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Direct children of a host pid, from /proc/&lt;pid&gt;/stat (field 4 is the parent).</summary>
    internal static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
            var close = stat.LastIndexOf(')');
            if (close < 0)
            {
                continue;
            }
            var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1
                && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
                && ppid == parent
                && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                children.Add(pid);
            }
        }
        return children;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
