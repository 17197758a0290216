using PoapLab.Lab.Services.Real;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary><c>kind:</c> on a server: the user's real server with its own configuration file.</summary>
public sealed class ScenarioLoaderRealServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-real-").FullName;

    public ScenarioLoaderRealServerTests()
    {
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);
        File.WriteAllText(Path.Combine(_dir, "dnsmasq.conf"), "port=0\n");
        File.SetUnixFileMode(Path.Combine(_dir, "dnsmasq.conf"), (UnixFileMode)0b110_100_100);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PoapLab.Scenarios.Model.Scenario Parse(string dhcp, string tftp = "{ address: 10.0.0.1 }") => ScenarioLoader.Parse($$"""
        name: real
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp: {{dhcp}}
          tftp: {{tftp}}
        """, Path.Combine(_dir, "s.yaml"));

    [Fact]
    public void Parse_DnsmasqWithItsConfig_RealServerBesideTheScenario()
    {
        var s = Parse("{ kind: dnsmasq, address: 10.0.0.1, subnet: 10.0.0.0/24, config: dnsmasq.conf }", "{ kind: tftpd-hpa, address: 10.0.0.1, args: [--secure, --blocksize, '1468'] }");

        var dhcp = s.Servers.Dhcp.Single().Real.ShouldNotBeNull();
        dhcp.Kind.ShouldBe(RealServerKind.Dnsmasq);
        dhcp.ConfigPath.ShouldBe(Path.Combine(_dir, "dnsmasq.conf"));
        var tftp = s.Servers.Tftp.Single().Real.ShouldNotBeNull();
        tftp.Kind.ShouldBe(RealServerKind.TftpdHpa);
        tftp.Arguments.ShouldBe(["--secure", "--blocksize", "1468"]);
        s.HasRealServers.ShouldBeTrue();
    }

    [Fact]
    public void Parse_KeaDhcp6WithItsConfig_RealDhcp6ServerWithItsNextHop()
    {
        var s = ScenarioLoader.Parse("""
            name: s
            switches: [{ name: leaf, serial: FDO1, mac: 00:A1:B2:C3:D4:E5, version: 10.3(3)F }]
            servers:
              dhcp6: { kind: kea, address: 2001:db8::1, next_hop: 2001:db8::fe, config: dnsmasq.conf }
            """, Path.Combine(_dir, "s.yaml"));

        var dhcp6 = s.Servers.Dhcp6.Single();
        dhcp6.Real.ShouldNotBeNull().Kind.ShouldBe(RealServerKind.KeaDhcp6);
        dhcp6.Real.ConfigPath.ShouldBe(Path.Combine(_dir, "dnsmasq.conf"));
        dhcp6.NextHop.ShouldBe(System.Net.IPAddress.Parse("2001:db8::fe"));
        s.HasRealServers.ShouldBeTrue();
        LabSpecs.Services(s, Path.Combine(_dir, "out", "files")).Single().ShouldBeOfType<PoapLab.Lab.Services.Real.RealServiceSpec>().Kind.ShouldBe(PoapLab.Lab.Services.ServiceKind.Dhcp6);
    }

    [Theory]
    [InlineData("{ kind: kea, address: 2001:db8::1 }", "'config' is missing")]
    [InlineData("{ kind: kea, address: 2001:db8::1, config: dnsmasq.conf, bootfile_url: tftp://x/y }", "'bootfile_url' is for PoapLab's embedded server")]
    [InlineData("{ kind: dnsmasq, address: 2001:db8::1, config: dnsmasq.conf }", "'kind' of a DHCPv6 server must be one of embedded, kea")]
    [InlineData("{ kind: kea, address: 2001:db8::1, config: ../../../../../../../etc/shadow }", "'config' must be a regular file")]
    public void Parse_BadRealDhcp6Server_RefusedWithFileAndLine(string dhcp6, string why)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse($$"""
            name: s
            switches: [{ name: leaf, serial: FDO1, mac: 00:A1:B2:C3:D4:E5, version: 10.3(3)F }]
            servers:
              dhcp6: {{dhcp6}}
            """, Path.Combine(_dir, "s.yaml")));

        e.Message.ShouldContain(why);
        e.Message.ShouldContain("s.yaml:");
    }

    private PoapLab.Scenarios.Model.Scenario ParseRelay(string relay) => ScenarioLoader.Parse($$"""
        name: s
        switches: [{ name: leaf, serial: FDO1, mac: 00:A1:B2:C3:D4:E5 }]
        servers:
          relay: {{relay}}
          dhcp: { kind: dnsmasq, address: 10.1.0.1, subnet: 10.1.0.0/24, config: dnsmasq.conf }
        """, Path.Combine(_dir, "s.yaml"));

    [Fact]
    public void Parse_Relay_RouterBetweenTheSubnetsAndDhcrelayTowardsTheServers()
    {
        var s = ParseRelay("{ address: 10.0.0.254/24, upstream: 10.1.0.254/24, servers: [10.1.0.1], route_back: false }");

        var relay = s.Servers.Relay.ShouldNotBeNull();
        relay.Address.ShouldBe(System.Net.IPAddress.Parse("10.0.0.254"));
        relay.PrefixLength.ShouldBe(24);
        relay.Upstream.ShouldBe(System.Net.IPAddress.Parse("10.1.0.254"));
        relay.Servers.ShouldBe([System.Net.IPAddress.Parse("10.1.0.1")]);
        relay.RouteBack.ShouldBeFalse();
        s.HasRealServers.ShouldBeTrue();
        var spec = LabSpecs.Services(s, Path.Combine(_dir, "out", "files")).OfType<RealServiceSpec>().First(x => x.Kind == PoapLab.Lab.Services.ServiceKind.DhcpRelay);
        spec.Options.Kind.ShouldBe(RealServerKind.IscDhcpRelay);
        spec.Options.Arguments.ShouldBe(["10.1.0.1"]);
    }

    [Theory]
    [InlineData("{ upstream: 10.1.0.254/24, servers: [10.1.0.1] }", "'address' is missing")]
    [InlineData("{ address: 10.0.0.254, upstream: 10.1.0.254/24, servers: [10.1.0.1] }", "'address' must be an IPv4 address with a prefix")]
    [InlineData("{ address: 10.0.0.254/24, upstream: 10.1.0.254/24, servers: [] }", "'servers' must list")]
    [InlineData("{ address: 10.0.0.254/24, upstream: 10.1.0.254/24, servers: [10.1.0.1], args: [-a] }", "args")]
    [InlineData("{ kind: dhcp-helper, address: 10.0.0.254/24, upstream: 10.1.0.254/24, servers: [10.1.0.1] }", "'kind' of a DHCP relay must be isc-dhcp-relay")]
    public void Parse_BadRelay_RefusedWithFileAndLine(string relay, string why)
    {
        var e = Should.Throw<ScenarioException>(() => ParseRelay(relay));

        e.Message.ShouldContain(why);
        e.Message.ShouldContain("s.yaml:");
    }

    [Fact]
    public void Parse_NoKindOrEmbedded_TheEmbeddedServer()
    {
        var s = Parse("{ kind: embedded, address: 10.0.0.1, bootfile: poap.py, tftp_server_address: 10.0.0.1 }");

        s.Servers.Dhcp.Single().Real.ShouldBeNull();
        s.HasRealServers.ShouldBeFalse();
    }

    [Theory]
    [InlineData("{ kind: windows, address: 10.0.0.1, config: dnsmasq.conf }", "'kind' of a DHCP server must be one of")]
    [InlineData("{ kind: dnsmasq, address: 10.0.0.1 }", "'config' is missing")]
    [InlineData("{ kind: dnsmasq, address: 10.0.0.1, config: dnsmasq.conf, bootfile: poap.py }", "'bootfile' is for PoapLab's embedded server")]
    [InlineData("{ kind: dnsmasq, address: 10.0.0.1, config: nothere.conf }", "'config' must be a regular file")]
    [InlineData("{ kind: dnsmasq, address: 10.0.0.1, config: /etc/shadow }", "'config' must be a regular file")]
    [InlineData("{ kind: kea, address: 10.0.0.1, config: ../../../../../../../../etc/shadow }", "'config' must be a regular file")]
    [InlineData("{ kind: isc-dhcpd, address: 10.0.0.1, config: /dev/zero }", "'config' must be a regular file")]
    [InlineData("{ kind: kea, address: 10.0.0.1, config: dnsmasq.conf, args: [--secure] }", "'args' is for tftpd-hpa")]
    public void Parse_BadRealDhcpServer_RefusedWithFileAndLine(string dhcp, string why)
    {
        var e = Should.Throw<ScenarioException>(() => Parse(dhcp));

        e.Message.ShouldContain(why);
        e.Message.ShouldContain("s.yaml:");
    }

    [Theory]
    [InlineData("[--user, root]")]
    [InlineData("[--secure, /etc]")]
    [InlineData("[--map-file, /etc/passwd]")]
    [InlineData("[--blocksize, '1468; rm -rf /']")]
    [InlineData("[--permissive]")]
    public void Parse_TftpdArgumentsOutsideTheList_Refused(string args)
    {
        // Options that name files, users or directories would let a scenario serve the machine.
        var e = Should.Throw<ScenarioException>(() => Parse("{ address: 10.0.0.1, bootfile: poap.py, tftp_server_address: 10.0.0.1 }", $"{{ kind: tftpd-hpa, address: 10.0.0.1, args: {args} }}"));

        e.Message.ShouldContain("'args' may hold only");
    }

    [Fact]
    public void NotInTransport_RealServersInTheVirtualTransport_SkippedWithTheReason()
    {
        var s = Parse("{ kind: dnsmasq, address: 10.0.0.1, config: dnsmasq.conf }");

        LabSpecs.NotInTransport(s, new RunOptions("/tmp/out")).ShouldNotBeNull().ShouldContain("--network namespace");
        LabSpecs.NotInTransport(s, new RunOptions("/tmp/out") { Transport = PoapLab.Lab.Transports.Namespace.NamespaceTransportFactory.Instance }).ShouldBeNull();
    }
}
