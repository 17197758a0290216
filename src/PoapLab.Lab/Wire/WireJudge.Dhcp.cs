using System.Globalization;
using System.Net;
using System.Text;
using PoapLab.Protocols.Dhcp;

namespace PoapLab.Lab.Wire;

public sealed partial class WireJudge
{
    /// <summary>DHCPv4 (RFC 2131 §3.1, POAP's options per Cisco's POAP documentation): attempts start and end here.</summary>
    private void ObserveDhcp(WireFrame frame, ReadOnlySpan<byte> payload, in ParsedFrame p)
    {
        var message = DhcpMessage.Decode(payload);
        if (message.MessageType is not { } type || message.HardwareAddressLength != 6 || message.ClientHardwareAddress.Length < 6)
        {
            return;
        }
        var mac = FrameParser.MacOf(message.ClientHardwareAddress.AsSpan());
        if (message.Operation == BootpOperation.Request)
        {
            ObserveClientMessage(frame, message, type, mac);
        }
        else if (_byMac.TryGetValue(mac, out var client))
        {
            var server = message.GetAddress(DhcpOption.ServerIdentifier) ?? p.Source ?? IPAddress.Any;
            ObserveServerMessage(frame, client, message, type, server);
        }
    }

    private void ObserveClientMessage(WireFrame frame, DhcpMessage message, DhcpMessageType type, ulong mac)
    {
        if (GetOrAddClient(mac, frame) is not { } client)
        {
            return;
        }
        if (message.GetRaw(DhcpOption.ClientIdentifier) is { } id && id.Length > 1 && id[0] == 0)
        {
            // POAP's client identifier: 0x00 then the serial number in ASCII.
            var serial = Encoding.ASCII.GetString(id.AsSpan()[1..]);
            if (serial.All(c => c is > ' ' and < (char)127) && serial.Length <= 64)
            {
                client.Serial = serial;
            }
        }
        if (message.GetString(DhcpOption.UserClass) is { } userClass)
        {
            client.UserClass = Printable(userClass);
        }
        if (message.GetRaw(DhcpOption.ParameterRequestList) is { } prl)
        {
            client.ParameterList = string.Join(',', prl.Select(b => b.ToString(CultureInfo.InvariantCulture)));
        }
        var xid = $"0x{message.TransactionId:x8}";
        switch (type)
        {
            case DhcpMessageType.Discover:
                var current = client.Current;
                if (current is null || current.AckServer is not null || current.Ending is not null)
                {
                    if (current is not null && current.Ending is null)
                    {
                        EndAttempt(client, current, "new-discover", frame);
                    }
                    current = StartAttempt(client, frame);
                }
                if (current is not null)
                {
                    current.Discovers++;
                }
                AddFact(client, frame, "dhcp.discover",
                    $"DHCPDISCOVER xid {xid}{(client.Serial is null ? "" : $", client id \\0{client.Serial}")}{(client.UserClass is null ? "" : $", user class {client.UserClass}")}{(client.ParameterList is null ? "" : $", asks for {client.ParameterList}")}");
                break;
            case DhcpMessageType.Request:
                if (client.Current is { } attempt)
                {
                    attempt.Requested = true;
                    attempt.RequestedServer = message.GetAddress(DhcpOption.ServerIdentifier);
                }
                AddFact(client, frame, "dhcp.request",
                    $"DHCPREQUEST xid {xid} for {message.GetAddress(DhcpOption.RequestedIpAddress)?.ToString() ?? message.ClientAddress.ToString()}{(message.GetAddress(DhcpOption.ServerIdentifier) is { } sid ? $" from server {sid}" : "")}");
                break;
            case DhcpMessageType.Release:
                AddFact(client, frame, "dhcp.release", $"DHCPRELEASE of {message.ClientAddress}: the switch gives up its lease (a failed attempt)");
                if (client.Current is { Ending: null } ending)
                {
                    EndAttempt(client, ending, "release", frame);
                }
                break;
            default:
                AddFact(client, frame, "dhcp." + type.ToString().ToLowerInvariant(), $"DHCP{type.ToString().ToUpperInvariant()} xid {xid}");
                break;
        }
    }

