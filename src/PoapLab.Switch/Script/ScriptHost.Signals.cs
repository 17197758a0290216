using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace PoapLab.Switch.Script;

public sealed partial class ScriptHost
{
    /// <summary>A sandbox bubblewrap built: bwrap, its init (pid 1 of the sandbox), the interpreter.</summary>
    private sealed class BwrapRun : Sandbox.ISandboxRun
    {
        private readonly Process _process;
        private readonly ScriptHost _host;

        public BwrapRun(Process process, ScriptHost host)
        {
            _process = process;
            _host = host;
            // A script that reads stdin gets end-of-file, as under the switch's POAP process.
            process.StandardInput.Close();
        }

        public int Pid => _process.Id;

        public Stream StandardOutput => _process.StandardOutput.BaseStream;

        public Stream StandardError => _process.StandardError.BaseStream;

        public bool HasExited => _process.HasExited;

        public int ExitCode => _process.ExitCode;

        /// <summary>bwrap's exit follows the script's, not its namespace's end: the host is searched.</summary>
        public bool EndedEmpty => false;

        public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

        public Task<string?> PidNamespaceAsync() => _host.PidNamespaceOfAsync(_process);

        public Task<bool> TerminateAsync() => _host.TerminateScriptAsync(_process);

        public void Kill() => KillSandbox(_process);

        public void Dispose() => _process.Dispose();
    }

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

    /// <summary>
    /// Direct children of a host pid: from its threads' <c>/proc/&lt;pid&gt;/task/&lt;tid&gt;/children</c>
    /// (proc(5)) where the kernel has them, a few reads whatever the machine runs; else from
    /// every process's <c>/proc/&lt;pid&gt;/stat</c> (field 4 is the parent). Either may miss a child
    /// forked or ended while it reads; callers poll.
    /// </summary>
    internal static List<int> ChildrenOf(int parent) =>
        ChildrenFromTasks(parent) ?? ChildrenFromScan(parent);

    /// <returns>Null when the kernel has no <c>children</c> files (CONFIG_PROC_CHILDREN off).</returns>
    internal static List<int>? ChildrenFromTasks(int parent)
    {
        var process = "/proc/" + parent.ToString(CultureInfo.InvariantCulture);
        var children = new List<int>();
        if (!Directory.Exists(process))
        {
            return children;
        }
        if (!s_childrenFiles)
        {
            return null;
        }
        try
        {
            foreach (var task in Directory.EnumerateDirectories(process + "/task"))
            {
                var file = Path.Combine(task, "children");
                if (!File.Exists(file))
                {
                    s_childrenFiles = Directory.Exists(task);
                    return s_childrenFiles ? null : children;
                }
                foreach (var word in File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    {
                        children.Add(pid);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process or one of its threads ended while we read: what was read is what there is.
        }
        return children;
    }

    // Cleared when a kernel turns out to have no children files; the scan then stands in.
    private static volatile bool s_childrenFiles = true;

    /// <summary>Direct children of a host pid, from every /proc/&lt;pid&gt;/stat (field 4 is the parent).</summary>
    internal static List<int> ChildrenFromScan(int parent)
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
