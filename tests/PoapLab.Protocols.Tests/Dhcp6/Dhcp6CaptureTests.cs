using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using PoapLab.Protocols.Dhcp6;
using PoapLab.Protocols.Tests.Support;

namespace PoapLab.Protocols.Tests.Dhcp6;

/// <summary>DHCPv6 decoding checked field by field against tcpdump's decode of the same captures.</summary>
public sealed class Dhcp6CaptureTests
{
    // tcpdump's names (print-dhcp6.c) for message types and options.
    private static readonly Dictionary<string, Dhcp6MessageType> TypeNames = new(StringComparer.Ordinal)
    {
        ["solicit"] = Dhcp6MessageType.Solicit,
        ["advertise"] = Dhcp6MessageType.Advertise,
        ["request"] = Dhcp6MessageType.Request,
        ["confirm"] = Dhcp6MessageType.Confirm,
        ["renew"] = Dhcp6MessageType.Renew,
        ["rebind"] = Dhcp6MessageType.Rebind,
        ["reply"] = Dhcp6MessageType.Reply,
        ["release"] = Dhcp6MessageType.Release,
        ["decline"] = Dhcp6MessageType.Decline,
        ["reconfigure"] = Dhcp6MessageType.Reconfigure,
        ["inf-req"] = Dhcp6MessageType.InformationRequest,
        ["relay-fwd"] = Dhcp6MessageType.RelayForward,
        ["relay-reply"] = Dhcp6MessageType.RelayReply,
    };

    private static readonly Dictionary<string, ushort> OptionNames = new(StringComparer.Ordinal)
    {
        ["client-ID"] = 1,
        ["server-ID"] = 2,
        ["IA_NA"] = 3,
        ["IA_TA"] = 4,
        ["IA_ADDR"] = 5,
        ["option-request"] = 6,
        ["preference"] = 7,
        ["elapsed-time"] = 8,
        ["relay-message"] = 9,
        ["status-code"] = 13,
        ["rapid-commit"] = 14,
        ["user-class"] = 15,
        ["vendor-class"] = 16,
        ["vendor-specific-info"] = 17,
        ["interface-ID"] = 18,
        ["reconfigure-accept"] = 20,
        ["SIP-servers-domain"] = 21,
        ["DNS-server"] = 23,
        ["DNS-search-list"] = 24,
        ["IA_PD"] = 25,
        ["IA_PD-prefix"] = 26,
        ["SNTP-servers"] = 31,
        ["Client-FQDN"] = 39,
        ["NTP-server"] = 56,
        ["Bootfile-URL"] = 59,
        ["AFTR-Name"] = 64,
        ["MUD-URL"] = 112,
        ["SZTP-redirect"] = 136,
    };

    public static TheoryData<string, string> Captures() => new()
    {
        { "dhcpv6-ia-na.pcap", "dhcpv6-ia-na.out" },
        { "dhcpv6-ia-pd.pcap", "dhcpv6-ia-pd.out" },
        { "dhcpv6-ia-ta.pcap", "dhcpv6-ia-ta.out" },
        { "dhcpv6-AFTR-Name-RFC6334.pcap", "dhcpv6-AFTR-Name-RFC6334.out" },
        { "dhcpv6-domain-list.pcap", "dhcpv6-domain-list.out" },
        { "dhcpv6-ntp-server.pcap", "dhcpv6-ntp-server.out" },
        { "dhcpv6-sip-server-d.pcap", "dhcpv6-sip-server-d.out" },
        { "dhcpv6-mud.pcap", "dhcpv6-mud.out" },
        { "dhcpv6-rfc6355-duid-uuid.pcap", "dhcpv6-rfc6355-duid-uuid.out" },
        { "dhcpv6-rfc8415-duid-type2.pcap", "dhcpv6-rfc8415-duid-type2.out" },
        { "dhcpv6-vendor-specific-information.pcap", "dhcpv6-vendor-specific-information-vv.out" },
        { "dhcpv6-vendor-specific-information.pcap", "dhcpv6-vendor-specific-information.out" },
        { "dhcpv4v6-rfc5970-rfc8572.pcap", "dhcpv4v6-rfc5970-rfc8572.out" },
    };

