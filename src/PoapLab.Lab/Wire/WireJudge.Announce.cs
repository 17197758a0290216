using System.Buffers.Binary;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Protocols.Cdp;

namespace PoapLab.Lab.Wire;

public sealed partial class WireJudge
{
    /// <summary>IEEE 802.3 frames with LLC: CDP (LLC/SNAP, Cisco OUI, protocol 0x2000).</summary>
    private void ObserveLlc(WireFrame frame, ReadOnlySpan<byte> payload, in ParsedFrame p)
    {
        if (!CdpPacket.IsCdp(payload) || !p.HasMac)
        {
            return;
        }
        var cdp = CdpPacket.Decode(payload[8..]);
        var deviceId = cdp.GetText(CdpTlvType.DeviceId) is { } id ? Printable(id) : null;
        var (hostname, serial) = SplitDeviceId(deviceId);
        var versionText = cdp.GetText(CdpTlvType.SoftwareVersion) is { } v ? Printable(v) : null;
        var address = cdp.GetAddresses(CdpTlvType.ManagementAddresses).FirstOrDefault() ?? cdp.GetAddresses(CdpTlvType.Addresses).FirstOrDefault();
        var platform = cdp.GetText(CdpTlvType.Platform) is { } pl ? Printable(pl) : null;
        var client = ClientForAnnouncement(frame, p.SourceMac, serial);
        if (client is null)
        {
            return;
        }
        var checksum = CdpPacket.ChecksumValid(payload[8..]) ? "" : " (checksum wrong)";
        Announce(client, frame, new Announcement("CDP", hostname, VersionOf(versionText), platform, address, frame.Number, frame.Time),
            $"CDP{checksum}: device id {deviceId ?? "?"}, platform {platform ?? "?"}, {versionText ?? "no version"}{(address is null ? "" : $", address {address}")}, port {Printable(cdp.GetText(CdpTlvType.PortId) ?? "?")}");
    }

    /// <summary>LLDP (IEEE 802.1AB §8.5): TLVs of a 7-bit type and 9-bit length; system name (5) and description (6).</summary>
    private void ObserveLldp(WireFrame frame, ReadOnlySpan<byte> payload, in ParsedFrame p)
    {
        if (!p.HasMac)
        {
            return;
        }
        string? name = null, description = null;
        IPAddress? address = null;
        var at = 0;
        for (var n = 0; n < 64 && at + 2 <= payload.Length; n++)
        {
            var header = BinaryPrimitives.ReadUInt16BigEndian(payload[at..]);
            var type = header >> 9;
            var length = header & 0x1FF;
            if (type == 0 || at + 2 + length > payload.Length)
            {
                break;
            }
            var value = payload.Slice(at + 2, length);
            switch (type)
            {
                case 5:
                    name = Printable(Encoding.ASCII.GetString(value));
                    break;
                case 6:
                    description = Printable(Encoding.ASCII.GetString(value));
                    break;
                case 8 when length >= 6 && value[0] == 5 && value[1] == 1:
                    address = new IPAddress(value.Slice(2, 4));
                    break;
            }
            at += 2 + length;
        }
        if (ClientForAnnouncement(frame, p.SourceMac, null) is not { } client)
        {
            return;
        }
        Announce(client, frame, new Announcement("LLDP", name, VersionOf(description), null, address, frame.Number, frame.Time),
            $"LLDP: system name {name ?? "?"}, {description ?? "no description"}{(address is null ? "" : $", address {address}")}");
    }

    private Client? ClientForAnnouncement(WireFrame frame, ulong mac, string? serial)
    {
        if (_byMac.TryGetValue(mac, out var client))
        {
            return client;
        }
        if (serial is not null && _clients.FirstOrDefault(c => c.Serial == serial) is { } bySerial)
        {
            return bySerial;
        }
        // A switch seen only announcing itself (it booted configured, or the capture began late).
        client = GetOrAddClient(mac, frame);
        if (client is not null)
        {
            client.Serial ??= serial;
        }
        return client;
    }

    private void Announce(Client client, WireFrame frame, Announcement announcement, string text)
    {
        if (client.LastSent is { } last && frame.Time - last >= _options.SilenceFact)
        {
            AddFact(client, frame, "silence", $"nothing from the switch for {Seconds(frame.Time - last)} s");
        }
        client.LastSent = frame.Time;
        var previous = client.Announced;
        // Announcements repeat (CDP every 60 s): a fact only for the first after POAP activity or a change.
        var news = previous is null || previous.Frame < LastPoapFrame(client) || previous.Version != announcement.Version
            || previous.Hostname != announcement.Hostname || previous.Via != announcement.Via;
        client.Announced = previous is not null && previous.Via == "CDP" && announcement.Via == "LLDP" && previous.Frame >= LastPoapFrame(client)
            ? previous with { Hostname = previous.Hostname ?? announcement.Hostname, Version = previous.Version ?? announcement.Version }
            : announcement;
        if (client.Current is { Ending: null } attempt && attempt.Downloads.Count > 0)
        {
            EndAttempt(client, attempt, "announced", frame);
        }
        if (news)
        {
            AddFact(client, frame, announcement.Via.ToLowerInvariant(), text);
        }
    }

    private static long LastPoapFrame(Client client) =>
        client.Current is { } a ? Math.Max(a.StartFrame, a.Downloads.Count > 0 ? a.Downloads[^1].EndFrame : 0) : 0;

    /// <summary>NX-OS's CDP Device-ID: the system name, then the serial in parentheses.</summary>
    internal static (string? Hostname, string? Serial) SplitDeviceId(string? deviceId)
    {
        if (deviceId is null)
        {
            return (null, null);
        }
        var open = deviceId.LastIndexOf('(');
        if (open > 0 && deviceId.EndsWith(')'))
        {
            return (deviceId[..open], deviceId[(open + 1)..^1]);
        }
        return (deviceId, null);
    }

    /// <summary>The version in an NX-OS version text ("... Software, Version 10.3(6)"), or null.</summary>
    internal static string? VersionOf(string? text) =>
        text is not null && VersionPattern().Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"Version\s+([0-9][0-9A-Za-z.()]*)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex VersionPattern();
}
