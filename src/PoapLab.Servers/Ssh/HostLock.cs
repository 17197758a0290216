namespace PoapLab.Servers.Ssh;

/// <summary>
/// An exclusive lock on a file that every process on the host honours: .NET on Linux takes
/// <c>flock(LOCK_EX)</c> for <see cref="FileShare.None"/>, and flock locks belong to one open
/// file, so a second holder (another process, or another <see cref="HostLock"/> in this one)
/// waits. The kernel drops the lock when its holder dies, so a crashed run never wedges the next.
/// </summary>
internal sealed class HostLock : IDisposable
{
    /// <summary>How often a waiting holder tries again.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    // What .NET puts in HResult when the file is locked: flock's errno EWOULDBLOCK on Linux,
    // ERROR_SHARING_VIOLATION on Windows. Any other I/O error is a real failure.
    private const int WouldBlock = 11;
    private const int SharingViolation = unchecked((int)0x80070020);

    private readonly FileStream _file;

    private HostLock(string path, FileStream file)
    {
        Path = path;
        _file = file;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>Takes the lock, trying every <see cref="PollInterval"/> for at most <paramref name="wait"/>.</summary>
    /// <exception cref="TimeoutException">Another holder kept it for all of <paramref name="wait"/>.</exception>
    public static async Task<HostLock> AcquireAsync(string path, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero);
        var started = time.GetTimestamp();
        var attempts = (long)(wait / PollInterval) + 2;
        for (var attempt = 0L; attempt < attempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryOpen(path) is { } file)
            {
                return new HostLock(path, file);
            }
            var left = wait - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                break;
            }
            await Task.Delay(left < PollInterval ? left : PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"{path} stayed locked by another holder for {wait.TotalSeconds:0.#} s");
    }

    /// <summary>Releases the lock (the file stays, empty, for the next holder).</summary>
    public void Dispose() => _file.Dispose();

    private static FileStream? TryOpen(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            // Any local user's PoapLab must be able to open it (the umask still applies).
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        }
        try
        {
            return new FileStream(path, options);
        }
        catch (IOException e) when (e.HResult is WouldBlock or SharingViolation)
        {
            return null;
        }
    }
}
