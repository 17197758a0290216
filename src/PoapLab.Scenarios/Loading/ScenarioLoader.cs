using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Network;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// Reads scenario files (YAML). Every problem is a <see cref="ScenarioException"/> naming
/// the file, line and column and saying what is wrong; unknown keys are errors.
/// A scenario file is untrusted, bounded input: at most <see cref="RegularFile.MaxScenarioBytes"/>,
/// nested at most <see cref="MaxDepth"/> deep, every number range-checked, names usable as
/// folder names (<see cref="NameRule"/>), served files regular and bounded.
/// </summary>
public static partial class ScenarioLoader
{
    /// <summary>How deep mappings and lists may nest (the catalogue needs 6).</summary>
    public const int MaxDepth = 64;

    /// <summary>The largest generated image: 4 GiB (NX-OS images are 1 to 3 GiB).</summary>
    public const long MaxImageBytes = 4L << 30;

    /// <summary>What a scenario or switch name may be, as the error message says it.</summary>
    public const string NameRule = "1 to 64 characters: letters A-Z a-z, digits, '-', '_' and '.', starting with a letter or digit";

    /// <summary>Scenario names that would collide with the run's own files in the output directory.</summary>
    private static readonly string[] ReservedScenarioNames = ["report.json", "report.junit.xml", "report.html", "report.png"];

    /// <summary>Switch names that would collide with a scenario's own files and folders.</summary>
    private static readonly string[] ReservedSwitchNames = ["files", "switches", "timeline.txt", "timeline.json", "summary.txt", "capture.pcapng", "capture.txt", "manifest.json"];

    /// <summary>Scenario files under the given files and directories (directories recursively, *.yaml/*.yml, sorted).</summary>
    public static IReadOnlyList<string> Find(IEnumerable<string> paths)
    {
        var found = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                // Never into a linked directory: `a -> .` would make the walk endless.
                found.AddRange(Directory.EnumerateFiles(p, "*.*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
                    .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(p))
            {
                found.Add(p);
            }
            else
            {
                throw new FileNotFoundException($"{p}: no such scenario file or directory", p);
            }
        }
        return found;
    }

