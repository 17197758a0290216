using System.Diagnostics;
using PoapLab.Servers.Ssh;
using PoapLab.Testing;

namespace PoapLab.Servers.Tests.Ssh;

/// <summary>The host-wide lock that keeps two PoapLab processes off one service account's password.</summary>
public sealed class HostLockTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("poaplab-lock-");

    private string LockFile => Path.Combine(_dir.FullName, "poaplab-test.lock");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task AcquireAsync_HeldByAnotherHolder_TimesOutAfterTheWait()
    {
        using var first = await HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct);

        var e = await Should.ThrowAsync<TimeoutException>(() => HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct));

        e.Message.ShouldContain(LockFile);
    }

    [Fact]
    public async Task AcquireAsync_HeldByAnotherHolder_WaitsUntilItIsReleased()
    {
        var first = await HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct);

        var second = HostLock.AcquireAsync(LockFile, TimeSpan.FromSeconds(60), TimeProvider.System, Ct);
        second.IsCompleted.ShouldBeFalse();
        first.Dispose();

        // Real time, bounded: the waiter polls every HostLock.PollInterval.
        using var taken = await second.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        taken.Path.ShouldBe(LockFile);
    }

    [Fact]
    public async Task AcquireAsync_Released_NextHolderGetsItAtOnce()
    {
        (await HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct)).Dispose();

        using var again = await HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct);

        File.Exists(LockFile).ShouldBeTrue();
    }

    [Fact]
    public async Task AcquireAsync_Canceled_StopsWaiting()
    {
        using var first = await HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var second = HostLock.AcquireAsync(LockFile, TimeSpan.FromSeconds(60), TimeProvider.System, cancel.Token);
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => second.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task AcquireAsync_Held_AnotherProcessCannotTakeIt()
    {
        var flock = Requires.Tool("flock", "apt-get install util-linux");

        using (await HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct))
        {
            // flock(1) takes the same flock(2) lock another PoapLab process would.
            (await RunAsync(flock, "--exclusive", "--nonblock", LockFile, "true")).ShouldBe(1);
        }

        (await RunAsync(flock, "--exclusive", "--nonblock", LockFile, "true")).ShouldBe(0);
    }

    [Fact]
    public async Task AcquireAsync_HeldByAnotherProcess_Waits()
    {
        var flock = Requires.Tool("flock", "apt-get install util-linux");
        var ready = Path.Combine(_dir.FullName, "ready");
        // The child holds the lock until its stdin closes.
        var start = new ProcessStartInfo(flock) { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in new[] { "--exclusive", LockFile, "sh", "-c", $"touch '{ready}'; cat >/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }
        using var child = Process.Start(start)!;
        try
        {
            var seen = await WaitForFileAsync(ready);
            seen.ShouldBeTrue("the child never took the lock");
            await Should.ThrowAsync<TimeoutException>(() => HostLock.AcquireAsync(LockFile, TimeSpan.Zero, TimeProvider.System, Ct));

            var waiting = HostLock.AcquireAsync(LockFile, TimeSpan.FromSeconds(60), TimeProvider.System, Ct);
            child.StandardInput.Close();
            using var taken = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            taken.Path.ShouldBe(LockFile);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
            await child.WaitForExitAsync(Ct);
        }
    }

    [Fact]
    public void LockPath_Account_UnderRunLock()
    {
        var path = SshServiceAccount.LockPath("poaplab-xfer");

        path.ShouldBe(Directory.Exists("/run/lock") ? "/run/lock/poaplab-poaplab-xfer.lock" : Path.Combine(Path.GetTempPath(), "poaplab-poaplab-xfer.lock"));
        Should.Throw<ArgumentException>(() => SshServiceAccount.LockPath("../etc/passwd"));
    }

    [Fact]
    public async Task AcquireAccount_LockedByAnotherProcess_FailsNamingTheLock()
    {
        // An account name no other test uses: its lock is ours alone; chpasswd is never reached.
        const string account = "poaplab-locktest";
        var path = SshServiceAccount.LockPath(account);
        try
        {
            using var other = await HostLock.AcquireAsync(path, TimeSpan.Zero, TimeProvider.System, Ct);

            var e = await Should.ThrowAsync<InvalidOperationException>(() => SshServiceAccount.AcquireAsync(account, "pw", TimeSpan.Zero, Ct));

            e.Message.ShouldContain("another PoapLab process");
            e.Message.ShouldContain(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        return process.ExitCode;
    }

    private static async Task<bool> WaitForFileAsync(string path)
    {
        var stopwatch = Stopwatch.StartNew();
        for (var attempt = 0; attempt < 600 && stopwatch.Elapsed < TimeSpan.FromSeconds(30); attempt++)
        {
            if (File.Exists(path))
            {
                return true;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }
        return false;
    }
}
