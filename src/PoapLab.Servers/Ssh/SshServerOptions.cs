namespace PoapLab.Servers.Ssh;

/// <summary>How a <see cref="LocalSshServer"/> serves files over scp and sftp.</summary>
public sealed record SshServerOptions
{
    /// <summary>The directory served; a snapshot of it becomes the chroot the login sees as <c>/</c>.</summary>
    public required string RootPath { get; init; }

    /// <summary>The password the service account accepts while this server runs.</summary>
    public required string Password { get; init; }

    /// <summary>
    /// The unprivileged host account logins are made as (created by <c>.ci/setup</c>): the
    /// only user sshd lets in, jailed in the chroot with nothing but internal-sftp.
    /// </summary>
    public string ServiceAccount { get; init; } = "poaplab-xfer";

    /// <summary>Debian's OpenSSH server (package openssh-server).</summary>
    public string SshdPath { get; init; } = "/usr/sbin/sshd";

    /// <summary>Generates the per-run host key (package openssh-client).</summary>
    public string SshKeygenPath { get; init; } = "/usr/bin/ssh-keygen";

    /// <summary>
    /// Where chroot snapshots are made. sshd requires every component of a chroot path
    /// to be root-owned and not writable by group or others, which rules out /tmp.
    /// </summary>
    public string ChrootBase { get; init; } = "/var/lib/poaplab/sshd";

    /// <summary>Real time sshd gets to start listening.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
