namespace PoapLab.Servers.Ssh;

/// <summary>
/// The host account sshd logs the switch in as, shared by every <see cref="LocalSshServer"/>
/// in the process. Its password is the scenario's while at least one server uses it and the
/// account is locked again when the last one stops. Servers that want another password wait
/// until the account is free, so parallel scenarios never see each other's password.
/// Other PoapLab processes on the host (a test run beside a scenario run) are kept out by an
/// exclusive lock on <see cref="LockPath"/>, held from the first user in this process to the last.
/// </summary>
internal static class SshServiceAccount
{
    private const string ChpasswdPath = "/usr/sbin/chpasswd";
    private const string LockDirectory = "/run/lock";
    private static readonly SemaphoreSlim s_gate = new(1, 1);
    private static readonly Dictionary<string, State> s_accounts = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="account"/> is in the host's passwd database.</summary>
    public static bool Exists(string account) =>
        File.Exists("/etc/passwd") && File.ReadLines("/etc/passwd").Any(l => l.StartsWith(account + ":", StringComparison.Ordinal));

    /// <summary>The file whose exclusive lock says which process on the host owns <paramref name="account"/>'s password.</summary>
    public static string LockPath(string account)
    {
        if (account.Length == 0 || account.Contains('/', StringComparison.Ordinal) || account.StartsWith('.'))
        {
            throw new ArgumentException($"'{account}' is not an account name.", nameof(account));
        }
        // /run/lock is Debian's world-writable lock directory; elsewhere the temp directory is shared alike.
        var directory = Directory.Exists(LockDirectory) ? LockDirectory : Path.GetTempPath();
        return Path.Combine(directory, $"poaplab-{account}.lock");
    }

    /// <summary>Sets the account's password (or shares it when it already is that password); dispose to give it back.</summary>
    public static async Task<IAsyncDisposable> AcquireAsync(string account, string password, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (password.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A password cannot contain a line break.", nameof(password));
        }
        var deadline = TimeProvider.System.GetUtcNow() + wait;
        while (true)
        {
            Task busy;
            await s_gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!s_accounts.TryGetValue(account, out var state) || state.Users == 0)
                {
                    var hostLock = await LockAccountAsync(account, deadline - TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                    try
                    {
                        await SetAsync(account, password, encrypted: false, cancellationToken).ConfigureAwait(false);
                    }
                    catch
                    {
                        hostLock.Dispose();
                        throw;
                    }
                    s_accounts[account] = new State(password, 1, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), hostLock);
                    return new Lease(account);
                }
                if (string.Equals(state.Password, password, StringComparison.Ordinal))
                {
                    s_accounts[account] = state with { Users = state.Users + 1 };
                    return new Lease(account);
                }
                busy = state.Idle.Task;
            }
            finally
            {
                s_gate.Release();
            }
            var left = deadline - TimeProvider.System.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new InvalidOperationException($"The service account '{account}' is in use by another SSH server with a different password.");
            }
            try
            {
                await busy.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException($"The service account '{account}' stayed in use by another SSH server with a different password for {wait.TotalSeconds:0} s.");
            }
        }
    }

    private static async Task ReleaseAsync(string account)
    {
        await s_gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var state = s_accounts[account];
            var users = state.Users - 1;
            s_accounts[account] = state with { Users = users };
            if (users == 0)
            {
                try
                {
                    // "!" as the hashed password locks the account: no password matches it.
                    await SetAsync(account, "!", encrypted: true, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    // Only once the account is locked again may another process set its password.
                    state.HostLock.Dispose();
                    state.Idle.TrySetResult();
                }
            }
        }
        finally
        {
            s_gate.Release();
        }
    }

    private static async Task<HostLock> LockAccountAsync(string account, TimeSpan wait, CancellationToken cancellationToken)
    {
        var path = LockPath(account);
        try
        {
            return await HostLock.AcquireAsync(path, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(
                $"The service account '{account}' stayed in use by another PoapLab process on this host (it holds {path}) for {wait.TotalSeconds:0} s.");
        }
    }

    private static async Task SetAsync(string account, string password, bool encrypted, CancellationToken cancellationToken)
    {
        var args = encrypted ? new[] { "-e" } : [];
        var r = await HostTool.RunAsync(ChpasswdPath, args, $"{account}:{password}\n", TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"chpasswd could not set the password of '{account}' (exit {r.ExitCode}): {r.Error.Trim()}");
        }
    }

    private sealed record State(string Password, int Users, TaskCompletionSource Idle, HostLock HostLock);

    private sealed class Lease(string account) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _released, 1) == 0 ? new ValueTask(ReleaseAsync(account)) : ValueTask.CompletedTask;
    }
}
