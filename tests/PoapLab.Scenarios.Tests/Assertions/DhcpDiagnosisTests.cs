using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Assertions;
using PoapLab.Switch.Poap;

namespace PoapLab.Scenarios.Tests.Assertions;

/// <summary>
/// The DHCP side of the diagnosis: each sentence follows from what the switch received, what it
/// sent, and what a real server printed or was configured with — the words a user reads.
/// </summary>
public sealed class DhcpDiagnosisTests
{
    private const string ClientId = "0046444f3233343930353730";
    private static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");

    private static SwitchRunRecord Run(params LabEvent[] events) =>
        new("leaf-101",
            new PoapRunResult(PoapOutcome.Failed, [new PoapAttempt(1, 1, PoapPhase.Dhcp, false, "no DHCP server answered", null)], 0, "9.3(8)", "nxos.9.3.8.bin",
                ImmutableSortedSet.Create(PoapPhase.Boot, PoapPhase.Dhcp), null),
            [Event(EventKinds.DhcpDiscoverSent, ("client_id", ClientId), ("user_class", "Cisco-POAP")), .. events], [], [], "");

    private static LabEvent Event(string kind, params (string Key, string Value)[] data) =>
        new(1, TimeSpan.Zero, TimeSpan.Zero, "switch:leaf-101", kind, kind, data.ToImmutableDictionary(d => d.Key, d => d.Value));

    private static LabEvent Refused(string reason, string options, params (string Key, string Value)[] more) =>
        Event(EventKinds.DhcpOfferRejected, [("server", "10.0.0.1"), ("address", "10.0.0.100"), ("reason", reason), ("options", options), .. more]);

    private static LabEvent Ack(string server = "10.0.0.1", string address = "10.0.0.101", params (string Key, string Value)[] more) =>
        Event(EventKinds.DhcpAckReceived, [("server", server), ("address", address), ("lease_s", "86400"), ("options", "53;54=10.0.0.1;51=86400;67=poap_nexus.py;150=10.0.0.1"), .. more]);

    [Fact]
    public void Explain_OfferWithOnlyNextServer_NamesSiaddrAndTheDnsmasqOption()
    {
        var lines = DhcpDiagnosis.Explain(Run(Refused("Missing Script Server information", "53;54=10.0.0.1;51=86400;67=poap_nexus.py", ("next_server", "10.0.0.1"))), [],
            [new DhcpServerFacts(Server, "dnsmasq", "dhcp-boot=poap_nexus.py,,10.0.0.1\n", "")]);

        lines.ShouldHaveSingleItem().ShouldBe(
            "dhcp: dnsmasq at 10.0.0.1 offered 10.0.0.100 without option 150 (TFTP server address) or 66 (TFTP server name), so the switch refused it: POAP reads the script server only from them. " +
            "The server set only the BOOTP next-server field (siaddr 10.0.0.1), which POAP does not read. Add dhcp-option=150,10.0.0.1 (or dhcp-option=66,\"10.0.0.1\").");
    }

    [Fact]
    public void Explain_NameOnlyInTheFileField_SaysPoapReadsOption67AndGivesIscsOption()
    {
        var lines = DhcpDiagnosis.Explain(Run(Refused("Missing Script Name", "53;54=10.0.0.1;150=10.0.0.1", ("file", "poap_nexus.py"))), [],
            [new DhcpServerFacts(Server, "isc-dhcpd", "filename \"poap_nexus.py\";", "")]);

        lines.ShouldHaveSingleItem().ShouldContain("The name 'poap_nexus.py' was only in the BOOTP file field, which POAP does not read. Add option bootfile-name \"poap_nexus.py\";");
    }

