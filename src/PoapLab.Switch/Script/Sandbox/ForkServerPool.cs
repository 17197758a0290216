using System.Collections.Concurrent;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// One <see cref="ForkServer"/> per interpreter, started on a run's first need and again when
/// it died; a failed start is not kept, so the next run tries anew. Every
/// <see cref="ScriptHost"/> of the process shares <see cref="Shared"/>; tests keep their own.
/// </summary>
internal sealed class ForkServerPool : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ForkServer>>> _servers = new(StringComparer.Ordinal);

    /// <summary>The pool every script host of this process uses; its servers are ended and reaped when the process exits.</summary>
    public static ForkServerPool Shared { get; } = CreateShared();

    private static ForkServerPool CreateShared()
    {
        var pool = new ForkServerPool();
        // Without this a server is killed by the kernel only once PoapLab is gone (its parent-death
        // signal), and lives on for a moment as an orphan for init to reap.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => pool.Dispose();
        return pool;
    }

    /// <summary>
    /// The server of <paramref name="interpreter"/>, running, started with <paramref name="environment"/>
    /// (the runs' own environment but for the POAP_* variables) when it must be started.
    /// </summary>
    public async Task<ForkServer> GetAsync(PythonInterpreter interpreter, IReadOnlyList<KeyValuePair<string, string>> environment)
    {
        for (var attempt = 0; ; attempt++)
        {
            var lazy = _servers.GetOrAdd(interpreter.Executable, _ => new Lazy<Task<ForkServer>>(() => ForkServer.StartAsync(interpreter, environment)));
            ForkServer server;
            try
            {
                server = await lazy.Value.ConfigureAwait(false);
            }
            catch
            {
                Forget(interpreter.Executable, lazy);
                throw;
            }
            if (!server.HasExited || attempt >= 3)
            {
                return server;
            }
            // Died since: forgotten, and a new one started for this run.
            if (Forget(interpreter.Executable, lazy))
            {
                server.Dispose();
            }
        }
    }

    /// <summary>Forgets <paramref name="server"/> (it failed a run's start): the next run starts a new one.</summary>
    public void Discard(ForkServer server)
    {
        foreach (var (key, lazy) in _servers)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && ReferenceEquals(lazy.Value.Result, server) && Forget(key, lazy))
            {
                server.Dispose();
            }
        }
    }

    private bool Forget(string key, Lazy<Task<ForkServer>> lazy) =>
        _servers.TryRemove(new KeyValuePair<string, Lazy<Task<ForkServer>>>(key, lazy));

    /// <summary>Stops every server (their runs end with them).</summary>
    public void Dispose()
    {
        foreach (var (key, lazy) in _servers)
        {
            if (Forget(key, lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                lazy.Value.Result.Dispose();
            }
        }
    }
}
