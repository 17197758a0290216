namespace PoapLab.Core.Events;

/// <summary>
/// Every event kind in one place, so scenario expectations and reports can name them.
/// Dotted names: the first part is the layer that records it.
/// </summary>
public static class EventKinds
{
    // Embedded DHCP server.
    public const string DhcpServerReceived = "dhcp-server.received";
    public const string DhcpServerOffered = "dhcp-server.offered";
    public const string DhcpServerAcked = "dhcp-server.acked";
    public const string DhcpServerNaked = "dhcp-server.naked";
    public const string DhcpServerReleased = "dhcp-server.released";
    public const string DhcpServerIgnored = "dhcp-server.ignored";
    public const string DhcpServerMalformed = "dhcp-server.malformed";

    // Embedded DHCPv6 server.
    public const string Dhcp6ServerReceived = "dhcp6-server.received";
    public const string Dhcp6ServerAdvertised = "dhcp6-server.advertised";
    public const string Dhcp6ServerReplied = "dhcp6-server.replied";
    public const string Dhcp6ServerReleased = "dhcp6-server.released";
    public const string Dhcp6ServerDeclined = "dhcp6-server.declined";
    public const string Dhcp6ServerIgnored = "dhcp6-server.ignored";
    public const string Dhcp6ServerMalformed = "dhcp6-server.malformed";

    // Embedded TFTP server.
    public const string TftpServerRequest = "tftp-server.request";
    public const string TftpServerOptions = "tftp-server.options";
    public const string TftpServerCompleted = "tftp-server.completed";
    public const string TftpServerFailed = "tftp-server.failed";
    public const string TftpServerDenied = "tftp-server.denied";

    // Embedded HTTP server.
    public const string HttpServerRequest = "http-server.request";
    public const string HttpServerResponse = "http-server.response";

    // Any embedded server: a configured fault fired (data: server, fault, client, file/path, attempt).
    public const string FaultInjected = "fault.injected";

    // Local OpenSSH server (sshd as a child process) serving scp and sftp.
    public const string SshServerListening = "ssh-server.listening";
    public const string SshServerLogin = "ssh-server.login";
    public const string SshServerLoginFailed = "ssh-server.login-failed";
    public const string SshServerFile = "ssh-server.file";
    public const string SshServerLog = "ssh-server.log";
    public const string SshServerExited = "ssh-server.exited";

    // Embedded FTP server.
    public const string FtpServerCommand = "ftp-server.command";
    public const string FtpServerLogin = "ftp-server.login";
    public const string FtpServerLoginFailed = "ftp-server.login-failed";
    public const string FtpServerCompleted = "ftp-server.completed";
    public const string FtpServerFailed = "ftp-server.failed";

    // A user's real server (dnsmasq, Kea, ISC dhcpd, ...) that exited before it served, having
    // refused its configuration (data: server, service, address, log). The scenario runs on without it.
    public const string RealServerExited = "real-server.exited";

    // The switch's POAP agent.
    public const string SwitchBoot = "switch.boot";
    public const string PoapStarted = "poap.started";
    public const string PoapAttempt = "poap.attempt";
    public const string DhcpDiscoverSent = "poap.dhcp.discover";
    public const string Dhcp6SolicitSent = "poap.dhcp6.solicit";
    public const string DhcpOfferReceived = "poap.dhcp.offer";
    public const string DhcpOfferRejected = "poap.dhcp.offer-rejected";
    public const string DhcpRequestSent = "poap.dhcp.request";
    public const string DhcpAckReceived = "poap.dhcp.ack";
    public const string DhcpNakReceived = "poap.dhcp.nak";
    public const string DhcpReleaseSent = "poap.dhcp.release";
    public const string DhcpTimeout = "poap.dhcp.timeout";
    /// <summary>Secure POAP (10.2(3)F+): the option 43/17 sub-options the switch goes on (url, ca_list, ntp, debug, skip).</summary>
    public const string SecurePoapOptions = "poap.secure.options";
    /// <summary>Secure POAP: an option 43/17 the switch could not use (malformed, or a mandatory sub-option missing).</summary>
    public const string SecurePoapInvalid = "poap.secure.invalid";
    /// <summary>Secure POAP: one CA list entry fetched (certificates) or not (error).</summary>
    public const string SecurePoapCa = "poap.secure.ca";
    public const string ScriptDownloadStarted = "poap.script.download-started";
    public const string ScriptDownloaded = "poap.script.downloaded";
    public const string ScriptDownloadFailed = "poap.script.download-failed";
    public const string ScriptMd5Validated = "poap.script.md5-validated";
    public const string ScriptMd5Failed = "poap.script.md5-failed";
    public const string ScriptStarted = "poap.script.started";
    public const string ScriptExited = "poap.script.exited";
    public const string ScriptTimedOut = "poap.script.timed-out";
    public const string PoapAttemptFailed = "poap.attempt-failed";
    public const string PoapGaveUp = "poap.gave-up";
    public const string Reload = "switch.reload";
    public const string BootImage = "switch.boot-image";
    public const string BootFailed = "switch.boot-failed";
    public const string ConfigReplayed = "switch.config-replayed";
    public const string ConfigReplayError = "switch.config-replay-error";
    public const string StartupConfigSaved = "switch.startup-config-saved";
    public const string PoapCompleted = "poap.completed";
    public const string PoapAborted = "poap.aborted";
    public const string SwitchFault = "switch.fault";
    public const string PowerLoss = "switch.power-loss";

    // The script and the emulated CLI.
    public const string CliCommand = "cli.command";
    public const string CliUnsupported = "cli.unsupported";
    public const string ScriptSyslog = "script.syslog";
    public const string ScriptSleep = "script.sleep";
    public const string TransferStarted = "transfer.started";
    /// <summary>A quarter, a half, three quarters of a copy's announced size arrived (every 64 MiB when no size was announced).</summary>
    public const string TransferProgress = "transfer.progress";
    public const string TransferCompleted = "transfer.completed";
    public const string TransferFailed = "transfer.failed";

    // Switch syslog lines (%POAP-2-POAP_INFO, ...), one event per line.
    public const string Syslog = "switch.syslog";
}
