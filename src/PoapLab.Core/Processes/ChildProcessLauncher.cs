using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;

namespace PoapLab.Core.Processes;

/// <summary>
/// Starts long-lived child processes from one thread that lives as long as the process.
/// Linux ties a child's parent-death signal (<c>prctl(PR_SET_PDEATHSIG)</c>, which
/// <c>bwrap --die-with-parent</c> and <c>setpriv --pdeathsig</c> set) to the <em>thread</em>
/// that forked it, not to the process (prctl(2)): a child started from a thread-pool thread
/// is killed as soon as the pool retires that thread. Started from here, the signal fires
/// only when this process dies — which is exactly when it should, <c>kill -9</c> included.
/// <para>
/// Every child is also tied to this process from its first instruction: a program that sets
/// the signal itself (bwrap sets it only after its clone) leaves a window in which a
/// <c>kill -9</c> of PoapLab orphans it for good. So each child starts as <c>setpriv
/// --pdeathsig KILL</c>, which sets the signal and execs a shell that checks its parent is
/// still this process (a child whose parent died before the signal was set has been
/// reparented) and only then execs the command: the signal survives both execs, so there is
/// no moment at which PoapLab can die and the child live on.
/// </para>
/// </summary>
public static class ChildProcessLauncher
{
    private static readonly BlockingCollection<Request> s_requests = [];
    private static readonly Thread s_thread = StartThread();

    /// <summary>The managed id of the thread every child is forked from (for tests and diagnostics).</summary>
    public static int ThreadId => s_thread.ManagedThreadId;

    /// <summary>util-linux's setpriv, which sets the parent-death signal and execs the guard.</summary>
    public const string Setpriv = "/usr/bin/setpriv";

    /// <summary>
    /// The guard's shell program: <c>$0</c> is the parent's pid, <c>"$@"</c> the command. Nothing
    /// of the command is parsed by the shell: it is exec'd from positional parameters.
    /// </summary>
    public const string Guard = "[ \"$PPID\" = \"$0\" ] || exit 125; exec \"$@\"";

    /// <summary>
    /// The guard of <see cref="Start(ProcessStartInfo, string)"/>: as <see cref="Guard"/>, and it also
    /// opens <c>$1</c> for reading on descriptor 9 before it execs the rest (one shell for both).
    /// <c>command</c> keeps a failed redirection from ending the shell with its own status 2.
    /// </summary>
    public const string GuardWithFd9 = "[ \"$PPID\" = \"$0\" ] || exit 125; command exec 9<\"$1\" || exit 127; shift; exec \"$@\"";

    /// <summary>The exit status of a child whose parent died before it could be tied to it (it never ran).</summary>
    public const int OrphanedExitCode = 125;

    /// <summary>
    /// <paramref name="command"/> tied to the process <paramref name="parentPid"/>: SIGKILL when it
    /// dies, and never run at all when it died before the signal was set.
    /// </summary>
    public static IReadOnlyList<string> TiedTo(string parentPid, IReadOnlyList<string> command) => TiedTo(parentPid, command, null);