    [Theory]
    [MemberData(nameof(Captures))]
    public void Decode_RealCapture_AgreesWithTcpdump(string capture, string decode)
    {
        var messages = 0;
        var options = 0;
        foreach (var (message, tree) in Dhcp6Packets(capture, decode))
        {
            messages++;
            options += CheckMessage(message, tree);
        }
        messages.ShouldBeGreaterThan(0);
        options.ShouldBeGreaterThan(messages * 2);
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void EncodeDecode_RealCapture_RoundTripsByteForByte(string capture, string decode)
    {
        var packets = CaptureReplay.Read(TcpdumpCaptures.PathOf(capture));
        var expected = TcpdumpCaptures.ReadOut(decode);
        var count = 0;
        for (var i = 0; i < packets.Count; i++)
        {
            if (!expected[i].Text.Contains(" dhcp6 ", StringComparison.Ordinal))
            {
                continue;
            }
            CaptureReplay.TryGetUdp(packets[i], out var udp).ShouldBeTrue();
            var message = Dhcp6Message.Decode(udp.Payload);
            var encoded = message.Encode();

            encoded.ShouldBe(udp.Payload);
            var again = Dhcp6Message.Decode(encoded);
            again.ShouldBe(message);
            again.GetHashCode().ShouldBe(message.GetHashCode());
            count++;
        }
        count.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Decode_Rfc5970Advertise_TypedAccessorsGiveBootfileUrlAndAddress()
    {
        var (advertise, _) = Dhcp6Packets("dhcpv4v6-rfc5970-rfc8572.pcap", "dhcpv4v6-rfc5970-rfc8572.out")
            .First(p => p.Message.BootfileUrl is not null);

        advertise.MessageType.ShouldBe(Dhcp6MessageType.Advertise);
        advertise.TransactionId.ShouldBe(0x654242u);
        advertise.BootfileUrl.ShouldBe("my-startup-config");
        advertise.DnsServers.ShouldBe([IPAddress.Parse("1234:5678::2")]);
        advertise.DomainList.ShouldBe(["aristanetworks.com"]);
        var ia = advertise.IaNa.ShouldHaveSingleItem();
        ia.Iaid.ShouldBe(16842752u);
        var address = ia.Addresses.ShouldHaveSingleItem();
        address.Address.ShouldBe(IPAddress.Parse("1234:5678::4"));
        address.PreferredLifetime.ShouldBe(18000u);
        address.ValidLifetime.ShouldBe(28800u);
        advertise.ServerId!.Type.ShouldBe(Dhcp6DuidType.LinkLayerPlusTime);
        advertise.ServerId.Time.ShouldBe(701792110u);
        advertise.ServerId.LinkLayerAddress!.ToString().ShouldBe("42D361623810");
        advertise.Describe().ShouldStartWith("Advertise xid=0x654242 3=IaNa iaid 16842752 T1 0 T2 0 [1234:5678::4 pltime 18000 vltime 28800]");
        advertise.Describe().ShouldContain("59=my-startup-config");
    }

    [Fact]
    public void Decode_UuidAndEnterpriseDuids_FieldsReadOut()
    {
        var (renew, _) = Dhcp6Packets("dhcpv6-rfc6355-duid-uuid.pcap", "dhcpv6-rfc6355-duid-uuid.out").First();
        var (request, _) = Dhcp6Packets("dhcpv6-rfc8415-duid-type2.pcap", "dhcpv6-rfc8415-duid-type2.out").Single();

        renew.ClientId!.Type.ShouldBe(Dhcp6DuidType.Uuid);
        renew.ClientId.Uuid.ShouldBe(Guid.Parse("a256e92e-40ab-d0d2-a3ab-3b3ff2ff8998"));
        renew.ServerId!.Type.ShouldBe(Dhcp6DuidType.LinkLayer);
        renew.ServerId.LinkLayerAddress!.ToString().ShouldBe("A021B7E0D871");
        request.ClientId!.Type.ShouldBe(Dhcp6DuidType.Enterprise);
        request.ClientId.EnterpriseNumber.ShouldBe(30065u);
        Encoding.ASCII.GetString(request.ClientId.Identifier.AsSpan()).ShouldBe("HSH14425148");
        request.UserClasses!.Select(u => Encoding.ASCII.GetString(u.AsSpan())).ShouldBe(["Arista"]);
        request.OptionRequest.ShouldBe([Dhcp6Option.BootfileUrl, Dhcp6Option.SztpRedirect, Dhcp6Option.DomainList, Dhcp6Option.DnsServers]);
    }

    [Fact]
    public void Decode_RelayForward_NestedRequestReadable()
    {
        var (relay, _) = Dhcp6Packets("dhcpv6-vendor-specific-information.pcap", "dhcpv6-vendor-specific-information-vv.out").Single();

        relay.IsRelay.ShouldBeTrue();
        relay.HopCount.ShouldBe((byte)1);
        relay.LinkAddress.ShouldBe(IPAddress.Parse("fc00:502:411:1::1"));
        var inner = relay.RelayedMessage.ShouldNotBeNull();
        inner.MessageType.ShouldBe(Dhcp6MessageType.Request);
        inner.TransactionId.ShouldBe(0xd98c5du);
        inner.VendorClasses.ShouldHaveSingleItem().EnterpriseNumber.ShouldBe(4491u);
        var vendor = inner.VendorOptions.ShouldHaveSingleItem();
        vendor.SubOptions.Single(s => s.Code == 10).Data.ShouldBe("Cisco"u8.ToArray());
        inner.IaNa.ShouldHaveSingleItem().Addresses.ShouldHaveSingleItem().Address.ShouldBe(IPAddress.Parse("fc00:502:411:1::31"));
    }

    [Fact]
    public void Decode_ReconfAsanCapture_RejectedWithProtocolExceptionOnly()
    {
        var packets = CaptureReplay.Read(TcpdumpCaptures.PathOf("dhcp6_reconf_asan.pcap"));
        packets.ShouldNotBeEmpty();
        foreach (var packet in packets)
        {
            // The IPv4 total length (768) runs past the 92 captured bytes.
            CaptureReplay.TryGetUdp(packet, out _).ShouldBeFalse();
            // What follows Ethernet (14), IPv4 with options (28) and UDP (8): a Relay-reply
            // carrying two Reconfigure Message options of length 0 (RFC 8415 §21.19 says 1).
            var ex = Should.Throw<ProtocolException>(() => Dhcp6Message.Decode(packet.Data.AsSpan(50)));
            ex.Protocol.ShouldBe("DHCPv6");
            ex.Offset.ShouldBe(36);
            // Every cut of it is refused the same way, never with another exception.
            for (var cut = 50; cut < packet.Data.Length; cut++)
            {
                Should.Throw<ProtocolException>(() => Dhcp6Message.Decode(packet.Data.AsSpan(cut, packet.Data.Length - cut)));
            }
        }
        foreach (var oobr in Directory.GetFiles(TcpdumpCaptures.Directory, "*oobr*.pcap"))
        {
            foreach (var packet in CaptureReplay.Read(oobr))
            {
                try
                {
                    if (CaptureReplay.TryGetUdp(packet, out var udp))
                    {
                        Dhcp6Message.Decode(udp.Payload);
                    }
                }
                catch (ProtocolException ex)
                {
                    ex.Offset.ShouldBeGreaterThanOrEqualTo(0);
                }
            }
        }
    }

    private static IEnumerable<(Dhcp6Message Message, TcpdumpNode Tree)> Dhcp6Packets(string capture, string decode)
    {
        var packets = CaptureReplay.Read(TcpdumpCaptures.PathOf(capture));
        var expected = TcpdumpCaptures.ReadOut(decode);
        packets.Count.ShouldBe(expected.Count);
        for (var i = 0; i < packets.Count; i++)
        {
            var text = expected[i].Text;
            var at = text.IndexOf(" dhcp6 ", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }
            CaptureReplay.TryGetUdp(packets[i], out var udp).ShouldBeTrue();
            Dhcp6Message message;
            try
            {
                message = Dhcp6Message.Decode(udp.Payload);
            }
            catch (ProtocolException ex)
            {
                throw new Xunit.Sdk.XunitException($"packet {i + 1} ({udp.Payload.Length} bytes): {ex.Message}");
            }
            yield return (message, TcpdumpNode.ParseMessage(text[(at + 7)..]));
        }
    }

    /// <summary>Checks a message against a node whose head is the type word; returns the options checked.</summary>
    private static int CheckMessage(Dhcp6Message message, TcpdumpNode node)
    {
        message.MessageType.ShouldBe(TypeNames[node.Head.Trim()]);
        var content = node.Children.ShouldHaveSingleItem();
        if (message.IsRelay)
        {
            content.Head.Trim().ShouldBe($"linkaddr={message.LinkAddress} peeraddr={message.PeerAddress}");
        }
        else
        {
            content.Head.Trim().ShouldBe($"xid={message.TransactionId:x}");
        }
        return CheckOptions(message.Options, content.Children);
    }

    private static int CheckOptions(IReadOnlyList<Dhcp6OptionValue> options, IReadOnlyList<TcpdumpNode> printed)
    {
        // tcpdump closes a relay-message group late, so options after it print inside it.
        var nodes = printed.SelectMany(n => n.Name == "relay-message" && n.Children.Count > 1
            ? [n with { Children = [n.Children[0]] }, .. n.Children.Skip(1)]
            : new[] { n }).ToList();
        options.Select(o => (ushort)o.Code).ShouldBe(nodes.Select(n => OptionNames[n.Name]), $"options {string.Join(' ', nodes.Select(n => n.Name))}");
        var count = 0;
        for (var i = 0; i < options.Count; i++)
        {
            count += CheckOption(options[i], nodes[i]);
        }
        return count;
    }

    private static int CheckOption(Dhcp6OptionValue option, TcpdumpNode node)
    {
        var data = option.Data.AsSpan();
        var rest = node.Rest;
        var nested = 0;
        switch (option.Code)
        {
            case Dhcp6Option.ClientId or Dhcp6Option.ServerId:
                rest.ShouldBe(TcpdumpDuid(Dhcp6Duid.Decode(data)));
                break;
            case Dhcp6Option.IaNa or Dhcp6Option.IaTa or Dhcp6Option.IaPd:
                var ia = new Dhcp6Message { Options = [option] }.IdentityAssociations(option.Code).Single();
                rest.ShouldBe(option.Code == Dhcp6Option.IaTa ? $"IAID:{ia.Iaid}" : $"IAID:{ia.Iaid} T1:{ia.T1} T2:{ia.T2}");
                nested = CheckOptions(ia.Options, node.Children);
                break;
            case Dhcp6Option.IaAddress:
                var address = Dhcp6Message.Decode(IaProbe(Dhcp6OptionValue.IaNa(1, 0, 0, option))).IaNa[0].Addresses[0];
                var fields = rest.Split(' ');
                IPAddress.Parse(fields[0]).ShouldBe(address.Address);
                fields[1..].ShouldBe([$"pltime:{address.PreferredLifetime}", $"vltime:{address.ValidLifetime}"]);
                nested = CheckOptions(address.Options, node.Children);
                break;
            case Dhcp6Option.IaPrefix:
                var prefix = Dhcp6Message.Decode(IaProbe(Dhcp6OptionValue.Ia(Dhcp6Option.IaPd, 1, 0, 0, [option]))).IdentityAssociations(Dhcp6Option.IaPd)[0].Prefixes[0];
                rest.ShouldBe($"{prefix.Prefix}/{prefix.PrefixLength} pltime:{prefix.PreferredLifetime} vltime:{prefix.ValidLifetime}");
                nested = CheckOptions(prefix.Options, node.Children);
                break;
            case Dhcp6Option.OptionRequest:
                var requested = new Dhcp6Message { Options = [option] }.OptionRequest!;
                requested.Select(c => (ushort)c).ShouldBe(rest.Split(' ').Select(n => n.StartsWith("opt_", StringComparison.Ordinal) ? ushort.Parse(n[4..], CultureInfo.InvariantCulture) : OptionNames[n]));
                break;
            case Dhcp6Option.ElapsedTime:
                new Dhcp6Message { Options = [option] }.ElapsedTime.ShouldBe(ushort.Parse(rest, CultureInfo.InvariantCulture));
                break;
            case Dhcp6Option.Preference:
                new Dhcp6Message { Options = [option] }.Preference.ShouldBe(byte.Parse(rest, CultureInfo.InvariantCulture));
                break;
            case Dhcp6Option.RelayMessage:
                nested = CheckMessage(Dhcp6Message.Decode(data), node.Children.ShouldHaveSingleItem().WithoutPrefix("dhcp6 "));
                break;
            case Dhcp6Option.RapidCommit or Dhcp6Option.ReconfigureAccept:
                data.Length.ShouldBe(0);
                rest.ShouldBe("");
                break;
            case Dhcp6Option.UserClass:
                var classes = new Dhcp6Message { Options = [option] }.UserClasses!;
                string.Join(';', classes.Select(c => Encoding.ASCII.GetString(c.AsSpan()))).ShouldBe(rest);
                break;
            case Dhcp6Option.VendorClass:
                var vendorClass = new Dhcp6Message { Options = [option] }.VendorClasses.Single();
                rest.ShouldBe($"enterprise {vendorClass.EnterpriseNumber}");
                node.Children.Select(c => c.Head.Trim()).ShouldBe(vendorClass.Data.Select(d => $"len {d.Length} data {Encoding.ASCII.GetString(d.AsSpan())}"));
                break;
            case Dhcp6Option.VendorOpts:
                var vendor = new Dhcp6Message { Options = [option] }.VendorOptions.Single();
                rest.ShouldBe($"enterprise {vendor.EnterpriseNumber}");
                node.Children.Count.ShouldBe(vendor.SubOptions.Length);
                for (var s = 0; s < vendor.SubOptions.Length; s++)
                {
                    var sub = vendor.SubOptions[s];
                    var text = node.Children[s].Head.Trim();
                    var hex = Convert.ToHexStringLower(sub.Data.AsSpan());
                    // tcpdump -v cuts the data after 10 bytes and adds "...".
                    var shown = text.EndsWith("...", StringComparison.Ordinal) ? hex[..(text.Length - text.LastIndexOf(' ') - 4)] + "..." : hex;
                    text.ShouldBe($"code {sub.Code} len {sub.Data.Length} data {shown}");
                }
                break;
            case Dhcp6Option.InterfaceId:
                rest.ShouldBe(Convert.ToHexStringLower(data));
                break;
            case Dhcp6Option.DnsServers:
                new Dhcp6Message { Options = [option] }.DnsServers.ShouldBe(rest.Split(' ').Select(IPAddress.Parse));
                break;
            case Dhcp6Option.DomainList:
                string.Join(' ', new Dhcp6Message { Options = [option] }.DomainList!.Select(n => n + ".")).ShouldBe(rest);
                break;
            case Dhcp6Option.SipServersDomain or Dhcp6Option.AftrName:
                var names = new Dhcp6Message { Options = [option with { Code = Dhcp6Option.DomainList }] }.DomainList!;
                // tcpdump ends list names with a dot but prints the single AFTR name without one.
                string.Join(' ', names.Select(n => option.Code == Dhcp6Option.AftrName ? n : n + ".")).ShouldBe(rest);
                break;
            case Dhcp6Option.NtpServer:
                var ntp = new Dhcp6Message { Options = [option] }.NtpServers!;
                string.Join(' ', ntp.Select(s => $"subopt:{(ushort)s.Kind} {s.Value}{(s.Kind == Dhcp6NtpServerKind.Fqdn ? "." : "")}")).ShouldBe(rest);
                break;
            case Dhcp6Option.BootfileUrl:
                new Dhcp6Message { Options = [option] }.BootfileUrl.ShouldBe(rest);
                break;
            case Dhcp6Option.MudUrl:
                Encoding.UTF8.GetString(data).ShouldBe(rest);
                break;
            case Dhcp6Option.SztpRedirect:
                // RFC 8572 §8.3: a list of (uri-length, URI).
                var uris = new List<string>();
                for (var p = 0; p < data.Length;)
                {
                    int length = BinaryPrimitives.ReadUInt16BigEndian(data[p..]);
                    uris.Add(Encoding.UTF8.GetString(data.Slice(p + 2, length)));
                    p += 2 + length;
                }
                string.Join(',', uris).ShouldBe(rest);
                break;
            case Dhcp6Option.ClientFqdn:
                // tcpdump prints only the name.
                break;
            default:
                throw new Xunit.Sdk.XunitException($"option {(ushort)option.Code} is not compared");
        }
        return 1 + nested;
    }

    private static byte[] IaProbe(Dhcp6OptionValue ia) => new Dhcp6Message { Options = [ia] }.Encode();

    // print-dhcp6.c: DUID-LLT "hwaddr/time type T time N <hex>", DUID-EN "enterprise N <hex>",
    // DUID-LL "hwaddr type T <hex>", DUID-UUID "uuid <hex>".
    private static string TcpdumpDuid(Dhcp6Duid duid) => duid.Type switch
    {
        Dhcp6DuidType.LinkLayerPlusTime => $"hwaddr/time type {duid.HardwareType} time {duid.Time} {Convert.ToHexStringLower(duid.Identifier.AsSpan())}",
        Dhcp6DuidType.Enterprise => $"enterprise {duid.EnterpriseNumber} {Convert.ToHexStringLower(duid.Identifier.AsSpan())}",
        Dhcp6DuidType.LinkLayer => $"hwaddr type {duid.HardwareType} {Convert.ToHexStringLower(duid.Identifier.AsSpan())}",
        Dhcp6DuidType.Uuid => $"uuid {Convert.ToHexStringLower(duid.Identifier.AsSpan())}",
        _ => throw new Xunit.Sdk.XunitException($"DUID type {duid.Type}"),
    };
}

internal static class TcpdumpNodeExtensions
{
    public static TcpdumpNode WithoutPrefix(this TcpdumpNode node, string prefix)
    {
        var head = node.Head.TrimStart();
        return head.StartsWith(prefix, StringComparison.Ordinal) ? node with { Head = head[prefix.Length..] } : node;
    }
}
