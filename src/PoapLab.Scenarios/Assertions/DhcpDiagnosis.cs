using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Core.Events;

namespace PoapLab.Scenarios.Assertions;

/// <summary>
/// What the lab knows of one DHCP server of a scenario: its address, its kind (<c>embedded</c>,
/// <c>dnsmasq</c>, <c>kea</c>, <c>isc-dhcpd</c>) and, for the user's real server, the text of
/// its configuration file and of its log (what it printed while the switch ran).
/// </summary>
public sealed record DhcpServerFacts(IPAddress Address, string Kind, string? ConfigText = null, string? LogText = null);

/// <summary>
/// The DHCP side of a switch's run in plain words: which server answered with what, why the
/// switch refused an OFFER, why nobody answered, and how to fix the server's configuration.
/// Every sentence comes from what the lab observed — the OFFER/ACK options the switch received
/// (and the BOOTP fields beside them), the client id and user class it sent, a real server's
/// own log and configuration — never from the scenario's name or description.
/// </summary>
public static partial class DhcpDiagnosis
{
    /// <summary>The lines to add to a switch's diagnosis (each starting with <c>dhcp:</c>); empty when there is nothing to say.</summary>
    /// <param name="run">The switch's record: its own events and the servers' answers to it.</param>
    /// <param name="labEvents">The scenario's events (a real server that exited concerns no switch).</param>
    /// <param name="servers">The scenario's DHCP servers.</param>
    public static IReadOnlyList<string> Explain(SwitchRunRecord run, IReadOnlyList<LabEvent> labEvents, IReadOnlyList<DhcpServerFacts> servers)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(labEvents);
        ArgumentNullException.ThrowIfNull(servers);
        var lines = new List<string>();
        var discover = run.Events.FirstOrDefault(e => e.Kind == EventKinds.DhcpDiscoverSent);
        var clientId = discover?.Get("client_id");
        var userClass = discover?.Get("user_class");
        var answers = run.Events.Where(e => e.Kind is EventKinds.DhcpOfferReceived or EventKinds.DhcpOfferRejected or EventKinds.DhcpAckReceived).ToList();
        var ack = run.Events.LastOrDefault(e => e.Kind == EventKinds.DhcpAckReceived);

        foreach (var exited in labEvents.Where(e => e.Kind == EventKinds.RealServerExited && e.Get("service") == "dhcp"))
        {
            lines.Add($"dhcp: {exited.Get("server")} refused its configuration and never answered{ErrorLine(exited.Get("log"))}.{ConfigHint(exited.Get("log"))}");
        }

        if (discover is not null && answers.Count == 0)
        {
            var count = run.Events.Count(e => e.Kind == EventKinds.DhcpDiscoverSent);
            lines.Add($"dhcp: no DHCP server answered the switch's {count} DISCOVER(s) (client id {Spaced(clientId)}, the zero byte then the serial{(userClass is null ? "" : $"; user class '{userClass}'")}).");
            foreach (var server in servers.Where(s => s.LogText is not null))
            {
                if (SilenceReason(server) is { } why)
                {
                    lines.Add($"dhcp: {server.Kind} at {server.Address} {why}.");
                }
            }
        }

        // Each refusal once per server and reason, in the order the switch met them.
        foreach (var refused in answers.Where(e => e.Kind == EventKinds.DhcpOfferRejected)
                     .GroupBy(e => (e.Get("server"), e.Get("reason"))).Select(g => g.First()))
        {
            var server = servers.FirstOrDefault(s => s.Address.ToString() == refused.Get("server"));
            if (ack is not null && ack.Get("server") != refused.Get("server"))
            {
                // Another server provisioned the switch: this one is a bystander, not the fix.
                lines.Add($"dhcp: {Who(server, refused.Get("server"))} also {(refused.Get("address") is { } a ? $"offered {a}" : "answered")}, and the switch refused it ({refused.Get("reason")}) and went on to another OFFER.");
                continue;
            }
            lines.Add("dhcp: " + Refusal(refused, server, userClass));
        }

