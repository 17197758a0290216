namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// One running sandbox, whoever built it (bubblewrap, or the fork server): its output, its
/// end, and the two ways of ending it early.
/// </summary>
internal interface ISandboxRun : IDisposable
{
    /// <summary>The host pid that stands for the run in messages.</summary>
    int Pid { get; }

    Stream StandardOutput { get; }

    Stream StandardError { get; }

    bool HasExited { get; }

    /// <summary>The script's exit status (128 + the signal's number when a signal ended it), once <see cref="HasExited"/>.</summary>
    int ExitCode { get; }

    Task WaitForExitAsync(CancellationToken cancellationToken);

    /// <summary>
    /// True when the run's end proves its pid namespace empty: the sandbox's init was reaped,
    /// which the kernel allows only once it has reaped every other process of the namespace
    /// (pid_namespaces(7)). No host-wide search for leftovers is needed then.
    /// </summary>
    bool EndedEmpty { get; }

    /// <summary>The sandbox's pid namespace (<c>pid:[inode]</c>), or null when it never appeared.</summary>
    Task<string?> PidNamespaceAsync();

    /// <summary>SIGTERM to the script's interpreter (not to the sandbox's init); false when it could not be reached.</summary>
    Task<bool> TerminateAsync();

    /// <summary>SIGKILL to the sandbox's pid 1, which takes everything in the sandbox with it.</summary>
    void Kill();
}