    [Theory]
    [InlineData("dnsmasq", "Make the lease of dnsmasq's dhcp-range (its last field) 1h or more")]
    [InlineData("isc-dhcpd", "Set dhcpd's default-lease-time and max-lease-time to 3600 or more.")]
    [InlineData("kea", "Set Kea's valid-lifetime to 3600 or more.")]
    public void Explain_LeaseUnderAnHour_SaysTheLeaseAndTheServersOwnSetting(string kind, string fix)
    {
        var lines = DhcpDiagnosis.Explain(Run(Refused("Lease time 1800 s is below the minimum of 3600 s", "53;51=1800")), [], [new DhcpServerFacts(Server, kind, "", "")]);

        lines.ShouldHaveSingleItem().ShouldContain("offered 10.0.0.100 for 30 min (1800 s), and the switch refused it: POAP takes no lease shorter than an hour.");
        lines.Single().ShouldContain(fix);
    }

    [Fact]
    public void Explain_IscHostWithoutTheZeroByteAndNoAnswer_NamesTheReservationTheLogAndTheFix()
    {
        const string config = "subnet 10.0.0.0 netmask 255.255.255.0 { }\nhost leaf-101 {\n  option dhcp-client-identifier \"FDO23490570\";\n  fixed-address 10.0.0.101;\n}\n";
        var lines = DhcpDiagnosis.Explain(Run(), [], [new DhcpServerFacts(Server, "isc-dhcpd", config, "DHCPDISCOVER from 00:a1:b2:c3:d4:e5 via eth0: network 10.0.0.0/24: no free leases\n")]);

        lines.ShouldBe([
            "dhcp: no DHCP server answered the switch's 1 DISCOVER(s) (client id 00 46 44 4f 32 33 34 39 30 35 37 30, the zero byte then the serial; user class 'Cisco-POAP').",
            "dhcp: isc-dhcpd at 10.0.0.1 saw the DISCOVERs and logged 'no free leases': it has no address for this client (no range, and no host declaration that matched it).",
            "dhcp: isc-dhcpd at 10.0.0.1 reserves 10.0.0.101 for client id 'FDO23490570', the serial without POAP's leading zero byte; the switch sends 00 46 44 4f 32 33 34 39 30 35 37 30, so the reservation never matches. Write it as option dhcp-client-identifier \"\\000FDO23490570\";.",
        ]);
    }

    [Fact]
    public void Explain_IscHostWithTheZeroByte_NothingSaidAboutTheClientId()
    {
        const string config = "host leaf-101 {\n  option dhcp-client-identifier \"\\000FDO23490570\";\n  fixed-address 10.0.0.101;\n}\n";

        DhcpDiagnosis.Explain(Run(Ack()), [], [new DhcpServerFacts(Server, "isc-dhcpd", config, "")])
            .ShouldNotContain(l => l.Contains("client id", StringComparison.Ordinal));
    }

    [Fact]
    public void Explain_DnsmasqIdAsTextAndTheReservedAddressLeased_SaysHarmlessAndTheExactForm()
    {
        var lines = DhcpDiagnosis.Explain(Run(Ack()), [], [new DhcpServerFacts(Server, "dnsmasq", "dhcp-host=id:FDO23490570,10.0.0.101,leaf-101\n", "")]);

        lines.ShouldContain("dhcp: dnsmasq reserves 10.0.0.101 for client id 'FDO23490570', the serial without POAP's leading zero byte; harmless: dnsmasq also matches a client id that differs only by a leading zero byte, and the switch got 10.0.0.101. Written as id:00:46:44:4f:32:33:34:39:30:35:37:30 it matches exactly.");
    }

