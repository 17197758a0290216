using System.Diagnostics;

namespace PoapLab.Benchmarks.Reference;

/// <summary>How one timed run of a reference tool went.</summary>
/// <param name="ExitCode">Null when the run passed its time limit and was killed.</param>
internal sealed record TimedRun(double Milliseconds, int? ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>One line for a report: why the run does not count.</summary>
    public string Problem =>
        ExitCode is null ? "timed out and was killed"
        : $"exited with {ExitCode}{(Stderr.Trim().Length == 0 ? "" : ": " + Stderr.Trim().Split('\n')[^1])}";
}

/// <summary>Starts programs, times them, and finds them on PATH.</summary>
internal static class TimedProcess
{
    private static readonly string[] SystemDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The full path of <paramref name="name"/> on PATH or in the system directories, or null.</summary>
    public static string? Find(string name)
    {
        if (Path.IsPathRooted(name))
        {
            return File.Exists(name) ? name : null;
        }
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(SystemDirectories)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Runs a program to its end and times it from just before the start to its exit, output
    /// drained. A run that outlives <paramref name="timeout"/> is killed (by its PID, with
    /// whatever it started) and reported with a null exit code.
    /// </summary>
    public static async Task<TimedRun> RunAsync(string executable, IEnumerable<string> arguments, string? workingDirectory,
        IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        int? exit;
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            watch.Stop();
            exit = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            watch.Stop();
            Kill(process);
            exit = null;
            cancellationToken.ThrowIfCancellationRequested();
        }
        var output = await WithinAsync(stdout, cancellationToken).ConfigureAwait(false);
        var errors = await WithinAsync(stderr, cancellationToken).ConfigureAwait(false);
        return new TimedRun(watch.Elapsed.TotalMilliseconds, exit, output, errors);
    }

    /// <summary>Kills a process this program started, and its children, and waits (bounded) for it.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone: nothing left to kill.
        }
    }

    private static async Task<string> WithinAsync(Task<string> read, CancellationToken cancellationToken)
    {
        // A killed process may leave a grandchild holding the pipe: do not wait for it forever.
        var done = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken)).ConfigureAwait(false);
        return done == read ? await read.ConfigureAwait(false) : "";
    }
}