    /// <summary>Reads a scenario file: a regular file of at most <see cref="RegularFile.MaxScenarioBytes"/> (a FIFO or device is refused, never read).</summary>
    public static Scenario Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = RegularFile.ReadAll(path, RegularFile.MaxScenarioBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(new SourceLocation(path, 1, 1), $"cannot read the scenario file: {e.Message}");
        }
        var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(bytes);
        return Parse(text.StartsWith('\uFEFF') ? text[1..] : text, path);
    }

    public static Scenario Parse(string text, string path)
    {
        if (text.Length > RegularFile.MaxScenarioBytes)
        {
            throw new ScenarioException(new SourceLocation(path, 1, 1), $"a scenario file may hold at most {RegularFile.MaxScenarioBytes} characters");
        }
        var stream = new YamlStream();
        var parser = new DepthLimitedParser(new Parser(new StringReader(text)), path, MaxDepth);
        try
        {
            stream.Load(parser);
        }
        catch (ScenarioException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException && (e is not YamlException || e.Message.Contains("flow", StringComparison.Ordinal)) && parser.UnclosedFlow is { } open)
        {
            // YamlDotNet gives up on an unclosed flow collection without a useful position: name the bracket.
            var close = open.Bracket == '{' ? '}' : ']';
            throw new ScenarioException(open.Location, $"not valid YAML: the '{open.Bracket}' opened here is never closed (a {(open.Bracket == '{' ? "flow mapping" : "flow list")} ends with '{close}' before the next key of its parent)");
        }
        catch (YamlException e)
        {
            throw new ScenarioException(new SourceLocation(path, (int)Math.Clamp(e.Start.Line, 1, int.MaxValue), (int)Math.Clamp(e.Start.Column, 1, int.MaxValue)), $"not valid YAML: {YamlMap.Shown(e.InnerException?.Message ?? e.Message)}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // YamlDotNet's parser gives up without a position on some unterminated constructs.
            throw new ScenarioException(new SourceLocation(path, 1, 1), $"not valid YAML (an unclosed bracket, brace or quote?): {YamlMap.Shown(e.Message)}");
        }
        if (stream.Documents.Count != 1)
        {
            throw new ScenarioException(new SourceLocation(path, 1, 1), stream.Documents.Count == 0 ? "the file is empty" : "one scenario per file: found several YAML documents");
        }
        var context = new LoadContext(path);
        context.CheckKeys(stream.Documents[0].RootNode);
        var root = new YamlMap(context, stream.Documents[0].RootNode, "a scenario");
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;

        var name = Path.GetFileNameWithoutExtension(path);
        if (root.String("name") is { } given)
        {
            name = root.Section(() => CheckName(root, root.Get("name")!, given, "scenario", ReservedScenarioNames)) ?? name;
        }
        else if (!IsSafeName(name, ReservedScenarioNames))
        {
            root.Report(new ScenarioException(root.Location, $"the file name '{YamlMap.Shown(name)}' cannot name the scenario's output folder: give it a 'name:' ({NameRule})"));
        }
        var description = root.String("description")?.Trim();
        var seed = root.Int("seed") ?? 1;
        var tags = root.Strings("tags");
        var virtualOnly = root.String("virtual_only")?.Trim();
        if (virtualOnly is not null && (virtualOnly.Length is 0 or > 400 || virtualOnly.Any(char.IsControl)))
        {
            root.Report(root.Error(root.Get("virtual_only")!, "'virtual_only' must say in one line (at most 400 characters) why the scenario makes sense only in the virtual transport"));
        }
        var clockStart = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        if (root.Section(() => root.Map("clock", "the clock")) is { } clock)
        {
            if (clock.String("start") is { } start)
            {
                if (DateTimeOffset.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var s) && s.UtcDateTime.Year is >= 1970 and <= 2100)
                {
                    clockStart = s;
                }
                else
                {
                    clock.Report(clock.Error(clock.Get("start")!, $"'start' must be a date and time from 1970 to 2100 such as 2026-01-01T00:00:00Z, not '{YamlMap.Shown(start)}'"));
                }
            }
            clock.EnsureAllRead();
        }

        var switchNodes = OneOrMany(root, "switches");
        if (switchNodes.Count == 0 && !root.Has("switches"))
        {
            root.Report(root.Missing("switches", "a scenario needs at least one switch"));
        }
        else if (switchNodes.Count == 0 && root.Get("switches") is YamlSequenceNode)
        {
            root.Report(root.Error(root.Get("switches")!, "'switches' is empty: a scenario needs at least one switch"));
        }
        var switches = ParseSwitches(root, switchNodes, baseDir, seed);
        foreach (var dup in switches.GroupBy(s => s.Name).Where(g => g.Count() > 1))
        {
            root.Report(new ScenarioException(dup.Last().Location, $"two switches are named '{dup.Key}'"));
        }

        var servers = root.Section(() => ParseServers(baseDir, root.Map("servers", "the servers") ?? throw root.Missing("servers", "a scenario needs at least a DHCP server")));
        servers = servers is null ? null : root.Section(() => WithFleetReservations(root, servers, switches));
        var files = root.List("files").Select(n => root.Section(() => ParseFile(root.MapOf(n, "a file"), baseDir))).OfType<FileModel>().ToList();
        files = root.Section(() => PerSwitchFiles(files, switches)) ?? files;
        var expect = root.Section(() => root.Map("expect", "the expectations") is { } expectMap ? ParseExpect(expectMap, switches.Count) : new ExpectModel());
        var device = root.Section(() => root.Map("device", "the real switch") is { } deviceMap ? ParseDevice(deviceMap, switches) : null);
        root.EnsureAllRead();
        context.ThrowIfAny();

        return new Scenario
        {
            Name = name,
            Description = description,
            FilePath = Path.GetFullPath(path),
            ClockStart = clockStart,
            Seed = seed,
            Switches = switches,
            Servers = servers!,
            Files = files,
            Expect = expect!,
            Tags = tags,
            VirtualOnly = virtualOnly,
            Device = device,
        };
    }

    private static DeviceModel ParseDevice(YamlMap m, IReadOnlyList<SwitchModel> switches)
    {
        var reset = m.String("reset");
        if (m.Has("reset") && (string.IsNullOrWhiteSpace(reset) || reset.Length > 4096 || reset.Contains('\0', StringComparison.Ordinal)))
        {
            m.Report(m.Error(m.Get("reset")!, "'reset' must be the reset command: a shell command line of 1 to 4096 characters"));
            reset = null;
        }
        var resetTimeout = m.Duration("reset_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var console = m.String("console");
        if (console is not null)
        {
            try
            {
                PoapLab.Lab.Hardware.ConsoleSpec.Parse(console);
            }
            catch (ArgumentException e)
            {
                m.Report(m.Error(m.Get("console")!, $"'console': {YamlMap.Shown(e.Message.Split(" (Parameter", 2)[0])}"));
            }
        }
        var aborts = switches.Any(s => s.Faults.Any(f => f.Kind == PoapLab.Switch.Poap.SwitchFaultKind.OperatorAbort));
        var word = m.String("console_answer");
        if (word is not (null or "no" or "yes" or "skip" or "none"))
        {
            m.Report(m.Error(m.Get("console_answer")!, $"'console_answer' must be no, yes, skip or none, not '{YamlMap.Shown(word)}'"));
        }
        var answer = word switch
        {
            "yes" => PoapLab.Lab.Hardware.ConsoleAnswer.Yes,
            "skip" => PoapLab.Lab.Hardware.ConsoleAnswer.Skip,
            "none" => PoapLab.Lab.Hardware.ConsoleAnswer.None,
            "no" => PoapLab.Lab.Hardware.ConsoleAnswer.No,
            _ => aborts ? PoapLab.Lab.Hardware.ConsoleAnswer.Yes : PoapLab.Lab.Hardware.ConsoleAnswer.No,
        };
        var probe = m.Map("probe", "the active probes once the switch is back") is { } probeMap ? ParseProbe(probeMap) : null;
        m.EnsureAllRead();
        return new DeviceModel(reset?.Trim(), resetTimeout, console?.Trim(), answer) { Probe = probe };
    }

    private static DeviceProbeModel? ParseProbe(YamlMap m)
    {
        var nxapi = m.String("nxapi");
        if (nxapi is not (null or "http" or "https"))
        {
            m.Report(m.Error(m.Get("nxapi")!, $"'nxapi' must be http or https, not '{YamlMap.Shown(nxapi)}'"));
            nxapi = null;
        }
        var nxapiPort = m.Int("nxapi_port", 1, 65535);
        var insecure = m.Bool("tls_insecure") ?? false;
        var ssh = m.Bool("ssh") ?? false;
        var sshPort = m.Int("ssh_port", 1, 65535);
        var user = m.String("user");
        var password = m.String("password");
        if (user is not null)
        {
            try
            {
                _ = new PoapLab.Lab.Hardware.ProbeCredentials(user, password ?? "x");
            }
            catch (ArgumentException e)
            {
                m.Report(m.Error(m.Get(password is not null && e.ParamName == "password" ? "password" : "user")!, YamlMap.Shown(e.Message.Split(" (Parameter", 2)[0])));
            }
        }
        else if (password is not null)
        {
            m.Report(m.Error(m.Get("password")!, "'password' needs its 'user'"));
        }
        var timeout = m.Duration("timeout", TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(30));
        m.EnsureAllRead();
        if (nxapi is null && !ssh)
        {
            // A wrong nxapi value is reported above.
            if (!m.Has("nxapi"))
            {
                m.Report(m.Error(m.Node, "a probe names 'nxapi: http' or 'nxapi: https', or 'ssh: true', or both"));
            }
            return null;
        }
        return new DeviceProbeModel(nxapi, nxapiPort, insecure, ssh, sshPort, user, password, timeout);
    }

    private static SwitchModel ParseSwitch(YamlMap m, int index, string baseDir, int seed)
    {
        var serial = m.String("serial") ?? Reported(m, m.Missing("serial", "the chassis serial number (e.g. FDO23490570)"), "");
        var mac = m.String("mac") ?? Reported(m, m.Missing("mac", "the switch MAC address (e.g. 00:A1:B2:C3:D4:E5)"), "00:00:00:00:00:00");
        if (!TryMac(mac, out _))
        {
            m.Report(m.Error(m.Get("mac")!, $"'mac' must be a MAC address such as 00:A1:B2:C3:D4:E5, not '{YamlMap.Shown(mac)}'"));
        }
        var hostname = m.String("hostname");
        if (hostname is not null && !HostnamePattern().IsMatch(hostname))
        {
            m.Report(m.Error(m.Get("hostname")!, $"'hostname' must be {HostnameRule}, not '{YamlMap.Shown(hostname)}'"));
        }
        var name = m.String("name") is { } given ? m.Section(() => CheckName(m, m.Get("name")!, given, "switch", ReservedSwitchNames)) ?? $"switch-{index + 1}" : $"switch-{index + 1}";
        return ParseSwitchSettings(m, baseDir, seed) with { Name = name, Serial = serial, Mac = mac, Hostname = hostname };
    }

    /// <summary>Every key of a switch entry but its identity (name, serial, mac, hostname): what a fleet's switches share.</summary>
    private static SwitchModel ParseSwitchSettings(YamlMap m, string baseDir, int seed)
    {
        var version = m.String("version") ?? "9.3(8)";
        m.Section(() => CheckVersion(m, "version", version));
        var model = new SwitchModel
        {
            Name = "",
            Model = m.String("model") ?? "N9K-C93108TC-EX",
            Serial = "",
            Mac = "",
            Version = version,
            Image = m.String("image"),
            Flavour = m.String("flavour") ?? "cs",
            BiosVersion = m.String("bios") ?? "07.69",
            Python = m.String("python"),
            Location = m.Location,
        };
        if (model.Flavour is not ("cs" or "msll"))
        {
            m.Report(m.Error(m.Get("flavour")!, $"'flavour' must be cs or msll, not '{YamlMap.Shown(model.Flavour)}'"));
        }
        if (m.Section(() => m.Map("bootflash", "the bootflash")) is { } flash)
        {
            model = model with
            {
                BootflashBytes = flash.Size("size", 1L << 20, 1L << 40),
                BootflashUsedBytes = flash.Size("used", 0, 1L << 40) ?? 0,
                BootflashFiles = flash.List("files").Select(n => flash.Section(() => ParseFile(flash.MapOf(n, "a bootflash file"), baseDir))).OfType<FileModel>().ToList(),
            };
            flash.EnsureAllRead();
            if (model.BootflashFiles.FirstOrDefault(f => f.ForSwitch is not null) is { } perSwitch)
            {
                flash.Report(new ScenarioException(perSwitch.Location, "'per_switch' is for the served files of a fleet, not for a bootflash's"));
            }
            if (model.BootflashBytes is { } size && model.BootflashUsedBytes > size)
            {
                flash.Report(flash.Error(flash.Get("used")!, $"'used' ({YamlMap.FormatSize(model.BootflashUsedBytes)}) is more than the bootflash 'size' ({YamlMap.FormatSize(size)})"));
            }
        }
        if (m.Section(() => m.Map("poap", "POAP settings")) is { } poap)
        {
            model = model with
            {
                MaxAttempts = poap.Int("max_attempts", 1, 100) ?? model.MaxAttempts,
                Interface = poap.String("interface") ?? model.Interface,
                ScriptTimeout = poap.Duration("script_timeout", TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)) ?? model.ScriptTimeout,
                RetryDelay = poap.Duration("retry_delay", TimeSpan.Zero, TimeSpan.FromDays(1)) ?? model.RetryDelay,
                DiscoverTries = poap.Int("discover_tries", 1, 20) ?? model.DiscoverTries,
                MaxReloads = poap.Int("max_reloads", 1, 20) ?? model.MaxReloads,
                Ipv6 = poap.Bool("ipv6") ?? model.Ipv6,
            };
            poap.EnsureAllRead();
        }
        if (m.Section(() => m.Map("tftp", "the switch's TFTP client")) is { } tftp)
        {
            model = model with
            {
                TftpBlockSize = tftp.Int("blksize", 8, 65464) ?? model.TftpBlockSize,
                TftpWindowSize = tftp.Int("windowsize", 1, 65535) ?? model.TftpWindowSize,
            };
            tftp.EnsureAllRead();
        }
        if (m.Section(() => m.Map("link", "the switch's link")) is { } link)
        {
            model = model with { LinkMbps = link.Double("mbps", 400_000) ?? model.LinkMbps, LinkFaults = FaultLoader.Link(link, seed) };
            link.EnsureAllRead();
        }
        model = model with
        {
            Cdp = m.List("cdp").Select(n => m.Section(() =>
            {
                var c = m.MapOf(n, "a CDP neighbour");
                var r = new CdpModel(
                    c.RequiredString("device", "the neighbour's device id (e.g. oob-sw1(FOC213230KP))"),
                    c.String("interface") ?? "mgmt0",
                    c.RequiredString("port", "the neighbour's port (e.g. Eth1/48)"),
                    c.String("platform") ?? "N3K-C3172PQ-XL");
                c.EnsureAllRead();
                return r;
            })).OfType<CdpModel>().ToList(),
            Expect = m.Section(() => m.Map("expect", "the switch's expectations") is { } e ? ParseExpect(e, fleetSize: null) : null),
            Faults = FaultLoader.Switch(m),
        };
        m.EnsureAllRead();
        return model;
    }

    private static ServersModel ParseServers(string baseDir, YamlMap m)
    {
        var linkRules = new List<LinkRule>();
        var dhcp = OneOrMany(m, "dhcp").Select(n => m.Section(() => ParseDhcp(m.MapOf(n, "a DHCP server"), linkRules, baseDir))).OfType<DhcpServerModel>().ToList();
        var dhcp6 = OneOrMany(m, "dhcp6").Select(n => m.Section(() => ParseDhcp6(m.MapOf(n, "a DHCPv6 server"), baseDir))).OfType<Dhcp6ServerModel>().ToList();
        var tftp = OneOrMany(m, "tftp").Select(n => m.Section(() => ParseFileServer(m.MapOf(n, "a TFTP server"), 69, baseDir))).OfType<FileServerModel>().ToList();
        var http = OneOrMany(m, "http").Select(n => m.Section(() => ParseFileServer(m.MapOf(n, "an HTTP server"), 80, baseDir, tlsAllowed: true))).OfType<FileServerModel>().ToList();
        var ssh = OneOrMany(m, "ssh").Select(n => m.Section(() => ParseLoginServer(m.MapOf(n, "an SSH (scp/sftp) server"), 22, anonymousAllowed: false))).OfType<LoginServerModel>().ToList();
        var ftp = OneOrMany(m, "ftp").Select(n => m.Section(() => ParseLoginServer(m.MapOf(n, "an FTP server"), 21, anonymousAllowed: true, baseDir))).OfType<LoginServerModel>().ToList();
        var relay = m.Get("relay") is { } relayNode ? m.Section(() => ParseRelay(m.MapOf(relayNode, "a DHCP relay"))) : null;
        m.EnsureAllRead();
        if (!m.Has("dhcp") && !m.Has("dhcp6"))
        {
            m.Report(m.Missing("dhcp", "POAP starts with DHCP, so a scenario needs a DHCP (or 'dhcp6') server"));
        }
        return new ServersModel { Dhcp = dhcp, Dhcp6 = dhcp6, Tftp = tftp, Http = http, Ssh = ssh, Ftp = ftp, LinkRules = linkRules, Relay = relay };
    }

    /// <summary>
    /// <c>relay: { address: 10.0.0.254/24, upstream: 10.1.0.254/24, servers: [10.1.0.1], route_back: true }</c>:
    /// a router running dhcrelay between the switches' subnet and the servers' subnet.
    /// </summary>
    private static RelayModel ParseRelay(YamlMap m)
    {
        if (m.String("kind") is { } kind && kind != "isc-dhcp-relay")
        {
            throw m.Error(m.Get("kind")!, $"'kind' of a DHCP relay must be isc-dhcp-relay, not '{YamlMap.Shown(kind)}'");
        }
        (IPAddress, int) Cidr(string key, string what)
        {
            var text = m.String(key) ?? throw new ScenarioException(m.Location, $"'{key}' is missing: {what}, with its prefix (e.g. 10.0.0.254/24)");
            var parts = text.Split('/');
            if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var bits) || bits is < 8 or > 30)
            {
                throw m.Error(m.Get(key)!, $"'{key}' must be an IPv4 address with a prefix of 8 to 30 bits, such as 10.0.0.254/24, not '{YamlMap.Shown(text)}'");
            }
            return (ip, bits);
        }
        var (address, prefix) = Cidr("address", "the router's address on the switches' subnet (their gateway, the relay's giaddr)");
        var (upstream, upstreamPrefix) = Cidr("upstream", "the router's address on the servers' subnet");
        var servers = m.Addresses("servers");
        if (servers.Count == 0 || servers.Any(s => s.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork))
        {
            throw new ScenarioException(m.Location, "'servers' must list the DHCP servers' IPv4 addresses the relay forwards to (dhcrelay's server arguments)");
        }
        var model = new RelayModel
        {
            Address = address,
            PrefixLength = prefix,
            Upstream = upstream,
            UpstreamPrefixLength = upstreamPrefix,
            Servers = servers,
            RouteBack = m.Bool("route_back") ?? true,
            Location = m.Location,
        };
        m.EnsureAllRead();
        return model;
    }

    private static IReadOnlyList<YamlNode> OneOrMany(YamlMap m, string key)
    {
        var node = m.Get(key);
        return node switch
        {
            null => [],
            YamlSequenceNode seq => seq.Children.ToList(),
            _ => [node],
        };
    }

    private static Dhcp6ServerModel ParseDhcp6(YamlMap m, string baseDir)
    {
        var address = m.AnyAddress("address") ?? throw m.Missing("address", "the DHCPv6 server's lab address (e.g. 2001:db8::1)");
        var real = ParseReal(m, baseDir, "a DHCPv6 server", Dhcp6Kinds, ["pool", "bootfile_url", "route_prefix", "dns", "lease", "secure_poap"], needsConfig: true);
        if (real is not null)
        {
            // Kea takes its pool and options from its own file; next_hop stays: it places the
            // router (a forwarding host) the configuration's option 242 names.
            var model = new Dhcp6ServerModel { Address = address, PoolStart = address, PoolEnd = address, NextHop = m.AnyAddress("next_hop"), Location = m.Location, Real = real };
            m.EnsureAllRead();
            return model;
        }
        var pool = (m.String("pool") ?? throw m.Missing("pool", "a range such as 2001:db8::100-2001:db8::1ff")).Split('-', StringSplitOptions.TrimEntries);
        if (pool.Length != 2 || !IPAddress.TryParse(pool[0], out var start) || !IPAddress.TryParse(pool[1], out var end))
        {
            throw m.Error(m.Get("pool")!, "'pool' must be a range such as 2001:db8::100-2001:db8::1ff");
        }
        var r = new Dhcp6ServerModel
        {
            Address = address,
            PoolStart = start,
            PoolEnd = end,
            BootfileUrl = m.String("bootfile_url"),
            NextHop = m.AnyAddress("next_hop"),
            RoutePrefix = m.String("route_prefix"),
            Dns = m.Strings("dns").Select(d => IPAddress.TryParse(d, out var ip) ? ip : throw m.Error(m.Get("dns")!, $"'dns' must hold addresses, not '{YamlMap.Shown(d)}'")).ToList(),
            Lease = m.Duration("lease", MinLease, MaxLease) ?? TimeSpan.FromDays(1),
            Location = m.Location,
            Option17 = m.Section(() => m.Map("secure_poap", "Secure POAP's option 17") is { } secure ? ParseSecurePoap(secure, PoapLab.Protocols.Dhcp.SecurePoapFamily.Ipv6) : null),
        };
        m.EnsureAllRead();
        return r;
    }

    /// <summary>The DHCP server kinds a scenario may name (<c>kind:</c>), the embedded one first.</summary>
    private static readonly Dictionary<string, PoapLab.Lab.Services.Real.RealServerKind?> DhcpKinds = new(StringComparer.Ordinal)
    {
        ["embedded"] = null,
        ["dnsmasq"] = PoapLab.Lab.Services.Real.RealServerKind.Dnsmasq,
        ["kea"] = PoapLab.Lab.Services.Real.RealServerKind.KeaDhcp4,
        ["isc-dhcpd"] = PoapLab.Lab.Services.Real.RealServerKind.IscDhcpd,
    };

    private static readonly Dictionary<string, PoapLab.Lab.Services.Real.RealServerKind?> Dhcp6Kinds = new(StringComparer.Ordinal)
    {
        ["embedded"] = null,
        ["kea"] = PoapLab.Lab.Services.Real.RealServerKind.KeaDhcp6,
    };

    private static readonly Dictionary<string, PoapLab.Lab.Services.Real.RealServerKind?> TftpKinds = new(StringComparer.Ordinal)
    {
        ["embedded"] = null,
        ["tftpd-hpa"] = PoapLab.Lab.Services.Real.RealServerKind.TftpdHpa,
    };

    private static readonly Dictionary<string, PoapLab.Lab.Services.Real.RealServerKind?> HttpKinds = new(StringComparer.Ordinal)
    {
        ["embedded"] = null,
        ["nginx"] = PoapLab.Lab.Services.Real.RealServerKind.Nginx,
    };

    private static readonly Dictionary<string, PoapLab.Lab.Services.Real.RealServerKind?> FtpKinds = new(StringComparer.Ordinal)
    {
        ["embedded"] = null,
        ["vsftpd"] = PoapLab.Lab.Services.Real.RealServerKind.Vsftpd,
    };

    /// <summary>The tftpd-hpa options a scenario may pass (tftpd(8)); the ones naming files or users are not among them.</summary>
    private static readonly HashSet<string> TftpdFlags = new(StringComparer.Ordinal) { "--secure", "-s", "--verbose", "-v", "--create", "-c" };

    private static readonly HashSet<string> TftpdValued = new(StringComparer.Ordinal) { "--blocksize", "-B", "--timeout", "-t", "--retransmit", "-T", "--refuse", "-r" };

    /// <summary>
    /// <c>kind:</c> of a server: null for the embedded one, else the user's real server with its
    /// configuration file (<c>config:</c>, beside the scenario, read as it is) and, for tftpd-hpa,
    /// <c>args:</c> from a fixed list. Keys only the embedded server understands are refused.
    /// </summary>
    private static RealServerModel? ParseReal(YamlMap m, string baseDir, string what, Dictionary<string, PoapLab.Lab.Services.Real.RealServerKind?> kinds, string[] embeddedOnly, bool needsConfig)
    {
        var kindName = m.String("kind") ?? "embedded";
        if (!kinds.TryGetValue(kindName, out var kind))
        {
            throw m.Error(m.Get("kind")!, $"'kind' of {what} must be one of {string.Join(", ", kinds.Keys)}, not '{YamlMap.Shown(kindName)}'");
        }
        if (kind is not { } real)
        {
            return null;
        }
        foreach (var key in embeddedOnly.Where(m.Has))
        {
            throw m.Error(m.Get(key)!, $"'{key}' is for PoapLab's embedded server: a {kindName} server takes it from its own configuration file");
        }
        string? config = null;
        if (m.String("config") is { } path)
        {
            config = ServedPath(m, "config", baseDir, path, 1L << 20);
        }
        else if (needsConfig)
        {
            throw m.Missing("config", $"the {kindName} configuration file to run, unmodified (a path beside the scenario)");
        }
        var args = m.Strings("args");
        if (args.Count > 0 && real != PoapLab.Lab.Services.Real.RealServerKind.TftpdHpa)
        {
            throw m.Error(m.Get("args")!, $"'args' is for tftpd-hpa; {kindName} takes everything from its configuration file");
        }
        for (var i = 0; i < args.Count; i++)
        {
            if (TftpdFlags.Contains(args[i]))
            {
                continue;
            }
            if (TftpdValued.Contains(args[i]) && i + 1 < args.Count && args[i + 1].Length is > 0 and <= 32 && args[i + 1].All(c => char.IsAsciiLetterOrDigit(c) || c is ',' or '-'))
            {
                i++;
                continue;
            }
            throw m.Error(m.Get("args")!, $"'args' may hold only {string.Join(", ", TftpdFlags.Concat(TftpdValued.Select(v => v + " VALUE")))} (tftpd(8)), not '{YamlMap.Shown(args[i])}'");
        }
        string? serveAt = null;
        if (m.String("serve_at") is { } at)
        {
            if (real is not (PoapLab.Lab.Services.Real.RealServerKind.Nginx or PoapLab.Lab.Services.Real.RealServerKind.Vsftpd))
            {
                throw m.Error(m.Get("serve_at")!, $"'serve_at' is for nginx and vsftpd; {kindName} serves its root where it is");
            }
            try
            {
                serveAt = PoapLab.Lab.Services.Real.ServePath.Check(kindName, at);
            }
            catch (PoapLab.Lab.Services.Real.RealServerException e)
            {
                throw m.Error(m.Get("serve_at")!, e.Message);
            }
        }
        return new RealServerModel { Kind = real, ConfigPath = config, Arguments = args, ServeAt = serveAt };
    }

    private static DhcpServerModel ParseDhcp(YamlMap m, List<LinkRule> linkRules, string baseDir)
    {
        var address = m.Address("address") ?? throw m.Missing("address", "the DHCP server's lab address (e.g. 10.0.0.1)");
        var real = ParseReal(m, baseDir, "a DHCP server", DhcpKinds,
            ["pool", "dns", "domain", "lease", "tftp_server_name", "tftp_server_address", "bootfile", "reservations", "faults", "secure_poap"], needsConfig: true);
        IPAddress mask;
        if (m.String("subnet") is { } subnet)
        {
            var parts = subnet.Split('/');
            if (parts.Length != 2 || !int.TryParse(parts[1], out var bits) || bits is < 8 or > 30 || !IPAddress.TryParse(parts[0], out _))
            {
                throw m.Error(m.Get("subnet")!, $"'subnet' must be a prefix such as 10.0.0.0/24, not '{subnet}'");
            }
            mask = new IPAddress(BitConverterBigEndian(uint.MaxValue << (32 - bits)));
        }
        else
        {
            mask = m.Address("netmask") ?? IPAddress.Parse("255.255.255.0");
        }
        var pool = m.String("pool");
        IPAddress poolStart, poolEnd;
        if (pool is null)
        {
            var b = address.GetAddressBytes();
            poolStart = new IPAddress(new[] { b[0], b[1], b[2], (byte)100 });
            poolEnd = new IPAddress(new[] { b[0], b[1], b[2], (byte)199 });
        }
        else
        {
            var range = pool.Split('-', StringSplitOptions.TrimEntries);
            if (range.Length != 2 || !IPAddress.TryParse(range[0], out poolStart!) || !IPAddress.TryParse(range[1], out poolEnd!))
            {
                throw m.Error(m.Get("pool")!, $"'pool' must be a range such as 10.0.0.100-10.0.0.199, not '{pool}'");
            }
            if (poolStart.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || poolEnd.AddressFamily != poolStart.AddressFamily
                || System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(poolStart.GetAddressBytes()) > System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(poolEnd.GetAddressBytes()))
            {
                throw m.Error(m.Get("pool")!, $"'pool' must be a range of IPv4 addresses from low to high, such as 10.0.0.100-10.0.0.199, not '{pool}'");
            }
        }
        var model = new DhcpServerModel
        {
            Address = address,
            SubnetMask = mask,
            PoolStart = poolStart,
            PoolEnd = poolEnd,
            Router = m.Address("router"),
            Dns = m.Addresses("dns"),
            DomainName = m.String("domain"),
            Lease = m.Duration("lease", MinLease, MaxLease) ?? TimeSpan.FromDays(1),
            TftpServerName = m.String("tftp_server_name"),
            TftpServerAddress = m.Address("tftp_server_address"),
            Bootfile = m.String("bootfile"),
            Location = m.Location,
        };
        var fromSwitches = false;
        if (m.Get("reservations") is YamlScalarNode { Value: var word } wordNode)
        {
            fromSwitches = word == "from-switches"
                ? true : throw m.Error(wordNode, $"'reservations' must be a list of reservations or from-switches (one per switch, by serial), not '{YamlMap.Shown(word)}'");
        }
        model = model with
        {
            ReservationsFromSwitches = fromSwitches,
            Reservations = fromSwitches ? [] : m.List("reservations").Select(n => m.Section(() =>
            {
                var r = m.MapOf(n, "a reservation");
                var res = new ReservationModel
                {
                    Address = r.Address("address") ?? throw r.Missing("address", "the address to reserve"),
                    ClientId = r.String("client_id") is { } cid ? ParseClientId(cid)
                        : r.String("serial") is { } serial ? [0, .. Encoding.ASCII.GetBytes(serial)] : null,
                    Mac = r.String("mac"),
                    Hostname = r.String("hostname"),
                    Bootfile = r.String("bootfile"),
                    TftpServerName = r.String("tftp_server_name"),
                    TftpServerAddress = r.Address("tftp_server_address"),
                    Lease = r.Duration("lease", MinLease, MaxLease),
                };
                if (res.ClientId is null && res.Mac is null)
                {
                    throw new ScenarioException(r.Location, "a reservation needs 'serial', 'client_id' or 'mac' to match the switch");
                }
                if (res.Mac is not null && !TryMac(res.Mac, out _))
                {
                    throw r.Error(r.Get("mac")!, $"'mac' must be a MAC address, not '{res.Mac}'");
                }
                r.EnsureAllRead();
                return res;
            })).OfType<ReservationModel>().ToList(),
            Faults = FaultLoader.Dhcp(m, linkRules, address),
            Real = real,
            Option43 = m.Section(() => m.Map("secure_poap", "Secure POAP's option 43") is { } secure ? ParseSecurePoap(secure, PoapLab.Protocols.Dhcp.SecurePoapFamily.Ipv4) : null),
        };
        m.EnsureAllRead();
        return model;
    }

    /// <summary>
    /// <c>secure_poap:</c> as the bytes of option 43 (IPv4) or option 17 (IPv6, enterprise 9 first):
    /// the sub-options encoded (one-byte codes, two-byte lengths), or <c>raw</c> hex bytes as they are.
    /// </summary>
    private static byte[] ParseSecurePoap(YamlMap m, PoapLab.Protocols.Dhcp.SecurePoapFamily family)
    {
        if (m.String("raw") is { } raw)
        {
            var hex = string.Concat(raw.Where(c => !char.IsWhiteSpace(c) && c != ':'));
            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                throw m.Error(m.Get("raw")!, "'raw' must be hex bytes such as \"01 00 01 01\"");
            }
            if (bytes.Length is 0 or > PoapLab.Protocols.Dhcp.SecurePoapOptions.MaxLength)
            {
                throw m.Error(m.Get("raw")!, $"'raw' must hold 1 to {PoapLab.Protocols.Dhcp.SecurePoapOptions.MaxLength} bytes, not {bytes.Length}");
            }
            m.EnsureAllRead();
            return bytes;
        }
        var url = m.RequiredString("url", "the script's https:// URL (sub-option 2)");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw m.Error(m.Get("url")!, $"'url' must be an https:// URL, not '{YamlMap.Shown(url)}'");
        }
        var caList = m.Strings("ca_list");
        foreach (var ca in caList)
        {
            if (!Uri.TryCreate(ca, UriKind.Absolute, out var caUri) || (caUri.Scheme != Uri.UriSchemeHttps && caUri.Scheme != Uri.UriSchemeHttp) || ca.Contains(',', StringComparison.Ordinal))
            {
                throw m.Error(m.Get("ca_list")!, $"each 'ca_list' entry must be an http(s):// URL without a comma, not '{YamlMap.Shown(ca)}'");
            }
        }
        var ntp = m.Address("ntp");
        if (ntp is not null && (ntp.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || family == PoapLab.Protocols.Dhcp.SecurePoapFamily.Ipv6))
        {
            throw m.Error(m.Get("ntp")!, "'ntp' must be an IPv4 address, and exists in option 43 (DHCPv4) only");
        }
        var options = new PoapLab.Protocols.Dhcp.SecurePoapOptions
        {
            Version = (byte)(m.Int("version", 0, 255) ?? 1),
            Url = url,
            CaList = caList.Count == 0 ? null : string.Join(", ", caList),
            Ntp = ntp,
            Debug = m.Int("debug", 0, 255) is { } debug ? (byte)debug : null,
            Flag = m.Bool("skip_cert_check") is { } skip ? (byte)(skip ? 1 : 0) : null,
        };
        m.EnsureAllRead();
        try
        {
            return options.Encode(family);
        }
        catch (ArgumentException e)
        {
            throw new ScenarioException(m.Location, $"secure_poap: {e.Message}");
        }
    }

    /// <summary>
    /// Option 61 as written in a server's configuration: <c>\0FDO23490570</c> (ISC form, the
    /// leading byte 0x00), <c>FDO23490570</c> (without it), or hex <c>00:46:44:4f:...</c>.
    /// </summary>
    public static byte[] ParseClientId(string text)
    {
        if (text.Length > 0 && text[0] == '\0')
        {
            return [0, .. Encoding.ASCII.GetBytes(text[1..])];
        }
        if (text.StartsWith("\\0", StringComparison.Ordinal) || text.StartsWith("\\000", StringComparison.Ordinal))
        {
            var rest = text.StartsWith("\\000", StringComparison.Ordinal) ? text[4..] : text[2..];
            return [0, .. Encoding.ASCII.GetBytes(rest)];
        }
        var hex = text.Split(':');
        if (hex.Length > 1 && hex.All(h => h.Length == 2 && byte.TryParse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _)))
        {
            return hex.Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        }
        return Encoding.ASCII.GetBytes(text);
    }

    private static FileServerModel ParseFileServer(YamlMap m, int defaultPort, string baseDir, bool tlsAllowed = false)
    {
        var real = defaultPort == 69
            ? ParseReal(m, baseDir, "a TFTP server", TftpKinds, [], needsConfig: false)
            : ParseReal(m, baseDir, "an HTTP server", HttpKinds, ["tls"], needsConfig: true);
        var tls = tlsAllowed && (m.Bool("tls") ?? false);
        var certificateFile = tlsAllowed ? m.String("certificate_file") : null;
        if (certificateFile is not null)
        {
            if (!tls || real is not null)
            {
                m.Report(m.Error(m.Get("certificate_file")!, "'certificate_file' needs the embedded server with 'tls: true'"));
            }
            else if (ServedCertificatePath(certificateFile) is { } problem)
            {
                m.Report(m.Error(m.Get("certificate_file")!, problem));
            }
        }
        var r = new FileServerModel
        {
            Tls = tls,
            CertificateFile = certificateFile,
            Address = m.AnyAddress("address") ?? throw m.Missing("address", "the server's lab address"),
            Port = m.Int("port", 1, 65535) ?? (tls ? 443 : defaultPort),
            Root = (m.String("root") ?? "").Trim('/'),
            Location = m.Location,
        };
        if (r.Root.Split('/').Contains(".."))
        {
            m.Report(m.Error(m.Get("root")!, "'root' must stay inside the scenario's files ('..' is not allowed)"));
        }
        r = real is not null ? r with { Real = real with { Faults = FaultLoader.Real(m) } }
            : defaultPort == 69 ? r with { TftpFaults = FaultLoader.Tftp(m) } : r with { HttpFaults = FaultLoader.Http(m) };
        m.EnsureAllRead();
        return r;
    }

    /// <summary>Why <paramref name="path"/> cannot be where a server serves its certificate (relative, inside its root, plain names), or null.</summary>
    internal static string? ServedCertificatePath(string path)
    {
        if (path.Length is 0 or > 200 || path.StartsWith('/') || path.Contains('\\', StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            return $"'certificate_file' must be a relative path of up to 200 characters under the server's root, not '{YamlMap.Shown(path)}'";
        }
        var parts = path.Split('/');
        if (parts.Any(p => p is "" or "." or ".."))
        {
            return $"'certificate_file' must stay inside the server's root (no '..', '.' or empty parts): '{YamlMap.Shown(path)}'";
        }
        return null;
    }

    private static LoginServerModel ParseLoginServer(YamlMap m, int defaultPort, bool anonymousAllowed, string? baseDir = null)
    {
        // FTP: the user's vsftpd takes its accounts from its own configuration.
        var real = baseDir is null ? null : ParseReal(m, baseDir, "an FTP server", FtpKinds, ["user", "password", "anonymous"], needsConfig: true);
        if (real is not null)
        {
            real = real with { Faults = FaultLoader.Real(m) };
        }
        var r = new LoginServerModel
        {
            Real = real,
            Address = m.Address("address") ?? throw m.Missing("address", "the server's lab address"),
            Port = m.Int("port", 1, 65535) ?? defaultPort,
            User = real is not null ? "" : m.RequiredString("user", "the user name scripts log in with"),
            Password = real is not null ? "" : m.RequiredString("password", "the password the server accepts"),
            Root = (m.String("root") ?? "").Trim('/'),
            Anonymous = anonymousAllowed && (m.Bool("anonymous") ?? false),
            Location = m.Location,
        };
        if (r.Root.Split('/').Contains(".."))
        {
            m.Report(m.Error(m.Get("root")!, "'root' must stay inside the scenario's files ('..' is not allowed)"));
        }
        if (r.Password.Contains('\n', StringComparison.Ordinal))
        {
            m.Report(m.Error(m.Get("password")!, "'password' must be one line"));
        }
        m.EnsureAllRead();
        return r;
    }

    private static FileModel ParseFile(YamlMap m, string baseDir)
    {
        var path = m.RequiredString("path", "where the file is served (relative to the server root) or put on bootflash");
        if (path.Length is 0 or > 1024 || path.Split('/').Any(p => p is ".." or ".") || Path.IsPathRooted(path) || path.EndsWith('/') || path.Any(char.IsControl))
        {
            throw m.Error(m.Get("path")!, $"'path' must be a relative file path and stay inside the file area (at most 1024 characters, no '..', no control characters), not '{YamlMap.Shown(path)}'");
        }
        var file = new FileModel { Path = path, Location = m.Location };
        if (m.Bool("per_switch") == true)
        {
            file = file with { ForSwitch = PerSwitchTemplate };
        }
        var kinds = 0;
        if (m.String("script") is { } script)
        {
            kinds++;
            var full = ServedPath(m, "script", baseDir, script, RegularFile.MaxScriptBytes);
            var options = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (m.Map("options", "the script's options") is { } opts)
            {
                foreach (var (k, v) in opts.Node.Children)
                {
                    var key = ((YamlScalarNode)k).Value!;
                    options[key] = OptionValue(opts, v, key, 0);
                    opts.Get(key);
                }
            }
            var edits = m.List("edit").Select(n => ParseEdit(m.MapOf(n, "a script edit"))).ToList();
            var md5 = m.String("md5sum") ?? "fix";
            file = file with
            {
                Script = full,
                ScriptOptions = options,
                ScriptEdits = edits,
                ScriptMd5 = md5 switch
                {
                    "fix" => ScriptMd5Handling.Fix,
                    "keep" => ScriptMd5Handling.Keep,
                    _ => throw m.Error(m.Get("md5sum")!, $"'md5sum' must be fix (recompute after editing options) or keep (leave the line as it is), not '{md5}'"),
                },
            };
        }
        if (m.Map("image", "a generated NX-OS image") is { } image)
        {
            kinds++;
            var version = image.RequiredString("version", "the release the image boots (e.g. 10.3(6)M)");
            CheckVersion(image, "version", version);
            file = file with
            {
                ImageVersion = version,
                ImageFlavour = image.String("flavour") is { } flavour
                    ? FlavourPattern().IsMatch(flavour) ? flavour : throw image.Error(image.Get("flavour")!, $"'flavour' must be a word such as cs or msll, not '{YamlMap.Shown(flavour)}'")
                    : null,
                ImageBytes = image.Size("size", 4096, MaxImageBytes) ?? 4 * 1024 * 1024,
            };
            image.EnsureAllRead();
        }
        if (m.String("content") is { } content)
        {
            kinds++;
            file = file with { Content = content };
        }
        if (m.String("source") is { } source)
        {
            kinds++;
            var full = ServedPath(m, "source", baseDir, source, RegularFile.MaxSourceBytes);
            file = file with { Source = full };
        }
        if (kinds != 1)
        {
            throw new ScenarioException(m.Location, $"the file '{path}' needs exactly one of script, image, content or source");
        }
        file = file with { Corrupt = m.Bool("corrupt") ?? false };
        var companion = m.String("md5") ?? "none";
        file = file with
        {
            Md5Companion = companion switch
            {
                "none" => Md5CompanionKind.None,
                "md5sum" => Md5CompanionKind.Md5sum,
                "keyvalue" => Md5CompanionKind.KeyValue,
                "bare" => Md5CompanionKind.Bare,
                "wrong" => Md5CompanionKind.Wrong,
                _ => throw m.Error(m.Get("md5")!, $"'md5' (the .md5 companion) must be none, md5sum, keyvalue, bare or wrong, not '{companion}'"),
            },
        };
        m.EnsureAllRead();
        return file;
    }

    /// <param name="fleetSize">The scenario's switches, for its own <c>expect:</c>; null for a switch's (which takes no <c>fleet:</c>).</param>
    private static ExpectModel ParseExpect(YamlMap m, int? fleetSize)
    {
        var outcome = m.String("outcome");
        if (outcome is not null && outcome is not ("provisioned" or "failed" or "boot-failed" or "reload-loop" or "aborted"))
        {
            m.Report(m.Error(m.Get("outcome")!, $"'outcome' must be provisioned, failed, boot-failed, reload-loop or aborted, not '{YamlMap.Shown(outcome)}'"));
        }
        var phases = m.Strings("phases");
        var notPhases = m.Strings("not_phases");
        foreach (var p in phases.Concat(notPhases))
        {
            if (Assertions.Expectations.ParsePhase(p) is null)
            {
                m.Report(new ScenarioException(m.Location, $"unknown phase '{YamlMap.Shown(p)}': phases are {string.Join(", ", Assertions.Expectations.PhaseNames)}"));
            }
        }
        var events = m.List("events").Select(n => m.Section(() =>
        {
            var e = m.MapOf(n, "an expected event");
            var where = new Dictionary<string, string>(StringComparer.Ordinal);
            if (e.Map("where", "event data to match") is { } w)
            {
                foreach (var (k, v) in w.Node.Children)
                {
                    var key = ((YamlScalarNode)k).Value!;
                    where[key] = (v as YamlScalarNode)?.Value ?? throw w.Error(v, $"'{key}' must be a single value");
                    w.Get(key);
                }
            }
            var r = new EventExpectation(e.RequiredString("kind", "the event kind (see the README's event list)"), where, e.Int("count", 0), e.Location);
            e.EnsureAllRead();
            return r;
        })).OfType<EventExpectation>().ToList();
        var model = new ExpectModel
        {
            Outcome = outcome,
            Attempts = m.Int("attempts", 0),
            MinAttempts = m.Int("min_attempts", 0),
            Reloads = m.Int("reloads", 0),
            Version = m.String("version"),
            Image = m.String("image"),
            RunningConfig = m.Strings("running_config"),
            Phases = phases,
            NotPhases = notPhases,
            Reason = m.String("reason"),
            Events = events,
            BootflashHas = m.Strings("bootflash_has"),
            BootflashLacks = m.Strings("bootflash_lacks"),
            Syslog = m.Strings("syslog"),
            Fleet = m.Map("fleet", "bounds on the whole fleet") is { } fleet ? m.Section(() => ParseFleetExpect(m, fleet, fleetSize, outcome)) : null,
            Location = m.Location,
        };
        m.EnsureAllRead();
        return model;
    }

    private static FleetExpectation ParseFleetExpect(YamlMap expect, YamlMap m, int? fleetSize, string? outcome)
    {
        if (fleetSize is null)
        {
            throw expect.Error(expect.Get("fleet")!, "'fleet' bounds the scenario's switches together: it belongs to the scenario's expect, not to a switch's");
        }
        if (outcome is not (null or "provisioned"))
        {
            throw expect.Error(expect.Get("outcome")!, $"with 'fleet', the switches that end provisioned are judged by the other keys and the rest by the fleet's bounds: 'outcome' can only be provisioned, not '{YamlMap.Shown(outcome)}'");
        }
        var min = Share(m, "min_provisioned");
        var max = Share(m, "max_provisioned");
        m.EnsureAllRead();
        if (min is null && max is null)
        {
            throw m.Error(m.Node, "'fleet' needs min_provisioned, max_provisioned or both (a count such as 950 or a share such as 95%)");
        }
        var total = fleetSize.Value;
        foreach (var (key, bound) in new[] { ("min_provisioned", min), ("max_provisioned", max) })
        {
            if (bound is { Count: { } count } && count > total)
            {
                throw m.Error(m.Get(key)!, $"'{key}' is {count}, but the scenario has {total} switch(es)");
            }
        }
        if (min is { } lo && max is { } hi && lo.Of(total, lowerBound: true) > hi.Of(total, lowerBound: false))
        {
            throw m.Error(m.Get("min_provisioned")!, $"'min_provisioned' ({lo}: {lo.Of(total, true)} of {total}) is above 'max_provisioned' ({hi}: {hi.Of(total, false)}): no run can meet both");
        }
        return new FleetExpectation(min, max, m.Location);
    }

    /// <summary>A count of switches (<c>950</c>) or a share of them (<c>95%</c>, <c>99.5%</c>), or null when the key is absent.</summary>
    private static FleetShare? Share(YamlMap m, string key)
    {
        if (m.String(key) is not { } text)
        {
            return null;
        }
        text = text.Trim();
        if (text.EndsWith('%')
            && double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var percent)
            && percent is >= 0 and <= 100)
        {
            return new FleetShare(null, percent);
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return new FleetShare(count, null);
        }
        throw m.Error(m.Get(key)!, $"'{key}' must be a number of switches (950) or a share of them from 0% to 100% (95%), not '{YamlMap.Shown(text)}'");
    }

    private static readonly TimeSpan MinLease = TimeSpan.FromSeconds(1);

    /// <summary>Ten years: a DHCPv6 valid lifetime (twice the lease) still fits RFC 8415's 32-bit seconds.</summary>
    private static readonly TimeSpan MaxLease = TimeSpan.FromDays(3650);

    /// <summary>Whether <paramref name="name"/> makes a safe folder name under the output directory (see <see cref="NameRule"/>).</summary>
    public static bool IsSafeName(string name, IEnumerable<string>? reserved = null) =>
        NamePattern().IsMatch(name) && !(reserved ?? [.. ReservedScenarioNames, .. ReservedSwitchNames]).Contains(name, StringComparer.OrdinalIgnoreCase);

    private static string CheckName(YamlMap m, YamlNode node, string name, string what, string[] reserved)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw m.Error(node, $"a {what} name names a folder of the output, so it must be {NameRule}; not '{YamlMap.Shown(name)}'");
        }
        if (reserved.Contains(name, StringComparer.OrdinalIgnoreCase))
        {
            throw m.Error(node, $"'{name}' cannot be a {what} name: PoapLab writes a file or folder of that name beside it");
        }
        return name;
    }

    /// <summary>A served file's full path, checked now: it must be a regular file of at most <paramref name="maxBytes"/>.</summary>
    private static string ServedPath(YamlMap m, string key, string baseDir, string value, long maxBytes)
    {
        if (value.Length is 0 or > 4096 || value.Contains('\0', StringComparison.Ordinal))
        {
            throw m.Error(m.Get(key)!, $"'{key}' must name a file, not '{YamlMap.Shown(value)}'");
        }
        var full = Path.GetFullPath(Path.Combine(baseDir, value));
        if (RegularFile.Problem(full, maxBytes, namedByScenario: true) is { } problem)
        {
            throw m.Error(m.Get(key)!, $"'{key}' must be a regular file of at most {YamlMap.FormatSize(maxBytes)} that every user may read: {YamlMap.Shown(problem)}");
        }
        return full;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9]{1,16}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex FlavourPattern();

    private static string CheckVersion(YamlMap m, string key, string version)
    {
        try
        {
            Switch.Identity.NxosVersion.Parse(version);
            return version;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw m.Error(m.Get(key)!, YamlMap.Shown(e.Message));
        }
    }

    /// <summary>An option's value: a single value, or a list or mapping of them, nested at most <see cref="ScriptOptionsEditor.MaxDepth"/> deep.</summary>
    private static object? OptionValue(YamlMap m, YamlNode node, string key, int depth)
    {
        switch (node)
        {
            case YamlScalarNode s:
                return ScalarValue(s);
            case YamlSequenceNode or YamlMappingNode when depth >= ScriptOptionsEditor.MaxDepth:
                throw m.Error(node, $"option '{YamlMap.Shown(key)}' nests lists and mappings more than {ScriptOptionsEditor.MaxDepth} deep");
            case YamlSequenceNode seq:
                return seq.Children.Select(c => OptionValue(m, c, key, depth + 1)).ToList();
            case YamlMappingNode map:
                var values = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (k, v) in map.Children)
                {
                    var name = (k as YamlScalarNode)?.Value ?? throw m.Error(k, $"option '{YamlMap.Shown(key)}': a mapping's keys must be single values");
                    if (!values.TryAdd(name, OptionValue(m, v, key, depth + 1)))
                    {
                        throw m.Error(k, $"option '{YamlMap.Shown(key)}': the key '{YamlMap.Shown(name)}' is given twice");
                    }
                }
                return values;
            default:
                throw m.Error(node, $"option '{YamlMap.Shown(key)}' must be a value, a list or a mapping");
        }
    }

    /// <summary>One <c>edit:</c> entry: exactly one of replace (literal) or regex, and what it becomes.</summary>
    private static ScriptEdit ParseEdit(YamlMap e)
    {
        var replace = e.String("replace");
        var regex = e.String("regex");
        var with = e.Get("with") is null ? throw e.Missing("with", "what the text becomes (may be empty: with: \"\")") : e.String("with") ?? "";
        if ((replace is null) == (regex is null))
        {
            throw new ScenarioException(e.Location, "a script edit needs exactly one of replace (literal text) or regex (a regular expression)");
        }
        if (replace is { Length: 0 })
        {
            throw e.Error(e.Get("replace")!, "'replace' must not be empty");
        }
        if (regex is not null)
        {
            try
            {
                _ = new Regex(regex, ScriptEdits.Options, ScriptEdits.RegexTimeout);
            }
            catch (ArgumentException ex)
            {
                throw e.Error(e.Get("regex")!, $"'regex' is not a valid regular expression: {ex.Message}");
            }
        }
        e.EnsureAllRead();
        return new ScriptEdit { Replace = replace, Regex = regex, With = with };
    }

    private static object? ScalarValue(YamlScalarNode s)
    {
        if (s.Style is YamlDotNet.Core.ScalarStyle.DoubleQuoted or YamlDotNet.Core.ScalarStyle.SingleQuoted)
        {
            return s.Value;
        }
        return s.Value switch
        {
            "true" or "True" => true,
            "false" or "False" => false,
            "null" or "~" or "None" => null,
            var v when long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
            var v => v,
        };
    }

    internal static bool TryMac(string text, out System.Net.NetworkInformation.PhysicalAddress mac)
    {
        var hex = text.Replace(":", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal);
        if (hex.Length == 12 && hex.All(Uri.IsHexDigit))
        {
            mac = System.Net.NetworkInformation.PhysicalAddress.Parse(hex.ToUpperInvariant());
            return true;
        }
        mac = System.Net.NetworkInformation.PhysicalAddress.None;
        return false;
    }

    /// <summary>Records an error and carries on with a stand-in value (the file is refused at the end anyway).</summary>
    private static string Reported(YamlMap m, ScenarioException e, string standIn)
    {
        m.Report(e);
        return standIn;
    }

    private static byte[] BitConverterBigEndian(uint value) =>
        [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