    [Fact]
    public void Explain_KeaExitedOnAnUndefinedOption150_QuotesKeaAndGivesTheOptionDef()
    {
        var exited = new LabEvent(1, TimeSpan.Zero, TimeSpan.Zero, "dhcp:10.0.0.1", EventKinds.RealServerExited, "", new Dictionary<string, string>
        {
            ["server"] = "kea-dhcp4 (dhcp:10.0.0.1)",
            ["service"] = "dhcp",
            ["log"] = "2026-12-02 05:58:57.817 ERROR [kea-dhcp4.dhcp4/2.1] DHCP4_PARSER_FAIL failed to create or run parser for configuration element option-data: definition for the option 'dhcp4.' having code '150' does not exist (k.json:9:7)\n",
        });

        var lines = DhcpDiagnosis.Explain(Run(), [exited], [new DhcpServerFacts(Server, "kea", "{}", "")]);

        lines[0].ShouldStartWith("dhcp: kea-dhcp4 (dhcp:10.0.0.1) refused its configuration and never answered: \"DHCP4_PARSER_FAIL failed to create or run parser");
        lines[0].ShouldContain("declare it in \"option-def\" ({ \"name\": \"tftp-server-address\", \"code\": 150, \"type\": \"ipv4-address\", \"array\": true })");
    }

    [Fact]
    public void Explain_KeaOption150OnlyInAClassOnUserClass_NamesTheClassItsTestAndTheBareText()
    {
        const string config = """
            { "Dhcp4": { "client-classes": [ { "name": "cisco-poap", "test": "substring(option[77].hex, 1, 10) == 'Cisco-POAP'",
              "option-data": [ { "name": "tftp-server-address", "data": "10.0.0.1" } ] } ] } }
            """;
        var lines = DhcpDiagnosis.Explain(Run(Refused("Missing Script Server information", "53;54=10.0.0.1")), [], [new DhcpServerFacts(Server, "kea", config, "")]);

        var line = lines.ShouldHaveSingleItem();
        line.ShouldContain("Kea gives option 150 only to client class 'cisco-poap' (test: substring(option[77].hex, 1, 10) == 'Cisco-POAP'), and the switch did not match it.");
        line.ShouldContain("The switch sends option 77 as the bare text 'Cisco-POAP' (10 bytes, no RFC 3004 length byte before it): test option[77].text == 'Cisco-POAP'.");
        line.ShouldNotContain("Give option 150 in option-data");
    }

    [Fact]
    public void Explain_TwoServersAnswered_NamesBothTheOneTakenAndGivesNoFixForTheBystander()
    {
        var rogue = Event(EventKinds.DhcpOfferRejected, ("server", "10.0.0.2"), ("address", "10.0.0.150"), ("reason", "Missing Script Server information"), ("options", "53;54=10.0.0.2"));
        var lines = DhcpDiagnosis.Explain(Run(rogue, Ack(address: "10.0.0.100")), [],
            [new DhcpServerFacts(Server, "isc-dhcpd", "", ""), new DhcpServerFacts(IPAddress.Parse("10.0.0.2"), "kea", "{}", "")]);

        lines.ShouldBe([
            "dhcp: kea at 10.0.0.2 also offered 10.0.0.150, and the switch refused it (Missing Script Server information) and went on to another OFFER.",
            "dhcp: 2 DHCP servers answered on the segment (10.0.0.2, 10.0.0.1); the switch takes the first OFFER that names a script server and a script, and took 10.0.0.1's. A second server on a POAP segment answers every switch: make sure only one has POAP options, or that they agree.",
            "dhcp: leased 10.0.0.100 from isc-dhcpd at 10.0.0.1 for 1 d; script poap_nexus.py from 10.0.0.1.",
        ]);
    }

    [Fact]
    public void Explain_Option67EndsInNul_SaysHarmlessCitingTheRfc()
    {
        var lines = DhcpDiagnosis.Explain(Run(Ack(more: ("nul_terminated", "67"))), [], [new DhcpServerFacts(Server, "dnsmasq", "", "")]);

        lines.ShouldContain("dhcp: option(s) 67 ended in a NUL byte; harmless: RFC 2132 §2 says a receiver must delete trailing NULs, and the switch reads the name without it.");
    }