        var offering = answers.Select(e => e.Get("server")).Where(s => s is not null).Distinct().ToList();
        if (offering.Count > 1)
        {
            var taken = ack?.Get("server");
            lines.Add($"dhcp: {offering.Count} DHCP servers answered on the segment ({string.Join(", ", offering)}); the switch takes the first OFFER that names a script server and a script{(taken is null ? " and took none" : $", and took {taken}'s")}. A second server on a POAP segment answers every switch: make sure only one has POAP options, or that they agree.");
        }

        if (ack is not null && ack.Get("family") == "ipv6")
        {
            lines.Add($"dhcp: leased {ack.Get("address")} over DHCPv6 from {ack.Get("server")}; script {ack.Get("bootfile_url")} (option 59).");
        }
        else if (ack is not null)
        {
            var lease = long.TryParse(ack.Get("lease_s"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? $" for {Duration(s)}" : "";
            // Option 54 names the server itself; the packet came from a relay when they differ.
            var id = Option(ack, 54) ?? ack.Get("server");
            var server = servers.FirstOrDefault(x => x.Address.ToString() == id);
            var via = id != ack.Get("server") ? $" through the relay {ack.Get("server")}" : "";
            lines.Add($"dhcp: leased {ack.Get("address")} from {Who(server, id)}{via}{lease}; script {Option(ack, 67)} from {Option(ack, 150) ?? Option(ack, 66)}.");
            if (ack.Get("nul_terminated") is { } nul)
            {
                lines.Add($"dhcp: option(s) {nul} ended in a NUL byte; harmless: RFC 2132 §2 says a receiver must delete trailing NULs, and the switch reads the name without it.");
            }
        }

        foreach (var server in servers.Where(x => x.ConfigText is not null))
        {
            foreach (var (written, reserved) in ClientIdsWithoutZeroByte(server, clientId))
            {
                var got = ack?.Get("address");
                if (server.Kind == "dnsmasq")
                {
                    if (reserved is not null && got == reserved)
                    {
                        lines.Add($"dhcp: dnsmasq reserves {reserved} for client id '{written}', the serial without POAP's leading zero byte; harmless: dnsmasq also matches a client id that differs only by a leading zero byte, and the switch got {reserved}. Written as id:{Hex(clientId)} it matches exactly.");
                    }
                    continue;
                }
                if (reserved is not null && got == reserved)
                {
                    continue;
                }
                lines.Add($"dhcp: {server.Kind} at {server.Address} reserves {reserved ?? "an address"} for client id '{written}', the serial without POAP's leading zero byte; the switch sends {Spaced(clientId)}, so the reservation never matches{(got is null ? "" : $" (the switch got {got} instead)")}. Write it as {ClientIdFix(server.Kind, clientId)}.");
            }
        }
        return lines;
    }

    /// <summary>What the switch did with one refused OFFER (or ACK), and what to change on the server.</summary>
    private static string Refusal(LabEvent refused, DhcpServerFacts? server, string? userClass)
    {
        var from = Who(server, refused.Get("server"));
        var what = refused.Get("address") is { } a ? $"offered {a}" : "answered";
        var reason = refused.Get("reason") ?? "";
        var kind = server?.Kind;
        var sb = new StringBuilder();
        if (reason.StartsWith("Missing Script Server", StringComparison.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{from} {what} without option 150 (TFTP server address) or 66 (TFTP server name), so the switch refused it: POAP reads the script server only from them.");
            var next = refused.Get("next_server");
            if (next is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $" The server set only the BOOTP next-server field (siaddr {next}), which POAP does not read.");
            }
            if (kind == "kea" && server?.ConfigText is { } config && KeaClassesHolding(config, "150", "tftp-server-address") is { Count: > 0 } classes)
            {
                sb.Append(CultureInfo.InvariantCulture, $" Kea gives option 150 only to client class{(classes.Count > 1 ? "es" : "")} {string.Join(", ", classes.Select(c => $"'{c.Name}' (test: {c.Test})"))}, and the switch did not match it.");
                if (classes.Any(c => c.Test.Contains("option[77]", StringComparison.Ordinal)))
                {
                    sb.Append(CultureInfo.InvariantCulture, $" The switch sends option 77 as the bare text '{userClass ?? "Cisco-POAP"}' ({(userClass ?? "Cisco-POAP").Length} bytes, no RFC 3004 length byte before it): test option[77].text == '{userClass ?? "Cisco-POAP"}'.");
                }
            }
            else
            {
                sb.Append(' ').Append(Option150Fix(kind, next ?? "<TFTP server address>"));
            }
        }
        else if (reason.StartsWith("Missing Script Name", StringComparison.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{from} {what} without option 67 (the script's name), so the switch refused it.");
            var file = refused.Get("file");
            if (file is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $" The name '{file}' was only in the BOOTP file field, which POAP does not read.");
            }
            sb.Append(' ').Append(Option67Fix(kind, file ?? "poap_nexus.py"));
        }
        else if (reason.StartsWith("Lease time", StringComparison.Ordinal))
        {
            var seconds = Regex.Match(reason, @"Lease time (\d+)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)).Groups[1].Value;
            sb.Append(CultureInfo.InvariantCulture, $"{from} {what} for {(long.TryParse(seconds, CultureInfo.InvariantCulture, out var s) ? Duration(s) : "too short a time")}, and the switch refused it: POAP takes no lease shorter than an hour.");
            sb.Append(' ').Append(kind switch
            {
                "dnsmasq" => "Make the lease of dnsmasq's dhcp-range (its last field) 1h or more, e.g. 1d.",
                "isc-dhcpd" => "Set dhcpd's default-lease-time and max-lease-time to 3600 or more.",
                "kea" => "Set Kea's valid-lifetime to 3600 or more.",
                _ => "Give a lease of an hour or more.",
            });
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"{from} {what}, and the switch refused it: {reason}.");
        }
        return sb.ToString();
    }

    private static string Option150Fix(string? kind, string address) => kind switch
    {
        "dnsmasq" => $"Add dhcp-option=150,{address} (or dhcp-option=66,\"{address}\").",
        "isc-dhcpd" => $"Declare option tftp-server-address code 150 = array of ip-address; and set option tftp-server-address {address}; in the subnet.",
        "kea" => $"Give option 150 in option-data (\"data\": \"{address}\") with its option-def (code 150, type ipv4-address, array) where the switch gets its options.",
        _ => $"Give option 150 ({address}) or 66.",
    };

    private static string Option67Fix(string? kind, string file) => kind switch
    {
        "dnsmasq" => $"Add dhcp-option=67,{file}.",
        "isc-dhcpd" => $"Add option bootfile-name \"{file}\"; (dhcpd's filename statement fills only the BOOTP file field).",
        "kea" => $"Add {{ \"name\": \"boot-file-name\", \"data\": \"{file}\" }} to option-data (Kea's boot-file-name parameter fills only the BOOTP file field).",
        _ => $"Give option 67 ({file}).",
    };

    private static string ClientIdFix(string kind, string? clientId) => kind switch
    {
        "isc-dhcpd" => $"option dhcp-client-identifier \"\\000{Serial(clientId)}\";",
        "kea" => $"\"client-id\": \"{Hex(clientId)}\"",
        _ => $"the bytes {Hex(clientId)}",
    };

    /// <summary>Why a running server stayed silent, as its own log says (ISC "no free leases", dnsmasq "no address available", Kea's allocation failure).</summary>
    private static string? SilenceReason(DhcpServerFacts server)
    {
        var log = server.LogText!;
        var unreachable = Regex.Match(log, @"(?:Error sending DHCP packet to|send_packet.*?to) ?([0-9.]*)[^\n]*?(Network is unreachable|No route to host)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (unreachable.Success)
        {
            var to = unreachable.Groups[1].Value;
            return $"answered, but could not send its answer{(to.Length > 0 ? $" to {to}" : "")}: '{unreachable.Groups[2].Value}'. A server answers a relayed DISCOVER at the relay's giaddr (RFC 2131 §4.1), so its host needs a route back to the switches' subnet through the router";
        }
        if (log.Contains("no free leases", StringComparison.Ordinal))
        {
            return "saw the DISCOVERs and logged 'no free leases': it has no address for this client (no range, and no host declaration that matched it)";
        }
        if (log.Contains("no address available", StringComparison.Ordinal))
        {
            return "saw the DISCOVERs and logged 'no address available': it has no address for this client (a static range, and no dhcp-host that matched it)";
        }
        if (log.Contains("ALLOC_ENGINE_V4_ALLOC_FAIL", StringComparison.Ordinal))
        {
            return "saw the DISCOVERs and could not allocate an address (ALLOC_ENGINE_V4_ALLOC_FAIL): no pool, and no reservation that matched the client";
        }
        if (log.Contains("DHCPDISCOVER", StringComparison.Ordinal) || log.Contains("DHCP4_PACKET_RECEIVED", StringComparison.Ordinal) || log.Contains("DHCP4_QUERY_DATA", StringComparison.Ordinal))
        {
            return "saw the DISCOVERs but did not answer (see its log)";
        }
        return "logged no DISCOVER from the switch while the switch waited: it did not hear it (its interface, subnet or address), or answered too late";
    }

    /// <summary>The first error line of a daemon's log, quoted.</summary>
    private static string ErrorLine(string? log)
    {
        var line = log?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l =>
            l.Contains("ERROR", StringComparison.Ordinal) || l.Contains("bad option", StringComparison.OrdinalIgnoreCase) || ErrorAtLine().IsMatch(l));
        if (line is null)
        {
            return "";
        }
        // Kea's lines start with a time stamp and the logger: keep the message.
        var kea = Regex.Match(line, @"\] (\w+ .*)$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        var message = kea.Success ? kea.Groups[1].Value : line;
        return $": \"{(message.Length > 300 ? message[..300] + "…" : message)}\"";
    }

    /// <summary>What a daemon's start-up complaint means for POAP, when it is one we know.</summary>
    private static string ConfigHint(string? log)
    {
        if (log is null)
        {
            return "";
        }
        var undefined = Regex.Match(log, @"definition for the option '(\w*)\.?' having code '(\d+)' does not exist", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        if (undefined.Success)
        {
            var code = undefined.Groups[2].Value;
            return code == "150"
                ? " Kea has no standard definition of option 150 (TFTP server address, RFC 5859): declare it in \"option-def\" ({ \"name\": \"tftp-server-address\", \"code\": 150, \"type\": \"ipv4-address\", \"array\": true }) and name it in option-data, or give its bytes with \"csv-format\": false and hex \"data\" (0A000001 for 10.0.0.1). Every switch on the segment goes without DHCP until then."
                : $" Kea has no definition of option {code}: declare it in \"option-def\", or give its bytes with \"csv-format\": false and hex \"data\".";
        }
        return " Every switch on the segment goes without DHCP until it is fixed.";
    }

    /// <summary>
    /// Client-id reservations in a configuration that name the switch's serial without the
    /// zero byte POAP sends before it: (as written, the address reserved or null).
    /// </summary>
    internal static IEnumerable<(string Written, string? Reserved)> ClientIdsWithoutZeroByte(DhcpServerFacts server, string? clientIdHex)
    {
        var serial = Serial(clientIdHex);
        if (serial.Length == 0 || server.ConfigText is not { } config)
        {
            yield break;
        }
        var serialHex = Convert.ToHexString(Encoding.ASCII.GetBytes(serial));
        switch (server.Kind)
        {
            case "dnsmasq":
                foreach (var line in config.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("dhcp-host=", StringComparison.Ordinal)))
                {
                    var fields = line["dhcp-host=".Length..].Split(',');
                    var id = fields.FirstOrDefault(f => f.StartsWith("id:", StringComparison.Ordinal))?[3..];
                    if (id is null)
                    {
                        continue;
                    }
                    var asHex = id.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
                    if (id == serial || asHex == serialHex)
                    {
                        yield return (id, fields.FirstOrDefault(f => IPAddress.TryParse(f, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork));
                    }
                }
                break;
            case "isc-dhcpd":
                foreach (Match m in IscHost().Matches(config))
                {
                    var body = m.Groups[1].Value;
                    var id = Regex.Match(body, @"dhcp-client-identifier\s+(""[^""]{0,400}""|[0-9A-Fa-f:]{1,400})", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    if (!id.Success)
                    {
                        continue;
                    }
                    var written = id.Groups[1].Value;
                    var asHex = written.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
                    if (written == $"\"{serial}\"" || asHex == serialHex)
                    {
                        var fixedAddress = Regex.Match(body, @"fixed-address\s+([0-9.]+)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                        yield return (written.Trim('"'), fixedAddress.Success ? fixedAddress.Groups[1].Value : null);
                    }
                }
                break;
            case "kea":
                foreach (Match m in KeaClientId().Matches(config))
                {
                    var written = m.Groups[1].Value;
                    var asHex = written.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
                    if (asHex == serialHex || written == $"'{serial}'")
                    {
                        var after = config[m.Index..Math.Min(config.Length, m.Index + 400)];
                        var address = Regex.Match(after, @"""ip-address""\s*:\s*""([0-9.]+)""", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                        yield return (written, address.Success ? address.Groups[1].Value : null);
                    }
                }
                break;
        }
    }

    /// <summary>Kea client classes (name, test) whose option-data gives the option (by code or name).</summary>
    internal static List<(string Name, string Test)> KeaClassesHolding(string config, string code, string name)
    {
        var found = new List<(string, string)>();
        var classes = config.IndexOf("\"client-classes\"", StringComparison.Ordinal);
        if (classes < 0)
        {
            return found;
        }
        foreach (Match m in KeaClass().Matches(config[classes..]))
        {
            var body = m.Value;
            if (body.Contains($"\"{name}\"", StringComparison.Ordinal) || Regex.IsMatch(body, $"\"code\"\\s*:\\s*{code}\\b", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)))
            {
                found.Add((m.Groups[1].Value, m.Groups[2].Value));
            }
        }
        return found;
    }

    private static string Who(DhcpServerFacts? server, string? address) =>
        server is null || server.Kind == "embedded" ? $"the DHCP server {address}" : $"{server.Kind} at {address}";

    /// <summary>A value from the event's <c>options</c> field (<c>53;54=10.0.0.1;67=poap_nexus.py</c>).</summary>
    private static string? Option(LabEvent e, int code)
    {
        var prefix = code.ToString(CultureInfo.InvariantCulture) + "=";
        return e.Get("options")?.Split(';').FirstOrDefault(o => o.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }

    private static string Duration(long seconds) => seconds switch
    {
        >= 86400 when seconds % 86400 == 0 => $"{seconds / 86400} d",
        >= 3600 when seconds % 3600 == 0 => $"{seconds / 3600} h",
        >= 60 when seconds % 60 == 0 => $"{seconds / 60} min ({seconds} s)",
        _ => $"{seconds} s",
    };

    private static string Serial(string? clientIdHex)
    {
        if (clientIdHex is null || clientIdHex.Length < 4 || !clientIdHex.StartsWith("00", StringComparison.Ordinal))
        {
            return "";
        }
        try
        {
            return Encoding.ASCII.GetString(Convert.FromHexString(clientIdHex[2..]));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static string Hex(string? clientIdHex) =>
        clientIdHex is null ? "" : string.Join(':', Enumerable.Range(0, clientIdHex.Length / 2).Select(i => clientIdHex.Substring(i * 2, 2)));

    private static string Spaced(string? clientIdHex) => clientIdHex is null ? "(unknown)" : Hex(clientIdHex).Replace(':', ' ');

    [GeneratedRegex(@"line \d+:", RegexOptions.CultureInvariant)]
    private static partial Regex ErrorAtLine();

    // Bodies and values are bounded, so a configuration without closing braces or quotes costs
    // a bounded scan per candidate, not one to the end of the file.
    [GeneratedRegex(@"host\s+[\w.-]{1,200}\s*\{([^}]{0,4000})\}", RegexOptions.CultureInvariant)]
    private static partial Regex IscHost();

    [GeneratedRegex(@"""client-id""\s*:\s*""([^""]{0,400})""", RegexOptions.CultureInvariant)]
    private static partial Regex KeaClientId();

    [GeneratedRegex(@"\{\s*""name""\s*:\s*""([^""]{1,400})""\s*,\s*""test""\s*:\s*""([^""]{0,1000})""[^\]]{0,4000}\]", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex KeaClass();
}
