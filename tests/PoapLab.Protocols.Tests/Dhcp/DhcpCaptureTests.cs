using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using System.Text.RegularExpressions;
using PoapLab.Protocols.Dhcp;
using PoapLab.Protocols.Tests.Support;

namespace PoapLab.Protocols.Tests.Dhcp;

/// <summary>DHCPv4 decoding checked field by field against tcpdump's decode of the same captures.</summary>
public sealed partial class DhcpCaptureTests
{
    public static TheoryData<string, string> Captures() => new()
    {
        { "dhcp-rfc5859.pcap", "dhcp-rfc5859-v.out" },
        { "dhcp-rfc3004.pcap", "dhcp-rfc3004-v.out" },
        { "dhcp-option-33.pcap", "dhcp-option-33.out" },
        { "dhcp-option-108.pcapng", "dhcp-option-108.out" },
        { "dhcp-rfc4388.pcap", "dhcp-rfc4388.out" },
        { "dhcp-mud.pcap", "dhcp-mud.out" },
        { "dhcpv4v6-rfc5970-rfc8572.pcap", "dhcpv4v6-rfc5970-rfc8572.out" },
    };

    [Theory]
    [MemberData(nameof(Captures))]
    public void Decode_RealCapture_AgreesWithTcpdump(string capture, string decode)
    {
        var checkedOptions = 0;
        var messages = 0;
        foreach (var (message, tcpdump) in DhcpPackets(capture, decode))
        {
            messages++;
            var text = tcpdump.Text;
            message.Operation.ShouldBe(text.Contains("BOOTP/DHCP, Request", StringComparison.Ordinal) ? BootpOperation.Request : BootpOperation.Reply);
            message.TransactionId.ShouldBe(uint.Parse(Match(text, @"xid 0x([0-9a-f]+)"), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            message.Hops.ShouldBe(byte.Parse(Match(text, @", hops (\d+)", "0"), CultureInfo.InvariantCulture));
            message.ClientMac.ShouldBe(PhysicalAddress.Parse(Match(text, @"Client-Ethernet-Address ([0-9a-f:]+)").Replace(':', '-')));
            message.ClientAddress.ShouldBe(IPAddress.Parse(Match(text, @"Client-IP ([\d.]+)", "0.0.0.0")));
            message.YourAddress.ShouldBe(IPAddress.Parse(Match(text, @"Your-IP ([\d.]+)", "0.0.0.0")));
            message.NextServerAddress.ShouldBe(IPAddress.Parse(Match(text, @"Server-IP ([\d.]+)", "0.0.0.0")));
            message.RelayAgentAddress.ShouldBe(IPAddress.Parse(Match(text, @"Gateway-IP ([\d.]+)", "0.0.0.0")));
            var type = Match(text, @"DHCP-Message \(53\), length 1: (\w+)");
            message.MessageType.ShouldNotBeNull();
            message.MessageType.Value.ToString().ShouldBe(type, StringCompareShould.IgnoreCase);
            checkedOptions += CheckOptions(message, tcpdump.Lines);
        }
        messages.ShouldBeGreaterThan(0);
        checkedOptions.ShouldBeGreaterThan(messages);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void EncodeDecode_RealCapture_RoundTrips(string capture, string decode)
    {
        foreach (var (message, _) in DhcpPackets(capture, decode))
        {
            var encoded = message.Encode();
            var again = DhcpMessage.Decode(encoded);

            again.ShouldBe(message);
            again.GetHashCode().ShouldBe(message.GetHashCode());
            encoded.Length.ShouldBeGreaterThanOrEqualTo(DhcpMessage.MinimumLength);
        }
    }

    [Fact]
    public void Decode_Rfc5859Ack_TypedGettersGivePoapFields()
    {
        var (ack, _) = DhcpPackets("dhcp-rfc5859.pcap", "dhcp-rfc5859-v.out").Last();

        ack.MessageType.ShouldBe(DhcpMessageType.Ack);
        ack.GetAddresses(DhcpOption.TftpServerAddress).ShouldBe([IPAddress.Parse("192.168.1.10"), IPAddress.Parse("192.168.1.11")]);
        ack.GetAddress(DhcpOption.ServerIdentifier).ShouldBe(IPAddress.Parse("192.168.1.1"));
        ack.GetUInt32(DhcpOption.LeaseTime).ShouldBe(43200u);
        ack.GetByte(DhcpOption.MessageType).ShouldBe((byte)5);
        ack.Has(DhcpOption.BootfileName).ShouldBeFalse();
        ack.GetString(DhcpOption.BootfileName).ShouldBeNull();
        Should.Throw<ProtocolException>(() => ack.GetAddress(DhcpOption.TftpServerAddress));
        ack.Describe().ShouldStartWith("DHCPACK xid=0xde549277 chaddr=00:0c:29:1f:74:06 yiaddr=192.168.1.4");
        ack.Describe().ShouldContain("150=192.168.1.10,192.168.1.11");
    }

    [Theory]
    [InlineData("bootp_asan.pcap")]
    [InlineData("bootp_asan-2.pcap")]
    public void Decode_AsanCaptures_RejectedWithProtocolExceptionOnly(string capture)
    {
        var path = TcpdumpCaptures.PathOf(capture);
        foreach (var packet in CaptureReplay.Read(path))
        {
            CaptureReplay.TryGetUdp(packet, out _).ShouldBeFalse();
            // Also hand the DHCP decoder whatever follows the Ethernet/IPv4/UDP headers.
            var ex = Should.Throw<ProtocolException>(() => DhcpMessage.Decode(packet.Data.AsSpan(Math.Min(42, packet.Data.Length))));
            ex.Protocol.ShouldBe("DHCPv4");
            ex.Offset.ShouldBeGreaterThanOrEqualTo(0);
        }
        foreach (var oobr in Directory.GetFiles(TcpdumpCaptures.Directory, "*oobr*.pcap"))
        {
            foreach (var packet in CaptureReplay.Read(oobr))
            {
                try
                {
                    if (CaptureReplay.TryGetUdp(packet, out var udp))
                    {
                        DhcpMessage.Decode(udp.Payload);
                    }
                }
                catch (ProtocolException ex)
                {
                    ex.Offset.ShouldBeGreaterThanOrEqualTo(0);
                }
            }
        }
    }

    private static IEnumerable<(DhcpMessage Message, TcpdumpPacket Tcpdump)> DhcpPackets(string capture, string decode)
    {
        var packets = CaptureReplay.Read(TcpdumpCaptures.PathOf(capture));
        var expected = TcpdumpCaptures.ReadOut(decode);
        packets.Count.ShouldBe(expected.Count);
        for (var i = 0; i < packets.Count; i++)
        {
            if (!expected[i].Text.Contains("BOOTP/DHCP", StringComparison.Ordinal))
            {
                continue;
            }
            CaptureReplay.TryGetUdp(packets[i], out var udp).ShouldBeTrue();
            if (!expected[i].Text.Contains("Magic Cookie 0x63825363", StringComparison.Ordinal))
            {
                // tcpdump shows such packets as plain BOOTP with an unknown vendor area
                // ("Vendor-#0x53633501"); DHCP requires the cookie (RFC 2131 §3).
                Should.Throw<ProtocolException>(() => DhcpMessage.Decode(udp.Payload)).Offset.ShouldBe(236);
                continue;
            }
            DhcpMessage message;
            try
            {
                message = DhcpMessage.Decode(udp.Payload);
            }
            catch (ProtocolException ex)
            {
                throw new Xunit.Sdk.XunitException($"packet {i + 1} ({udp.Payload.Length} bytes): {ex.Message}");
            }
            yield return (message, expected[i]);
        }
    }

    private static int CheckOptions(DhcpMessage message, IReadOnlyList<string> lines)
    {
        var checkedCount = 0;
        var start = lines.ToList().FindIndex(l => l.Contains("Magic Cookie", StringComparison.Ordinal));
        for (var i = start + 1; i < lines.Count; i++)
        {
            var m = OptionLine().Match(lines[i]);
            if (!m.Success)
            {
                continue;
            }
            var code = (DhcpOption)byte.Parse(m.Groups["code"].Value, CultureInfo.InvariantCulture);
            var length = int.Parse(m.Groups["len"].Value, CultureInfo.InvariantCulture);
            var value = m.Groups["value"].Value.Trim();
            if (code == DhcpOption.End)
            {
                continue;
            }
            var continuation = lines.Skip(i + 1).TakeWhile(l => !OptionLine().IsMatch(l)).ToList();
            var raw = message.GetRaw(code);
            raw.ShouldNotBeNull($"option {(byte)code}");
            raw.Value.Length.ShouldBe(length, $"option {(byte)code}");
            var expected = ExpectedBytes(code, length, value, continuation);
            if (expected is not null)
            {
                raw.Value.ToArray().ShouldBe(expected, $"option {(byte)code}: {value}");
            }
            if (value.StartsWith('"') && !value.Contains('^', StringComparison.Ordinal))
            {
                message.GetString(code).ShouldBe(value.Trim('"'));
            }
            checkedCount++;
        }
        return checkedCount;
    }

    /// <summary>The bytes tcpdump's text implies, where that text is simple enough to invert.</summary>
    private static byte[]? ExpectedBytes(DhcpOption code, int length, string value, List<string> continuation)
    {
        if (AddressList().IsMatch(value))
        {
            return [.. value.Split(',').SelectMany(a => IPAddress.Parse(a).GetAddressBytes())];
        }
        if (code != DhcpOption.MessageType && Number().IsMatch(value) && length is 1 or 2 or 4)
        {
            var n = uint.Parse(value, CultureInfo.InvariantCulture);
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, n);
            return bytes[(4 - length)..];
        }
        if (value.StartsWith('"') && !value.Contains('^', StringComparison.Ordinal))
        {
            return Encoding.ASCII.GetBytes(value.Trim('"'));
        }
        if (value.StartsWith("ether ", StringComparison.Ordinal))
        {
            // RFC 2132 §9.14: type 1 (Ethernet) followed by the MAC.
            return [1, .. PhysicalAddress.Parse(value[6..].Replace(':', '-')).GetAddressBytes()];
        }
        if (code == DhcpOption.ParameterRequestList)
        {
            return [.. continuation.SelectMany(l => CodeInParens().Matches(l)).Select(c => byte.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture))];
        }
        if (code == DhcpOption.UserClass)
        {
            // RFC 3004 §4: each instance is a length byte and its data.
            return [.. continuation.Select(l => UserClassInstance().Match(l)).Where(x => x.Success).SelectMany(x => (byte[])[(byte)x.Groups[1].Value.Length, .. Encoding.ASCII.GetBytes(x.Groups[1].Value)])];
        }
        return null;
    }

    private static string Match(string text, string pattern, string? fallback = null)
    {
        var m = Regex.Match(text, pattern);
        if (!m.Success)
        {
            fallback.ShouldNotBeNull($"tcpdump text lacks {pattern}");
            return fallback;
        }
        return m.Groups[1].Value;
    }

    [GeneratedRegex(@"^\s+[\w-]+ \((?<code>\d+)\), length (?<len>\d+):?(?<value>.*)$")]
    private static partial Regex OptionLine();

    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+(,\d+\.\d+\.\d+\.\d+)*$")]
    private static partial Regex AddressList();

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex Number();

    [GeneratedRegex(@"\((\d+)\)")]
    private static partial Regex CodeInParens();

    [GeneratedRegex(@"instance#\d+: ""([^""]*)"", length \d+")]
    private static partial Regex UserClassInstance();
}
