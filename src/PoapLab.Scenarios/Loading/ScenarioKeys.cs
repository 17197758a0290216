namespace PoapLab.Scenarios.Loading;

/// <summary>What a scenario key holds, as the loader reads it.</summary>
public enum KeyType
{
    /// <summary>Any single value, read as text.</summary>
    Text,
    /// <summary>One of a fixed set of words (<see cref="KeySpec.Values"/>).</summary>
    Choice,
    /// <summary>A whole number in <see cref="KeySpec.Min"/>..<see cref="KeySpec.Max"/>.</summary>
    Integer,
    /// <summary>A positive number.</summary>
    Number,
    /// <summary>true/false (also yes/no, on/off).</summary>
    Boolean,
    /// <summary>30s, 5m, 2h, 1d, 250ms or a number of seconds.</summary>
    Duration,
    /// <summary>8 MiB, 100 MB, 512 (bytes; binary units).</summary>
    Size,
    /// <summary>30% or 0.3.</summary>
    Percent,
    /// <summary>A number of switches: a count (950) or a share of the scenario's (95%).</summary>
    Share,
    /// <summary>An IP address.</summary>
    Address,
    /// <summary>A date and time (ISO 8601).</summary>
    DateTime,
    /// <summary>A mapping of the shape <see cref="KeySpec.Shape"/>.</summary>
    Map,
    /// <summary>A list of mappings of the shape <see cref="KeySpec.Shape"/>.</summary>
    ListOfMaps,
    /// <summary>One mapping of the shape <see cref="KeySpec.Shape"/>, or a list of them.</summary>
    OneOrMany,
    /// <summary>A list of single values (or one value).</summary>
    Values,
    /// <summary>A list of whole numbers (or one).</summary>
    Integers,
    /// <summary>A mapping of free keys to single values (a script's options, an event's fields).</summary>
    FreeMap,
    /// <summary>A mapping of free keys to values, lists and mappings (a script's options, as Python literals).</summary>
    DataMap,
}

/// <summary>One key of a scenario mapping: its name, what it holds, and what it means.</summary>
public sealed record KeySpec(string Name, KeyType Type, string Description)
{
    /// <summary>The mapping shape of a <see cref="KeyType.Map"/>, <see cref="KeyType.ListOfMaps"/> or <see cref="KeyType.OneOrMany"/> key.</summary>
    public string? Shape { get; init; }

    /// <summary>Whether the mapping needs the key.</summary>
    public bool Required { get; init; }

    /// <summary>The words a <see cref="KeyType.Choice"/> key (or each entry of a <see cref="KeyType.Values"/> key) may be; for a <see cref="KeyType.ListOfMaps"/> key, the words it may be instead of a list.</summary>
    public IReadOnlyList<string>? Values { get; init; }

    /// <summary>The smallest whole number allowed.</summary>
    public long? Min { get; init; }

    /// <summary>The largest whole number allowed.</summary>
    public long? Max { get; init; }
}

/// <summary>A kind of mapping in a scenario file (the scenario itself, a switch, a DHCP server...) and the keys it takes.</summary>
public sealed record MapShape(string Name, string Description, IReadOnlyList<KeySpec> Keys)
{
    /// <summary>The key of that name, or null.</summary>
    public KeySpec? Key(string name) => Keys.FirstOrDefault(k => k.Name == name);
}

/// <summary>
/// Every key a scenario file may hold, mapping by mapping: the one list the loader reads
/// from (<see cref="YamlMap"/> refuses to read a key not listed here, and reports a key not
/// listed as unknown, with the nearest listed one), the JSON Schema is generated from
/// (<see cref="ScenarioSchema"/>, <c>schema/scenario.schema.json</c>) and the README is
/// checked against.
/// </summary>
public static class ScenarioKeys
{
    /// <summary>The shape of a whole scenario file.</summary>
    public const string Root = "scenario";

    private static readonly string[] Phases = [.. Assertions.Expectations.PhaseNames];