    private static IReadOnlyList<string> TiedTo(string parentPid, IReadOnlyList<string> command, string? fd9Path)
    {
        ArgumentException.ThrowIfNullOrEmpty(parentPid);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new ArgumentException("The command is empty.", nameof(command));
        }
        return fd9Path is null
            ? [Setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", Guard, parentPid, .. command]
            : [Setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", GuardWithFd9, parentPid, fd9Path, .. command];
    }

    /// <summary>
    /// Starts <paramref name="start"/> from the launcher thread, tied to this process (see the
    /// class remarks), and returns the running process: its pid is the command's (each step execs
    /// the next).
    /// </summary>
    /// <exception cref="InvalidOperationException">The process could not be started.</exception>
    /// <exception cref="ArgumentException"><paramref name="start"/> uses a single <c>Arguments</c> string, not <c>ArgumentList</c>.</exception>
    public static Process Start(ProcessStartInfo start) => Start(start, null);

    /// <summary>
    /// As <see cref="Start(ProcessStartInfo)"/>, the command finding <paramref name="fd9Path"/> open for
    /// reading on descriptor 9 (as <c>bwrap --seccomp 9</c> reads its filter): the guard's shell
    /// opens it, so no second shell is needed. A file that cannot be opened ends the child with
    /// status 127 and the shell's message on its stderr, before the command runs.
    /// </summary>
    public static Process Start(ProcessStartInfo start, string? fd9Path)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (!string.IsNullOrEmpty(start.Arguments))
        {
            throw new ArgumentException("Pass the arguments as ArgumentList: they are handed on verbatim.", nameof(start));
        }
        var tied = TiedTo(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), [Resolve(start), .. start.ArgumentList], fd9Path);
        var guarded = new ProcessStartInfo(tied[0])
        {
            UseShellExecute = false,
            WorkingDirectory = start.WorkingDirectory,
            RedirectStandardInput = start.RedirectStandardInput,
            RedirectStandardOutput = start.RedirectStandardOutput,
            RedirectStandardError = start.RedirectStandardError,
            StandardInputEncoding = start.StandardInputEncoding,
            StandardOutputEncoding = start.StandardOutputEncoding,
            StandardErrorEncoding = start.StandardErrorEncoding,
        };
        foreach (var a in tied.Skip(1))
        {
            guarded.ArgumentList.Add(a);
        }
        guarded.Environment.Clear();
        foreach (var (name, value) in start.Environment)
        {
            guarded.Environment[name] = value;
        }
        var request = new Request(guarded, new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously));
        s_requests.Add(request);
        // Process.Start takes milliseconds; the launcher does nothing else.
        return request.Started.Task.GetAwaiter().GetResult();
    }

    /// <summary>
    /// The program's full path, found as Process.Start would (a name with a slash as it is, else
    /// on the child's PATH): a missing program still fails here, with the exception a direct
    /// start throws, not as the guard's exit status 127.
    /// </summary>
    private static string Resolve(ProcessStartInfo start)
    {
        var path = start.Environment.TryGetValue("PATH", out var p) && !string.IsNullOrEmpty(p) ? p : "/usr/local/bin:/usr/bin:/bin";
        return ExecutableSearch.Find(start.FileName, path) ?? throw NotFound(start.FileName);
    }

    private static Win32Exception NotFound(string name) =>
        new(2, $"An error occurred trying to start process '{name}': No such file or directory");

    private static Thread StartThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "PoapLab child process launcher" };
        thread.Start();
        return thread;
    }

    private static void Run()
    {
        foreach (var request in s_requests.GetConsumingEnumerable())
        {
            try
            {
                CloseInheritedOnExec();
                var process = Process.Start(request.Start) ?? throw new InvalidOperationException($"Could not start {request.Start.FileName}.");
                request.Started.TrySetResult(process);
            }
            catch (Exception e)
            {
                request.Started.TrySetException(e);
            }
        }
    }

    private sealed record Request(ProcessStartInfo Start, TaskCompletionSource<Process> Started);

    /// <summary>
    /// Marks every descriptor above stderr close-on-exec. .NET opens its own so, but this
    /// process may have inherited others from whoever started it (a CI runner's pipe, a shell's
    /// /dev/null) and a library may open some without the flag; a child — bubblewrap, and the
    /// script it runs — would inherit them all. Run before each start: a few hundred fcntl calls.
    /// </summary>
    internal static void CloseInheritedOnExec()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        // One system call on Linux 5.11 and later (close_range(2) with CLOSE_RANGE_CLOEXEC),
        // however many sockets a fleet holds open; else each descriptor in turn.
        if (Syscall(CloseRangeSyscall, 3, uint.MaxValue, CloseRangeCloseOnExec) == 0)
        {
            return;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var fd) && fd > 2)
            {
                var flags = Fcntl(fd, GetFd, 0);
                if (flags >= 0 && (flags & CloseOnExec) == 0)
                {
                    Fcntl(fd, SetFd, flags | CloseOnExec);
                }
            }
        }
    }

    private const int GetFd = 1;
    private const int SetFd = 2;
    private const int CloseOnExec = 1;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    /// <summary>close_range's number on x86_64 and aarch64 alike (asm-generic numbering from 424 on).</summary>
    private const long CloseRangeSyscall = 436;

    private const uint CloseRangeCloseOnExec = 1 << 2;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long Syscall(long number, uint first, uint last, uint flags);
}
