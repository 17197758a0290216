namespace PoapLab.Switch.Transfer;

/// <summary>
/// The texts <c>copy</c> prints when a transfer fails, in one place. Scripts decide what
/// failed by substring (as Cisco's reference script, datacenter/nexus9000 nx-os/poap/poap.py does: <c>no such file</c>, <c>Permission denied</c>,
/// <c>No space left on device</c>), so every text keeps the substring a script looks for.
/// </summary>
public static class NxosTransferErrors
{
    public static string TftpFailed(string reason) => $"% TFTP get operation failed:{reason}";

    public static string TftpFileNotFound(string path) => TftpFailed($"File not found\nERROR: {path}: no such file or directory");

    public static string TftpAccessViolation(string path) => TftpFailed($"Access violation\nERROR: {path}: Permission denied");

    public static string TftpTimedOut(string host) => TftpFailed($"Timed out waiting for {host}");

    public static string HttpStatus(int status, string reason, string url) =>
        status == 404
            ? $"% Error: The requested URL returned error: 404 {reason}\nERROR: {url}: no such file or directory"
            : status is 401 or 403
                ? $"% Error: The requested URL returned error: {status} {reason}\nERROR: {url}: Permission denied"
                : $"% Error: The requested URL returned error: {status} {reason}";

    public static string ConnectionFailed(string host, string why) => $"% Error: could not connect to {host}: {why}";

    public static string TransferInterrupted(string host) => $"% Error: transfer from {host} was interrupted";

    /// <summary>A URL with a part NX-OS does not accept (the CLI's own words for a malformed URL).</summary>
    public static string BadUrl(string url) => $"Syntax error while parsing '{url}'";

    public static string NoSpace => "No space left on device";

    public static string UnknownHost(string host) => $"% Error: could not resolve host {host}";

    public static string VrfMismatch(string vrf) => $"% Error: VRF {vrf} has no route to the server (no address in that VRF)";

    /// <summary>The VRF's kernel routing table has no route to the server (a VRF with no address, or no route on the leased subnet).</summary>
    public static string NoRoute(string vrf) => $"% Error: VRF {vrf} has no route to the server (Network is unreachable)";

    /// <summary>scp/sftp refused the password (OpenSSH's own words, which NX-OS passes on).</summary>
    public static string SshPermissionDenied(string user, string host) =>
        $"{user}@{host}: Permission denied (password).\n% Error: copy failed: Permission denied";

    /// <summary>The server has no such file: OpenSSH's text, then the lower-case form scripts test for.</summary>
    public static string SshNoSuchFile(string protocol, string path, string url) =>
        $"{protocol}: {path}: No such file or directory\nERROR: {url}: no such file or directory";

    public static string SshConnectionFailed(string host, int port, string why) => $"ssh: connect to host {host} port {port}: {why}";

    public static string SshFailed(string protocol, string detail) => $"% Error: {protocol} failed: {detail}";

    public static string FtpLoginIncorrect(string url, string reply) => $"% Error: FTP login failed: 530 {reply}\nERROR: {url}: Permission denied";

    public static string FtpNoSuchFile(string url, string reply) => $"% Error: FTP transfer failed: 550 {reply}\nERROR: {url}: no such file or directory";

    public static string FtpFailed(string url, string reply) => $"% Error: FTP transfer of {url} failed: {reply}";

    /// <summary>The words that open a certificate refusal.</summary>
    public const string CertificateProblem = "SSL certificate problem";

    /// <summary>An HTTPS server whose certificate the switch does not trust, and no <c>ignore-certificate</c>.</summary>
    public static string CertificateUntrusted(string url, string why) =>
        $"% Error: {CertificateProblem}: {why}\nERROR: {url}: server certificate verification failed (use ignore-certificate to skip it)";

    public static string Unsupported(TransferProtocol protocol) => $"% Error: {protocol.ToString().ToLowerInvariant()} transfers are not available in this lab";
}
