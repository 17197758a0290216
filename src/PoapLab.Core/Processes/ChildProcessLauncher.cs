using System.Collections.Concurrent;
using System.Diagnostics;

namespace PoapLab.Core.Processes;

/// <summary>
/// Starts long-lived child processes from one thread that lives as long as the process.
/// Linux ties a child's parent-death signal (<c>prctl(PR_SET_PDEATHSIG)</c>, which
/// <c>bwrap --die-with-parent</c> and <c>setpriv --pdeathsig</c> set) to the <em>thread</em>
/// that forked it, not to the process (prctl(2)): a child started from a thread-pool thread
/// is killed as soon as the pool retires that thread. Started from here, the signal fires
/// only when this process dies — which is exactly when it should, <c>kill -9</c> included.
/// </summary>
public static class ChildProcessLauncher
{
    private static readonly BlockingCollection<Request> s_requests = [];
    private static readonly Thread s_thread = StartThread();

    /// <summary>The managed id of the thread every child is forked from (for tests and diagnostics).</summary>
    public static int ThreadId => s_thread.ManagedThreadId;

    /// <summary>Starts <paramref name="start"/> from the launcher thread and returns the running process.</summary>
    /// <exception cref="InvalidOperationException">The process could not be started.</exception>
    public static Process Start(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        var request = new Request(start, new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously));
        s_requests.Add(request);
        // Process.Start takes milliseconds; the launcher does nothing else.
        return request.Started.Task.GetAwaiter().GetResult();
    }

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
}