    private static readonly KeySpec[] Trigger =
    [
        new("attempts", KeyType.Integers, "the switch's POAP attempts the fault strikes in, e.g. [1, 2] (all when absent)"),
        new("request", KeyType.Integer, "only the Nth request from that switch at that server (of the file: when given)") { Min = 1, Max = 1_000_000 },
        new("from_request", KeyType.Integer, "the Nth request and every later one") { Min = 1, Max = 1_000_000 },
        new("file", KeyType.Text, "a glob on the requested path (e.g. \"*.bin\")"),
        new("probability", KeyType.Percent, "how often it strikes, such as 30% (from the scenario's seed)"),
    ];

    /// <summary>Every mapping shape, by name.</summary>
    public static IReadOnlyDictionary<string, MapShape> Shapes { get; } = Build();

    private static Dictionary<string, MapShape> Build()
    {
        MapShape[] shapes =
        [
            new(Root, "A PoapLab scenario: which switches boot, which servers answer them, what files they serve and what must happen.",
            [
                new("name", KeyType.Text, "the scenario's name, also its output folder (1 to 64 of A-Z a-z 0-9 - _ .); the file name when absent"),
                new("description", KeyType.Text, "what the scenario shows, in a sentence"),
                new("seed", KeyType.Integer, "every random choice (DHCP xid, POAP pid, fault probabilities) follows it (default 1)"),
                new("tags", KeyType.Values, "words to select scenarios with (poaplab run --tags): protocol, phase, failure class"),
                new("virtual_only", KeyType.Text, "why the scenario makes sense only in switch time: skipped by --network namespace"),
                new("clock", KeyType.Map, "the switches' clock") { Shape = "clock" },
                new("switches", KeyType.OneOrMany, "the switches that boot: a list of switches, fleet generators (count:) and inventories (inventory:), or one of them") { Shape = "switch", Required = true },
                new("servers", KeyType.Map, "the servers that answer them") { Shape = "servers", Required = true },
                new("files", KeyType.ListOfMaps, "files served from the servers' root") { Shape = "file" },
                new("expect", KeyType.Map, "what must happen, for every switch") { Shape = "expect" },
                new("device", KeyType.Map, "the real switch of poaplab serve: its reset to day 0 and its console") { Shape = "device" },
            ]),
            new("clock", "The switches' clock.",
            [
                new("start", KeyType.DateTime, "when the switches power on, from 1970 to 2100 (default 2026-01-01T00:00:00Z)"),
            ]),
            new("switch", "A simulated Nexus switch.",
            [
                new("name", KeyType.Text, "the switch's name, also its output folder (default switch-N)"),
                new("model", KeyType.Text, "the chassis model (default N9K-C93108TC-EX)"),
                new("serial", KeyType.Text, "(required but with inventory) the chassis serial number; POAP's DHCP client id is 0x00 + serial; with count, a pattern such as FDO{n:08}"),
                new("mac", KeyType.Text, "(required but with inventory) the switch's MAC address, such as 00:A1:B2:C3:D4:E5; with count, a pattern such as 00:aa:bb:{n:x6}"),
                new("hostname", KeyType.Text, "the host name DHCP gives it (option 12, with the DHCP server's reservations: from-switches); with count, a pattern such as leaf-{n:03}"),
                new("count", KeyType.Integer, "a fleet: this many switches alike but for name, serial, mac and hostname, which are patterns with {n}, {n:03}, {n:x6} (README: Fleets)") { Min = 1, Max = ScenarioLoader.MaxSwitches },
                new("start", KeyType.Integer, "(with count) the first switch's number n (default 1)") { Min = 0, Max = 1_000_000_000 },
                new("inventory", KeyType.Text, "a fleet from an inventory beside the scenario: a CSV file (name,serial,mac[,model,version,hostname]) or an Ansible YAML inventory (.yaml/.yml); the entry's other keys apply to every switch"),
                new("version", KeyType.Text, "the NX-OS release it runs at power-on, such as 9.3(8) (default)"),
                new("image", KeyType.Text, "the image file it boots (default: the release's)"),
                new("flavour", KeyType.Choice, "the image flavour (default cs)") { Values = ["cs", "msll"] },
                new("bios", KeyType.Text, "the BIOS version (default 07.69)"),
                new("python", KeyType.Text, "the Python the script runs under: \"2.7\", \"3.12\" or a path (default: the release's)"),
                new("bootflash", KeyType.Map, "the bootflash: size, used, files") { Shape = "bootflash" },
                new("poap", KeyType.Map, "POAP settings") { Shape = "poap" },
                new("tftp", KeyType.Map, "the switch's TFTP client") { Shape = "switch-tftp" },
                new("link", KeyType.Map, "the switch's link: speed and faults, in switch time") { Shape = "link" },
                new("cdp", KeyType.ListOfMaps, "CDP neighbours the switch sees") { Shape = "cdp" },
                new("expect", KeyType.Map, "what must happen to this switch (instead of the scenario's)") { Shape = "expect" },
                new("faults", KeyType.ListOfMaps, "operator aborts and power losses") { Shape = "switch-fault" },
            ]),
            new("bootflash", "The switch's bootflash.",
            [
                new("size", KeyType.Size, "its size, 1 MiB to 1 TiB (default: the model's)"),
                new("used", KeyType.Size, "how much is already used (at most size)"),
                new("files", KeyType.ListOfMaps, "files already on it") { Shape = "file" },
            ]),
            new("poap", "POAP settings of the switch.",
            [
                new("max_attempts", KeyType.Integer, "POAP attempts before giving up") { Min = 1, Max = 100 },
                new("interface", KeyType.Text, "the interface POAP runs on (default mgmt0)"),
                new("script_timeout", KeyType.Duration, "how long the script may run, 1s to 1d (real time)"),
                new("retry_delay", KeyType.Duration, "the wait between attempts, 0 to 1d"),
                new("discover_tries", KeyType.Integer, "DHCPDISCOVERs per attempt before it moves on") { Min = 1, Max = 20 },
                new("max_reloads", KeyType.Integer, "reloads after which a switch that keeps reloading is a reload loop") { Min = 1, Max = 20 },
                new("ipv6", KeyType.Boolean, "IPv4 and IPv6 discovery in turn (default true); false: IPv4 only"),
            ]),
            new("switch-tftp", "The switch's TFTP client (RFC 2348, RFC 7440).",
            [
                new("blksize", KeyType.Integer, "the block size it asks for") { Min = 8, Max = 65464 },
                new("windowsize", KeyType.Integer, "the window size it asks for") { Min = 1, Max = 65535 },
            ]),
            new("link", "The switch's link, in switch time.",
            [
                new("mbps", KeyType.Number, "its speed in Mbit/s, up to 400000"),
                new("loss", KeyType.Percent, "packets lost, both ways"),
                new("loss_to_switch", KeyType.Percent, "packets lost towards the switch"),
                new("loss_from_switch", KeyType.Percent, "packets lost from the switch"),
                new("duplicate", KeyType.Percent, "packets duplicated"),
                new("reorder", KeyType.Percent, "packets reordered"),
                new("delay", KeyType.Duration, "added latency, 0 to 10m"),
                new("seed", KeyType.Integer, "the link's own seed (default: the scenario's)"),
            ]),
            new("cdp", "A CDP neighbour the switch sees.",
            [
                new("device", KeyType.Text, "the neighbour's device id, such as oob-sw1(FOC213230KP)") { Required = true },
                new("interface", KeyType.Text, "the switch's interface (default mgmt0)"),
                new("port", KeyType.Text, "the neighbour's port, such as Eth1/48") { Required = true },
                new("platform", KeyType.Text, "the neighbour's platform (default N3K-C3172PQ-XL)"),
            ]),
            new("switch-fault", "Something that happens to the switch itself.",
            [
                new("kind", KeyType.Choice, "abort (the operator aborts POAP) or power-loss") { Required = true, Values = ["abort", "power-loss"] },
                new("phase", KeyType.Choice, "where it strikes") { Required = true, Values = Phases },
                new("attempt", KeyType.Integer, "the POAP attempt it strikes in (every one when absent)") { Min = 1, Max = 1000 },
                new("after_commands", KeyType.Integer, "after how many CLI commands of the script (default 1)") { Min = 1, Max = 1_000_000 },
            ]),
            new("servers", "The servers of the lab; addresses are lab addresses.",
            [
                new("dhcp", KeyType.OneOrMany, "DHCPv4 server(s)") { Shape = "dhcp" },
                new("dhcp6", KeyType.OneOrMany, "DHCPv6 server(s) (RFC 8415; options 59, 242, 243)") { Shape = "dhcp6" },
                new("tftp", KeyType.OneOrMany, "TFTP server(s)") { Shape = "tftp" },
                new("http", KeyType.OneOrMany, "HTTP or HTTPS server(s)") { Shape = "http" },
                new("ssh", KeyType.OneOrMany, "scp/sftp server(s): a real sshd") { Shape = "ssh" },
                new("ftp", KeyType.OneOrMany, "FTP server(s)") { Shape = "ftp" },
                new("relay", KeyType.Map, "a router running dhcrelay between the switches' subnet and the servers' subnet (--network namespace)") { Shape = "relay" },
            ]),
            new("relay", "A DHCP relay (ISC dhcrelay, RFC 1542) on a router between the switches' subnet and the servers' subnet.",
            [
                new("kind", KeyType.Choice, "the relay (only isc-dhcp-relay)") { Values = ["isc-dhcp-relay"] },
                new("address", KeyType.Text, "the router's address on the switches' subnet with its prefix, such as 10.0.0.254/24 (their gateway, the relay's giaddr)") { Required = true },
                new("upstream", KeyType.Text, "the router's address on the servers' subnet with its prefix, such as 10.1.0.254/24") { Required = true },
                new("servers", KeyType.Values, "the DHCP servers' IPv4 addresses it forwards to") { Required = true },
                new("route_back", KeyType.Boolean, "whether the servers have a route back to the switches' subnet through it (default true)"),
            ]),
            new("dhcp", "A DHCPv4 server: PoapLab's, or yours (kind:, --network namespace).",
            [
                new("address", KeyType.Address, "its lab address, such as 10.0.0.1") { Required = true },
                new("kind", KeyType.Choice, "embedded (default) or your own server, run with your config") { Values = ["embedded", "dnsmasq", "kea", "isc-dhcpd"] },
                new("config", KeyType.Text, "your server's configuration file, beside the scenario, passed unmodified (kind: dnsmasq, kea, isc-dhcpd)"),
                new("args", KeyType.Values, "(tftpd-hpa only)"),
                new("serve_at", KeyType.Text, "(nginx and vsftpd only)"),
                new("subnet", KeyType.Text, "the subnet as a prefix, such as 10.0.0.0/24"),
                new("netmask", KeyType.Address, "the subnet mask, when no subnet is given (default 255.255.255.0)"),
                new("pool", KeyType.Text, "the range it leases from, such as 10.0.0.100-10.0.0.199 (default .100-.199)"),
                new("router", KeyType.Address, "option 3, the default gateway"),
                new("dns", KeyType.Values, "option 6, DNS servers"),
                new("domain", KeyType.Text, "option 15, the domain name"),
                new("lease", KeyType.Duration, "option 51, the lease time, 1s to 3650d (default 1d)"),
                new("tftp_server_name", KeyType.Text, "option 66, the script server (\"http://x\" for HTTP)"),
                new("tftp_server_address", KeyType.Address, "option 150, the script server's address"),
                new("bootfile", KeyType.Text, "option 67, the script's name"),
                new("reservations", KeyType.ListOfMaps, "fixed leases for given switches, or from-switches: one per switch by serial, from the pool's first address on, with its hostname") { Shape = "reservation", Values = ["from-switches"] },
                new("faults", KeyType.ListOfMaps, "what the server does wrong") { Shape = "dhcp-fault" },
                new("secure_poap", KeyType.Map, "option 43 with Secure POAP's sub-options (NX-OS 10.2(3)F and later; 66/67 stay the fallback)") { Shape = "secure-poap" },
            ]),
            new("secure-poap", "Secure POAP's option 43 (Cisco's ISC declaration: option space poap, one-byte codes, two-byte lengths; at most 512 bytes).",
            [
                new("url", KeyType.Text, "sub-option 2 (3 in option 17): the script's https:// URL (required unless raw)"),
                new("ca_list", KeyType.Values, "sub-option 50: http(s) URLs of the CA certificate files (PEM) the switch verifies the script server with, sent comma-separated"),
                new("ntp", KeyType.Address, "sub-option 3: the NTP server, IPv4 only (the switch logs it)"),
                new("debug", KeyType.Integer, "sub-option 51: 1 for more POAP logs") { Min = 0, Max = 255 },
                new("skip_cert_check", KeyType.Boolean, "sub-option 52 (flag) set to 1: the switch skips the server certificate check"),
                new("version", KeyType.Integer, "sub-option 1 (default 1)") { Min = 0, Max = 255 },
                new("raw", KeyType.Text, "option 43 (or option 17's data) as these hex bytes instead of the keys above (e.g. a broken length), such as \"01 00 01 01 02 01 00\""),
            ]),
            new("reservation", "A fixed lease for one switch.",
            [
                new("address", KeyType.Address, "the address to reserve") { Required = true },
                new("serial", KeyType.Text, "matches client id 0x00 + serial"),
                new("client_id", KeyType.Text, "matches option 61: \"\\0FDO23490570\" (ISC form), FDO23490570 or hex 00:46:..."),
                new("mac", KeyType.Text, "matches the switch's MAC"),
                new("hostname", KeyType.Text, "option 12"),
                new("bootfile", KeyType.Text, "option 67 for this switch"),
                new("tftp_server_name", KeyType.Text, "option 66 for this switch"),
                new("tftp_server_address", KeyType.Address, "option 150 for this switch"),
                new("lease", KeyType.Duration, "the lease time for this switch"),
            ]),
            new("dhcp-fault", "What a DHCP server does wrong.",
            [
                new("kind", KeyType.Choice, "the fault") { Required = true, Values = ["no-answer", "nak", "omit-options", "short-lease", "delay"] },
                new("delay", KeyType.Duration, "(delay) how late it answers, 0 to 1h"),
                new("options", KeyType.Integers, "(omit-options) the option codes it leaves out, such as [66, 150]"),
                new("lease", KeyType.Duration, "(short-lease) the lease it gives"),
                .. Trigger,
            ]),
            new("dhcp6", "A DHCPv6 server (RFC 8415).",
            [
                new("address", KeyType.Address, "its lab address, such as 2001:db8::1") { Required = true },
                new("kind", KeyType.Choice, "embedded (default) or kea (kea-dhcp6 with your config, --network namespace)") { Values = ["embedded", "kea"] },
                new("config", KeyType.Text, "(kind: kea) your kea-dhcp6 configuration file, beside the scenario, passed unmodified"),
                new("args", KeyType.Values, "(tftpd-hpa only)"),
                new("serve_at", KeyType.Text, "(nginx and vsftpd only)"),
                new("pool", KeyType.Text, "(embedded; required) the range it leases from, such as 2001:db8::100-2001:db8::1ff"),
                new("bootfile_url", KeyType.Text, "option 59, such as tftp://[2001:db8::1]/poap_nexus.py"),
                new("next_hop", KeyType.Address, "option 242 (POAP's next hop)"),
                new("route_prefix", KeyType.Text, "option 243 (POAP's route prefix), such as 2001:db8::/64"),
                new("dns", KeyType.Values, "DNS servers"),
                new("lease", KeyType.Duration, "the lease time (default 1d)"),
                new("secure_poap", KeyType.Map, "option 17 (enterprise 9) with Secure POAP's sub-options, url at code 3, no ntp (NX-OS 10.2(3)F and later; 59 stays the fallback)") { Shape = "secure-poap" },
            ]),
            new("tftp", "A TFTP server: PoapLab's, or tftpd-hpa (kind:, --network namespace).",
            [
                new("address", KeyType.Address, "its lab address") { Required = true },
                new("kind", KeyType.Choice, "embedded (default) or tftpd-hpa") { Values = ["embedded", "tftpd-hpa"] },
                new("config", KeyType.Text, "(not used by tftpd-hpa)"),
                new("args", KeyType.Values, "tftpd-hpa options from --secure, --verbose, --create, --blocksize N, --timeout N, --retransmit N, --refuse OPT"),
                new("port", KeyType.Integer, "its port (default 69)") { Min = 1, Max = 65535 },
                new("root", KeyType.Text, "the folder of the files it serves, inside the scenario's files (default: all of them)"),
                new("serve_at", KeyType.Text, "(nginx and vsftpd only)"),
                new("faults", KeyType.ListOfMaps, "what the server does wrong") { Shape = "tftp-fault" },
            ]),
            new("tftp-fault", "What a TFTP server does wrong.",
            [
                new("kind", KeyType.Choice, "the fault (stop, kill and block-port: tftpd-hpa)") { Required = true, Values = ["error", "truncate", "refuse-options", "gone", "not-found", "stop", "kill", "block-port"] },
                new("after", KeyType.Size, "(error, truncate, gone, kill) after how many bytes of the file"),
                new("file", KeyType.Text, "(kill) the transfer it strikes: a path pattern such as \"*.bin\""),
                new("code", KeyType.Integer, "(error) the TFTP error code") { Min = 0, Max = 8 },
                new("message", KeyType.Text, "(error) the error message"),
                .. Trigger,
            ]),
            new("http", "An HTTP or HTTPS server.",
            [
                new("address", KeyType.Address, "its lab address") { Required = true },
                new("kind", KeyType.Choice, "embedded (default) or nginx (your nginx.conf, --network namespace)") { Values = ["embedded", "nginx"] },
                new("config", KeyType.Text, "(kind: nginx) your configuration file, beside the scenario, passed unmodified"),
                new("serve_at", KeyType.Text, "(kind: nginx) the absolute path where the scenario's files appear (read-only) for your config's root, such as /srv/poap"),
                new("args", KeyType.Values, "(tftpd-hpa only)"),
                new("port", KeyType.Integer, "its port (default 80, 443 with tls)") { Min = 1, Max = 65535 },
                new("tls", KeyType.Boolean, "serve HTTPS with a per-run self-signed certificate"),
                new("certificate_file", KeyType.Text, "(tls, embedded) also serve that certificate (PEM) at this path under its root, e.g. for secure_poap's ca_list"),
                new("root", KeyType.Text, "the folder of the files it serves, inside the scenario's files"),
                new("faults", KeyType.ListOfMaps, "what the server does wrong") { Shape = "http-fault" },
            ]),
            new("http-fault", "What an HTTP server does wrong.",
            [
                new("kind", KeyType.Choice, "the fault (stop, kill and block-port: nginx)") { Required = true, Values = ["status", "reset", "wrong-length", "slow", "stop", "kill", "block-port"] },
                new("status", KeyType.Integer, "(status) the status it answers (default 500)") { Min = 100, Max = 599 },
                new("after", KeyType.Size, "(reset, kill) after how many bytes of the body"),
                new("file", KeyType.Text, "(kill) the transfer it strikes: a path pattern such as \"*.bin\""),
                new("delta", KeyType.Integer, "(wrong-length) what it adds to Content-Length (default -1)") { Min = -(1 << 30), Max = 1 << 30 },
                new("rate", KeyType.Size, "(slow) bytes per second"),
                .. Trigger,
            ]),
            new("ssh", "An scp/sftp server: a real sshd, its account only in its own namespace.",
            [
                new("address", KeyType.Address, "its lab address (IPv4)") { Required = true },
                new("port", KeyType.Integer, "its port (default 22)") { Min = 1, Max = 65535 },
                new("user", KeyType.Text, "the user scripts log in as") { Required = true },
                new("password", KeyType.Text, "the password it accepts") { Required = true },
                new("root", KeyType.Text, "the folder of the files it serves, inside the scenario's files"),
            ]),
            new("ftp", "An FTP server.",
            [
                new("address", KeyType.Address, "its lab address (IPv4)") { Required = true },
                new("kind", KeyType.Choice, "embedded (default) or vsftpd (your vsftpd.conf, --network namespace)") { Values = ["embedded", "vsftpd"] },
                new("config", KeyType.Text, "(kind: vsftpd) your configuration file, beside the scenario, passed unmodified"),
                new("serve_at", KeyType.Text, "(kind: vsftpd) the absolute path where the scenario's files appear (read-only) for your config's anon_root or local_root, such as /srv/ftp"),
                new("args", KeyType.Values, "(tftpd-hpa only)"),
                new("faults", KeyType.ListOfMaps, "(kind: vsftpd) what happens to the server") { Shape = "real-fault" },
                new("port", KeyType.Integer, "its port (default 21)") { Min = 1, Max = 65535 },
                new("user", KeyType.Text, "(embedded; required) the user scripts log in as"),
                new("password", KeyType.Text, "(embedded; required) the password it accepts"),
                new("root", KeyType.Text, "the folder of the files it serves, inside the scenario's files"),
                new("anonymous", KeyType.Boolean, "also let anonymous in"),
            ]),
            new("real-fault", "What happens to your own server (--network namespace).",
            [
                new("kind", KeyType.Choice, "stopped before the switches start, killed mid-transfer, or its port blocked") { Required = true, Values = ["stop", "kill", "block-port"] },
                new("file", KeyType.Text, "(kill) the transfer it strikes: a path pattern such as \"*.bin\""),
                new("after", KeyType.Size, "(kill) after how many bytes it has written"),
            ]),
            new("file", "A served file (or one on bootflash): exactly one of script, image, content or source.",
            [
                new("path", KeyType.Text, "where it is served, relative to the server root (or put on bootflash)") { Required = true },
                new("script", KeyType.Text, "a POAP script, relative to the scenario file"),
                new("options", KeyType.DataMap, "the script's options dict, edited as given: values, lists (an upgrade_path) and mappings become Python literals"),
                new("edit", KeyType.ListOfMaps, "replacements on the script's text, in order, before options and the #md5sum fix; each must match at least once") { Shape = "script-edit" },
                new("md5sum", KeyType.Choice, "the script's #md5sum line: fix (recompute after the edit, default) or keep (stale: a failure mode)") { Values = ["fix", "keep"] },
                new("image", KeyType.Map, "a generated NX-OS image (never committed)") { Shape = "image" },
                new("content", KeyType.Text, "the file's text"),
                new("source", KeyType.Text, "a file to copy, relative to the scenario file"),
                new("corrupt", KeyType.Boolean, "bytes damaged after the .md5 was written"),
                new("md5", KeyType.Choice, "the .md5 companion file (default none)") { Values = ["none", "md5sum", "keyvalue", "bare", "wrong"] },
                new("per_switch", KeyType.Boolean, "(with content) one file per switch: {name}, {serial}, {mac}, {mac_hex}, {hostname} in path and content are the switch's (a fleet's configurations)"),
            ]),
            new("script-edit", "A replacement on a script's text: exactly one of replace or regex, and with.",
            [
                new("replace", KeyType.Text, "the literal text to replace (every occurrence)"),
                new("regex", KeyType.Text, "a regular expression to replace (.NET syntax, ^ and $ at each line, every match; at most 2 s on the script)"),
                new("with", KeyType.Text, "what it becomes (for a regex, $1 is its first group, $$ a dollar sign)") { Required = true },
            ]),
            new("image", "A generated NX-OS image.",
            [
                new("version", KeyType.Text, "the release it boots, such as 10.3(6)M") { Required = true },
                new("flavour", KeyType.Text, "its flavour, such as cs or msll"),
                new("size", KeyType.Size, "its size, 4 KiB to 4 GiB (default 4 MiB)"),
            ]),
            new("expect", "What must happen, checked for each switch.",
            [
                new("outcome", KeyType.Choice, "how POAP ends") { Values = ["provisioned", "failed", "boot-failed", "reload-loop", "aborted"] },
                new("attempts", KeyType.Integer, "exactly this many POAP attempts") { Min = 0 },
                new("min_attempts", KeyType.Integer, "at least this many POAP attempts") { Min = 0 },
                new("reloads", KeyType.Integer, "exactly this many reloads") { Min = 0 },
                new("version", KeyType.Text, "the release it runs at the end"),
                new("image", KeyType.Text, "the image it boots at the end"),
                new("running_config", KeyType.Values, "lines the running config holds at the end"),
                new("phases", KeyType.Values, "phases it goes through") { Values = Phases },
                new("not_phases", KeyType.Values, "phases it never reaches") { Values = Phases },
                new("reason", KeyType.Text, "a substring of the failure"),
                new("events", KeyType.ListOfMaps, "structured events that must be recorded") { Shape = "event" },
                new("bootflash_has", KeyType.Values, "files on bootflash at the end"),
                new("bootflash_lacks", KeyType.Values, "files not on bootflash at the end"),
                new("syslog", KeyType.Values, "substrings of syslog messages it logs"),
                new("fleet", KeyType.Map, "bounds on the whole fleet (the scenario's expect only): how many switches end provisioned") { Shape = "fleet-expect" },
            ]),
            new("fleet-expect", "Bounds on a whole fleet: a switch that does not end provisioned is then judged by them alone (a pool too small for the fleet, a rehearsal of a lossy rollout).",
            [
                new("min_provisioned", KeyType.Share, "at least this many switches end provisioned: a count (950) or a share of the scenario's switches (95%, rounded up)"),
                new("max_provisioned", KeyType.Share, "at most this many switches end provisioned: a count or a share (rounded down)"),
            ]),
            new("event", "A structured event that must be recorded (kinds: src/PoapLab.Core/Events/EventKinds.cs).",
            [
                new("kind", KeyType.Text, "the event kind, such as tftp-server.completed") { Required = true },
                new("where", KeyType.FreeMap, "fields it must have: whole value, case-insensitive, * and ? wildcards"),
                new("count", KeyType.Integer, "exactly this many such events (at least one when absent)") { Min = 0 },
            ]),
            new("device", "The real switch of poaplab serve: how to bring it to day 0 and where its console is.",
            [
                new("reset", KeyType.Text, "a shell command run as serve starts, such as ssh admin@sw1 'write erase ; reload' or a PDU's CLI (no stdin, output in reset.log)"),
                new("reset_timeout", KeyType.Duration, "how long the reset command may run before it is killed, 1s to 1h (default 5m)"),
                new("console", KeyType.Text, "the switch's console, recorded in console.log: a serial device such as /dev/ttyUSB0 (9600 8N1) or telnet HOST PORT (a terminal server)"),
                new("console_answer", KeyType.Choice, "what POAP's abort prompt is answered (default no; yes when a switch has an abort fault)") { Values = ["no", "yes", "skip", "none"] },
                new("probe", KeyType.Map, "show version over NX-API and/or SSH once the wire shows the switch back after its reload") { Shape = "probe" },
            ]),
            new("probe", "Active probes of poaplab serve: show version once the switch is back, its facts beside the wire's.",
            [
                new("nxapi", KeyType.Choice, "NX-API: POST /ins over http or https with basic authentication") { Values = ["http", "https"] },
                new("nxapi_port", KeyType.Integer, "NX-API's port (default 80 for http, 443 for https)") { Min = 1, Max = 65535 },
                new("tls_insecure", KeyType.Boolean, "https: accept the switch's certificate unchecked (NX-OS's own is self-signed)"),
                new("ssh", KeyType.Boolean, "also show version | json over SSH (OpenSSH's ssh; the host key is neither checked nor stored)"),
                new("ssh_port", KeyType.Integer, "SSH's port (default 22)") { Min = 1, Max = 65535 },
                new("user", KeyType.Text, "the login (default: the served configuration's first username with a clear-text password)"),
                new("password", KeyType.Text, "its password (default: from that username line); never written to reports or logs"),
                new("timeout", KeyType.Duration, "how long the probe keeps trying a switch that does not answer yet, 1s to 30m (default 2m)"),
            ]),
        ];
        return shapes.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }
}