    [Fact]
    public void Explain_EmbeddedServerAcked_OnlyTheLease()
    {
        DhcpDiagnosis.Explain(Run(Ack()), [], [new DhcpServerFacts(Server, "embedded")])
            .ShouldBe(["dhcp: leased 10.0.0.101 from the DHCP server 10.0.0.1 for 1 d; script poap_nexus.py from 10.0.0.1."]);
    }

    [Fact]
    public void Explain_Dhcp6Reply_TheAddressServerAndBootfileUrl()
    {
        var reply = Event(EventKinds.DhcpAckReceived, ("server", "fe80::1%2"), ("address", "2001:db8::100"), ("family", "ipv6"), ("bootfile_url", "tftp://[2001:db8::1]/poap_nexus.py"));

        DhcpDiagnosis.Explain(Run(reply), [], []).ShouldBe(["dhcp: leased 2001:db8::100 over DHCPv6 from fe80::1%2; script tftp://[2001:db8::1]/poap_nexus.py (option 59)."]);
    }

    [Fact]
    public void Explain_RelayedAnswerWithNoRouteBack_SaysTheServerNeedsARouteToGiaddr()
    {
        var log = "dnsmasq-dhcp[2]: 1 DHCPOFFER(eth0) 10.0.0.101 00:a1:b2:c3:d4:e5\ndnsmasq-dhcp[2]: Error sending DHCP packet to 10.0.0.254: Network is unreachable\n";

        var lines = DhcpDiagnosis.Explain(Run(), [], [new DhcpServerFacts(IPAddress.Parse("10.1.0.1"), "dnsmasq", "", log)]);

        lines[1].ShouldBe("dhcp: dnsmasq at 10.1.0.1 answered, but could not send its answer to 10.0.0.254: 'Network is unreachable'. A server answers a relayed DISCOVER at the relay's giaddr (RFC 2131 §4.1), so its host needs a route back to the switches' subnet through the router.");
    }

    [Fact]
    public void Explain_AckThroughARelay_NamesTheServerByItsIdentifierAndTheRelay()
    {
        var ack = Event(EventKinds.DhcpAckReceived, ("server", "10.0.0.254"), ("address", "10.0.0.101"), ("lease_s", "86400"), ("options", "53;54=10.1.0.1;51=86400;67=poap_nexus.py;150=10.1.0.1"));

        DhcpDiagnosis.Explain(Run(ack), [], [new DhcpServerFacts(IPAddress.Parse("10.1.0.1"), "dnsmasq", "", "")])
            .ShouldBe(["dhcp: leased 10.0.0.101 from dnsmasq at 10.1.0.1 through the relay 10.0.0.254 for 1 d; script poap_nexus.py from 10.1.0.1."]);
    }

    [Fact]
    public void Explain_HostileConfigurationAndLog_BoundedAndNoThrow()
    {
        // A configuration is the user's text: a megabyte of half-open classes, hosts and
        // client ids must neither throw nor take long (every pattern is linear).
        var config = string.Concat(Enumerable.Repeat("{ \"name\": \"a\", \"test\": \"option[77] host x { dhcp-client-identifier \\\"", 20_000))
            + string.Concat(Enumerable.Repeat("dhcp-host=id:FDO23490570,", 10_000));
        var log = string.Concat(Enumerable.Repeat("ERROR line 1: having code '", 10_000));
        var exited = new LabEvent(1, TimeSpan.Zero, TimeSpan.Zero, "dhcp:10.0.0.1", EventKinds.RealServerExited, "", new Dictionary<string, string> { ["server"] = "x", ["service"] = "dhcp", ["log"] = log });
        var clock = Stopwatch.StartNew();

        foreach (var kind in new[] { "dnsmasq", "isc-dhcpd", "kea" })
        {
            DhcpDiagnosis.Explain(Run(Refused("Missing Script Server information", "53")), [exited], [new DhcpServerFacts(Server, kind, config, log)]).ShouldNotBeEmpty();
        }

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
    }
}
