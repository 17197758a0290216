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

    // Embedded TFTP server.
    public const string TftpServerRequest = "tftp-server.request";
    public const string TftpServerOptions = "tftp-server.options";
    public const string TftpServerCompleted = "tftp-server.completed";
    public const string TftpServerFailed = "tftp-server.failed";
    public const string TftpServerDenied = "tftp-server.denied";

    // Embedded HTTP server.
    public const string HttpServerRequest = "http-server.request";
    public const string HttpServerResponse = "http-server.response";

    // The switch's POAP agent.
    public const string SwitchBoot = "switch.boot";
    public const string PoapStarted = "poap.started";
    public const string PoapAttempt = "poap.attempt";
    public const string DhcpDiscoverSent = "poap.dhcp.discover";
    public const string DhcpOfferReceived = "poap.dhcp.offer";
    public const string DhcpOfferRejected = "poap.dhcp.offer-rejected";
    public const string DhcpRequestSent = "poap.dhcp.request";
    public const string DhcpAckReceived = "poap.dhcp.ack";
    public const string DhcpNakReceived = "poap.dhcp.nak";
    public const string DhcpReleaseSent = "poap.dhcp.release";
    public const string DhcpTimeout = "poap.dhcp.timeout";
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

    // The script and the emulated CLI.
    public const string CliCommand = "cli.command";
    public const string CliUnsupported = "cli.unsupported";
    public const string ScriptSyslog = "script.syslog";
    public const string ScriptSleep = "script.sleep";
    public const string TransferStarted = "transfer.started";
    public const string TransferCompleted = "transfer.completed";
    public const string TransferFailed = "transfer.failed";

    // Switch syslog lines (%POAP-2-POAP_INFO, ...), one event per line.
    public const string Syslog = "switch.syslog";
}