    private void ObserveServerMessage(WireFrame frame, Client client, DhcpMessage message, DhcpMessageType type, IPAddress server)
    {
        var attempt = client.Current;
        var lease = message.GetUInt32(DhcpOption.LeaseTime) is { } l ? (long?)l : null;
        var scriptServer = message.GetString(DhcpOption.TftpServerName) is { } name ? Printable(name)
            : message.GetAddresses(DhcpOption.TftpServerAddress) is { Count: > 0 } addresses ? string.Join(",", addresses) : null;
        var script = message.GetString(DhcpOption.BootfileName) is { } file ? Printable(file) : null;
        var options = $"{(scriptServer is null ? "no option 66/150" : $"script server {scriptServer}")}, {(script is null ? "no option 67" : $"script {script}")}, lease {(lease is { } s ? $"{s} s" : "not given")}";
        switch (type)
        {
            case DhcpMessageType.Offer:
                if (attempt is not null && attempt.Offers.Count < 256)
                {
                    var first = !attempt.Offers.Any(o => o.Xid == message.TransactionId);
                    attempt.Offers.Add(new Offer(server, message.YourAddress, message.TransactionId, lease, scriptServer is not null, script is not null, first, frame.Number));
                }
                AddFact(client, frame, "dhcp.offer", $"DHCPOFFER of {message.YourAddress} from {server}: {options}");
                break;
            case DhcpMessageType.Ack:
                if (message.YourAddress.Equals(IPAddress.Any))
                {
                    break;
                }
                if (attempt is not null && attempt.AckServer is null && attempt.Ending is null)
                {
                    attempt.AckServer = server;
                    attempt.Address = message.YourAddress;
                    attempt.LeaseSeconds = lease;
                    attempt.Script = script;
                    attempt.ScriptServer = scriptServer;
                    attempt.AckTime = frame.Time;
                    attempt.LastActivity = frame.Time;
                }
                if (_byAddress.Count < _options.MaxSwitches * 4 || _byAddress.ContainsKey(message.YourAddress))
                {
                    _byAddress[message.YourAddress] = client;
                }
                AddFact(client, frame, "dhcp.ack", $"DHCPACK of {message.YourAddress} from {server}: {options}");
                break;
            case DhcpMessageType.Nak:
                var why = message.GetString(DhcpOption.Message) is { } m ? Printable(m) : "no message";
                attempt?.Naks.Add($"{server} ({why})");
                AddFact(client, frame, "dhcp.nak", $"DHCPNAK from {server}: {why}");
                break;
            default:
                AddFact(client, frame, "dhcp." + type.ToString().ToLowerInvariant(), $"DHCP{type.ToString().ToUpperInvariant()} from {server}");
                break;
        }
    }

    private Attempt? StartAttempt(Client client, WireFrame frame)
    {
        if (client.Attempts.Count >= _options.MaxAttempts)
        {
            client.AttemptsDropped++;
            return null;
        }
        var attempt = new Attempt(client.Attempts.Count + 1, frame.Number, frame.Time);
        client.Attempts.Add(attempt);
        return attempt;
    }

    private void EndAttempt(Client client, Attempt attempt, string ending, WireFrame frame)
    {
        attempt.Ending = ending;
        attempt.EndTime = frame.Time;
        attempt.EndFrame = frame.Number;
        foreach (var d in attempt.Downloads.Where(d => d.Completed is null))
        {
            d.Completed = false;
            d.Error ??= $"abandoned after {d.Bytes} bytes (the attempt ended)";
            AddFact(client, frame, d.Protocol + ".abandoned", $"{d.Protocol.ToUpperInvariant()} {d.File}: abandoned after {d.Bytes} bytes");
        }
        AbandonFlows(client);
    }

    /// <summary>A text from the wire made safe to print: control characters replaced, length bounded.</summary>
    private static string Printable(string text)
    {
        var bounded = text.Length > 200 ? text[..200] + "…" : text;
        return new string(bounded.Select(c => char.IsControl(c) ? '?' : c).ToArray());
    }
}
