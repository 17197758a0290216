namespace PoapLab.Servers.Ssh;

/// <summary>How a <see cref="LocalSshServer"/> serves files over scp and sftp.</summary>
public sealed record SshServerOptions
{
    /// <summary>The directory served: bound read-only as the chroot the login sees as <c>/</c>.</summary>
    public required string RootPath { get; init; }

    /// <summary>The password the lab account accepts while this server runs.</summary>
    public required string Password { get; init; }

    /// <summary>
    /// The account logins are made as. It exists only in the server's own mount namespace
    /// (a generated passwd and shadow), never on the host.
    /// </summary>
    public string Account { get; init; } = "poaplab-lab";

    /// <summary>Debian's OpenSSH server (package openssh-server).</summary>
    public string SshdPath { get; init; } = "/usr/sbin/sshd";

    /// <summary>Generates the per-run host key inside the namespace (package openssh-client).</summary>
    public string SshKeygenPath { get; init; } = "/usr/bin/ssh-keygen";

    /// <summary>bubblewrap (package bubblewrap): makes the server's mount and process namespaces.</summary>
    public string BwrapPath { get; init; } = "/usr/bin/bwrap";

    /// <summary>
    /// The network namespace sshd runs in (a path such as <c>/proc/PID/ns/net</c>: a lab host's on a
    /// real segment), entered with <c>nsenter --net</c> before bubblewrap makes its own namespaces;
    /// null: PoapLab's own network namespace (loopback).
    /// </summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>Real time sshd gets to start listening.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
