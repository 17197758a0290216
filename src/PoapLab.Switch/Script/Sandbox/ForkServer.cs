using System.Diagnostics;
using System.IO.Pipes;
using System.Net.Sockets;
using PoapLab.Core.Processes;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// PoapLab's fork server: one CPython per interpreter that has started once and imported what
/// POAP scripts import, and forks every script run from there into a sandbox of its own
/// (<c>Script/ForkServer/poaplab_forkserver.py</c>, which builds the same <see cref="SandboxPlan"/>
/// bubblewrap builds on the other path). A run then costs a fork and the sandbox's set-up
/// instead of bubblewrap, prlimit, setpriv and an interpreter's whole start.
/// </summary>
/// <remarks>
/// Used when PoapLab is root (each run gets a uid of its own; the server needs no user
/// namespace) and the interpreter is Python 3.9 or later (<c>os.pidfd_open</c>). The server
/// is tied to this process as every child is (<see cref="ChildProcessLauncher"/>): it dies with
/// PoapLab, and every run's processes die with it. It connects back once to a socket in a
/// private directory that is gone as soon as it has, and the connection is checked to come
/// from the process PoapLab started (SO_PEERCRED). Per run it receives three descriptors and
/// a byte — the run's channel, stdout and stderr — and nothing else: the run's plan travels on
/// the channel to the forked child only.
/// </remarks>
internal sealed class ForkServer : IDisposable
{
    private const string ResourceName = "PoapLab.Switch.Script.ForkServer.poaplab_forkserver.py";

    /// <summary>How long the server may take to start and connect (its imports, on a loaded machine).</summary>
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly Socket _control;
    private readonly Lock _send = new();

    private ForkServer(Process process, Socket control)
    {
        _process = process;
        _control = control;
    }

    /// <summary>The server's pid (tests, diagnostics).</summary>
    public int Pid => _process.Id;

    /// <summary>Whether the server's process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Whether runs of <paramref name="interpreter"/> can be forked here: PoapLab is root on Linux and the interpreter is CPython 3.9+.</summary>
    public static bool Supports(PythonInterpreter interpreter) =>
        OperatingSystem.IsLinux()
        && Environment.IsPrivilegedProcess
        && Version.TryParse(string.Join('.', interpreter.Version.Split('.').Take(2)), out var version)
        && version >= new Version(3, 9);

    /// <summary>Starts a server for <paramref name="interpreter"/> with <paramref name="environment"/> (the runs' own but for POAP_*).</summary>
    internal static async Task<ForkServer> StartAsync(PythonInterpreter interpreter, IReadOnlyList<KeyValuePair<string, string>> environment)
    {
        var directory = Directory.CreateTempSubdirectory("poaplab-forkserver-").FullName;
        if (directory.Length > 90)
        {
            // TMPDIR is too deep for a socket's path (108 bytes): /tmp always exists on Debian.
            Directory.Delete(directory);
            directory = Path.Combine("/tmp", "poaplab-forkserver-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        try
        {
            var program = Path.Combine(directory, "poaplab_forkserver.py");
            await using (var source = typeof(ForkServer).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException("the fork server's program is missing from the assembly"))
            await using (var target = File.Create(program))
            {
                await source.CopyToAsync(target).ConfigureAwait(false);
            }
            var socketPath = Path.Combine(directory, "c");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(1);

            var start = new ProcessStartInfo(interpreter.Executable)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = "/",
            };
            start.Environment.Clear();
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }
            // -s as every run: no user site directory.
            start.ArgumentList.Add("-s");
            start.ArgumentList.Add(program);
            start.ArgumentList.Add(socketPath);
            var process = ChildProcessLauncher.Start(start);
            process.StandardInput.Close();
            var errors = new TailBuffer(64 * 1024);
            var drains = Task.WhenAll(DrainAsync(process.StandardOutput.BaseStream, errors), DrainAsync(process.StandardError.BaseStream, errors));

            using var limit = new CancellationTokenSource(StartLimit);
            var accept = listener.AcceptAsync(limit.Token).AsTask();
            var exited = process.WaitForExitAsync(limit.Token);
            await Task.WhenAny(accept, exited).ConfigureAwait(false);
            if (!accept.IsCompletedSuccessfully)
            {
                // The accept ends faulted once the listener goes: observed, not left to the finalizer.
                _ = accept.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                var died = process.HasExited;
                KillQuietly(process);
                await Task.WhenAny(drains, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
                string said;
                lock (errors)
                {
                    said = errors.ToString().Trim();
                }
                throw new InvalidOperationException(died
                    ? $"the fork server ({interpreter.Executable}) ended with status {process.ExitCode} before it connected: {said}"
                    : $"the fork server ({interpreter.Executable}) did not connect within {StartLimit.TotalSeconds:0} s: {said}");
            }
            var control = accept.Result;
            var peer = PeerPid(control);
            if (peer != process.Id)
            {
                control.Dispose();
                KillQuietly(process);
                throw new InvalidOperationException($"the fork server's socket was answered by pid {peer}, not by the server (pid {process.Id})");
            }
            return new ForkServer(process, control);
        }
        finally
        {
            // The server read its program and connected: nothing of it stays on disk.
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Forks a run from the server: the plan goes to the forked child on the run's channel, its
    /// stdout and stderr are pipes whose read ends the returned run holds.
    /// </summary>
    /// <exception cref="IOException">The server is gone.</exception>
    public ForkedRun Start(SandboxPlan plan)
    {
        var (ours, theirs) = SandboxNative.SocketPair();
        var stdout = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var stderr = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        Socket? channel = null;
        try
        {
            channel = new Socket(new SafeSocketHandle(ours, ownsHandle: true));
            lock (_send)
            {
                SandboxNative.SendDescriptors(_control,
                [
                    theirs,
                    (int)stdout.ClientSafePipeHandle.DangerousGetHandle(),
                    (int)stderr.ClientSafePipeHandle.DangerousGetHandle(),
                ]);
            }
            channel.Send(plan.ToJson());
            return new ForkedRun(channel, stdout, stderr);
        }
        catch
        {
            channel?.Dispose();
            stdout.Dispose();
            stderr.Dispose();
            throw;
        }
        finally
        {
            SandboxNative.Close(theirs);
            stdout.DisposeLocalCopyOfClientHandle();
            stderr.DisposeLocalCopyOfClientHandle();
        }
    }


    /// <summary>Ends the server and reaps it (bounded), so it is not left to outlive PoapLab as an orphan.</summary>
    public void Dispose()
    {
        // End of its control stream: the server reaps its runs' processes and exits; killed
        // only when it does not within the limit.
        _control.Dispose();
        try
        {
            if (!_process.WaitForExit(ReapLimit))
            {
                KillQuietly(_process);
                _process.WaitForExit(ReapLimit);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already disposed: nothing to reap.
        }
        _process.Dispose();
    }

    /// <summary>How long Dispose waits for the killed server to be gone (SIGKILL: milliseconds).</summary>
    private static readonly TimeSpan ReapLimit = TimeSpan.FromSeconds(5);

    private static int PeerPid(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }: SOL_SOCKET, SO_PEERCRED (socket(7)).
        Span<byte> credentials = stackalloc byte[12];
        socket.GetRawSocketOption(1, 17, credentials);
        return BitConverter.ToInt32(credentials[..4]);
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static async Task DrainAsync(Stream stream, TailBuffer buffer)
    {
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
            {
                lock (buffer)
                {
                    buffer.Write(chunk.AsSpan(0, read));
                }
            }
        }
        catch (IOException)
        {
        }
    }
}
