namespace PoapLab.Switch.Script.Lint;

/// <summary>What the options dict of a POAP script may hold (the keys of Cisco's reference script, datacenter/nexus9000 nx-os/poap/poap.py, and its forks).</summary>
public static class PoapOptionKeys
{
    /// <summary>
    /// Every key the reference POAP script family accepts. The reference collects these
    /// as it applies its defaults and aborts on any other key with
    /// <c>Invalid option detected: KEY (check spelling, capitalization, and underscores)</c>,
    /// so the switch fails the attempt. This list is the one place to extend.
    /// </summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        // Required for network POAP (USB needs only the image).
        "username", "password", "hostname",
        // What and how to fetch.
        "transfer_protocol", "mode", "target_system_image", "target_kickstart_image", "target_image_path",
        "config_path", "source_config_file", "user_app_path", "required_space", "disable_md5",
        "https_ignore_certificate", "vrf", "serial_number",
        // Where it lands on the switch.
        "destination_path", "destination_system_image", "destination_kickstart_image",
        "destination_config", "split_config_first", "split_config_second",
        // Multi-step upgrades and POAPv3 install recipes.
        "midway_system_image", "midway_kickstart_image", "destination_midway_system_image",
        "destination_midway_kickstart_image", "skip_multi_level", "install_path", "use_nxos_boot",
        "compact_image",
        // Personality mode.
        "personality_path", "source_tarball", "destination_tarball",
        // USB.
        "usb_slot",
        // Timeouts in seconds (not applicable to TFTP).
        "timeout_config", "timeout_copy_system", "timeout_copy_kickstart", "timeout_copy_personality",
        "timeout_copy_user",
    };

    /// <summary>
    /// Keys that mark an options dict as the reference family's (one of them is enough): a dict
    /// with none of them belongs to a script of another lineage, whose keys are its own business.
    /// </summary>
    public static readonly IReadOnlySet<string> Lineage = new HashSet<string>(StringComparer.Ordinal)
    {
        "username", "password", "hostname", "transfer_protocol", "mode", "target_system_image", "install_path",
    };

    /// <summary>Values of <c>transfer_protocol</c> the switch's <c>copy</c> command takes.</summary>
    public static readonly IReadOnlyList<string> TransferProtocols = ["scp", "sftp", "ftp", "tftp", "http", "https"];

    /// <summary>Values of <c>mode</c>: which configuration file the script fetches (fixtures/scripts/README.md lists them).</summary>
    public static readonly IReadOnlyList<string> Modes = ["serial_number", "mac", "hostname", "location", "raw", "personality"];
}
