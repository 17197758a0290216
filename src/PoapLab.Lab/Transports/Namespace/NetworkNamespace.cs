using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using PoapLab.Core.Processes;
using PoapLab.Servers.Hosting;

namespace PoapLab.Lab.Transports.Namespace;

/// <summary>
/// A network namespace of its own (network_namespaces(7)), held by a child process
/// (<c>unshare --net sleep infinity</c>) that dies with PoapLab: its parent-death signal is
/// SIGKILL (<c>setpriv --pdeathsig</c>, forked from <see cref="ChildProcessLauncher"/>), so
/// even after <c>kill -9</c> of PoapLab nothing holds the namespace and the kernel frees it
/// with every interface in it (a veth's peer goes with it). No name is written under
/// <c>/run/netns</c>. PoapLab enters it by descriptor: commands through
/// <c>nsenter --net=/proc/&lt;PoapLab&gt;/fd/&lt;fd&gt;</c>, sockets from a thread of its own that
/// called setns(2) once; a socket stays in the namespace it was made in, whatever thread
/// uses it later. Disposing kills the holder by PID, reaps it and closes the descriptor.
/// </summary>
public sealed class NetworkNamespace : ISocketFactory, IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan HolderStartTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The holder: a new network namespace, SIGKILL when its parent dies, sleeping until killed.</summary>
    internal static readonly IReadOnlyList<string> HolderCommand = ["setpriv", "--pdeathsig", "KILL", "--", "unshare", "--net", "--", "sleep", "infinity"];

    private readonly Process _holder;
    private readonly int _fd;
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;
    private int _disposed;

    private NetworkNamespace(string name, Process holder, int fd)
    {
        Name = name;
        _holder = holder;
        HolderPid = holder.Id;
        _fd = fd;
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() => Run(entered)) { IsBackground = true, Name = $"netns {name}" };
        _thread.Start();
        // setns takes microseconds; a failure (no CAP_SYS_ADMIN) surfaces here.
        entered.Task.GetAwaiter().GetResult();
    }

    /// <summary>A name for messages (e.g. <c>lab</c>, <c>host-10.0.0.1</c>, <c>switch-leaf-101</c>).</summary>
    public string Name { get; }

    /// <summary>The process that holds the namespace.</summary>
    public int HolderPid { get; }

    /// <summary>
    /// A path that names this namespace for <c>nsenter --net=</c> or <c>ip link set ... netns</c>:
    /// PoapLab's own descriptor, so it is this namespace as long as PoapLab runs, never a
    /// reused process id's.
    /// </summary>
    public string Path => $"/proc/{Environment.ProcessId}/fd/{_fd}";

    /// <summary>Creates a namespace with its loopback up.</summary>
    /// <exception cref="InvalidOperationException">It could not be made (not root, unshare missing).</exception>
    public static async Task<NetworkNamespace> CreateAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var start = new ProcessStartInfo(HolderCommand[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in HolderCommand.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        var holder = ChildProcessLauncher.Start(start);
        NetworkNamespace? created = null;
        try
        {
            var fd = await EnterableAsync(name, holder, cancellationToken).ConfigureAwait(false);
            created = new NetworkNamespace(name, holder, fd);
            var up = await created.RunAsync("ip", ["link", "set", "lo", "up"], cancellationToken).ConfigureAwait(false);
            if (up.ExitCode != 0)
            {
                throw new InvalidOperationException($"network namespace {name}: 'ip link set lo up' failed: {up.Error.Trim()}");
            }
            return created;
        }
        catch
        {
            if (created is not null)
            {
                await created.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                KillAndReap(holder);
            }
            throw;
        }
    }

    /// <summary>Waits (bounded) until the holder is in its new namespace; opens it.</summary>
    private static async Task<int> EnterableAsync(string name, Process holder, CancellationToken cancellationToken)
    {
        var own = LinkTarget("/proc/self/ns/net");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (holder.HasExited)
            {
                var error = await holder.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
                throw new InvalidOperationException($"network namespace {name}: 'unshare --net' exited with {holder.ExitCode}: {error.Trim()} (creating a network namespace needs root)");
            }
            // unshare(1) execs sleep once the namespace is made: from then on its namespace is the new one.
            var comm = ReadComm(holder.Id);
            var ns = LinkTarget($"/proc/{holder.Id}/ns/net");
            if (comm == "sleep" && ns is not null && ns != own)
            {
                var fd = NamespaceNative.OpenReadOnly($"/proc/{holder.Id}/ns/net", out var errno);
                if (fd < 0)
                {
                    throw new InvalidOperationException($"network namespace {name}: cannot open /proc/{holder.Id}/ns/net (errno {errno})");
                }
                // Opened after the check: make sure it is still the holder's new namespace.
                if (LinkTarget($"/proc/{holder.Id}/ns/net") != ns)
                {
                    NamespaceNative.Close(fd);
                    throw new InvalidOperationException($"network namespace {name}: its holder went away while it was opened");
                }
                return fd;
            }
            if (deadline.Elapsed > HolderStartTimeout)
            {
                throw new InvalidOperationException($"network namespace {name}: its holder did not enter a new namespace within {HolderStartTimeout.TotalSeconds:0} s");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? ReadComm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether something in the namespace listens on <paramref name="port"/> (TCP in LISTEN
    /// state, or a bound UDP socket), read from the holder's <c>/proc/&lt;pid&gt;/net/</c> tables,
    /// which show its namespace (proc(5)).
    /// </summary>
    public bool IsListening(ProtocolType protocol, int port)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var (v4, v6) = protocol == ProtocolType.Tcp ? ("tcp", "tcp6") : ("udp", "udp6");
        return PortTable.Listens($"/proc/{HolderPid}/net/{v4}", port, protocol == ProtocolType.Tcp)
            || PortTable.Listens($"/proc/{HolderPid}/net/{v6}", port, protocol == ProtocolType.Tcp);
    }

    /// <summary>Runs a short command (ip, tc) inside the namespace, bounded in time.</summary>
    public Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return CommandRunner.RunAsync("nsenter", [$"--net={Path}", "--", file, .. arguments], CommandTimeout, cancellationToken);
    }

    /// <summary>Runs a command inside the namespace and fails with its error output unless it succeeds.</summary>
    public async Task RunCheckedAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var args = arguments.ToArray();
        var result = await RunAsync(file, args, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"network namespace {Name}: '{file} {string.Join(' ', args)}' failed ({result.ExitCode}): {result.Error.Trim()}");
        }
    }

    /// <summary>
    /// The arguments that run a program inside this namespace: <c>nsenter --net=... --</c>,
    /// to put before the program and its arguments.
    /// </summary>
    public IReadOnlyList<string> CommandPrefix => ["nsenter", $"--net={Path}", "--"];

    /// <summary>
    /// Runs <paramref name="action"/> on the namespace's own thread (inside the namespace), e.g.
    /// to open a socket or a capture handle there; returns what it returned.
    /// </summary>
    public T Invoke<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                try
                {
                    done.SetResult(action());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
            });
        }
        catch (InvalidOperationException)
        {
            throw new ObjectDisposedException(nameof(NetworkNamespace));
        }
        return done.Task.GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public Socket Create(AddressFamily family, SocketType type, ProtocolType protocol) => Invoke(() => new Socket(family, type, protocol));

    private void Run(TaskCompletionSource entered)
    {
        if (NamespaceNative.SetNs(_fd, NamespaceNative.CloneNewNet) != 0)
        {
            entered.SetException(new InvalidOperationException($"network namespace {Name}: setns failed (errno {Marshal.GetLastPInvokeError()}; it needs CAP_SYS_ADMIN)"));
            return;
        }
        entered.SetResult();
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }

    /// <summary>Kills the holder by PID, reaps it, ends the namespace's thread and closes the descriptor.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _work.CompleteAdding();
        await Task.Run(() => KillAndReap(_holder)).ConfigureAwait(false);
        _thread.Join(TimeSpan.FromSeconds(5));
        NamespaceNative.Close(_fd);
        _work.Dispose();
    }

    private static void KillAndReap(Process holder)
    {
        try
        {
            holder.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        holder.WaitForExit(TimeSpan.FromSeconds(10));
        holder.Dispose();
    }
}
