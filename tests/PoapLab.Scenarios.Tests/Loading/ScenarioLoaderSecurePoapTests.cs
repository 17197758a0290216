using System.Net;
using PoapLab.Protocols.Dhcp;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary><c>servers.dhcp.secure_poap</c> (option 43) and <c>servers.http.certificate_file</c>.</summary>
public sealed class ScenarioLoaderSecurePoapTests
{
    private const string Scenario = """
        name: secure
        switches:
          - serial: FDO1
            mac: 00:11:22:33:44:55
            version: 10.3(2)F
        servers:
          dhcp:
            address: 10.0.0.1
            secure_poap:
        SECURE
          http:
            address: 10.0.0.1
            tls: true
            certificate_file: ca/lab.pem
        """;

    private static PoapLab.Scenarios.Model.Scenario Parse(string secure, string? http = null)
    {
        var text = Scenario.Replace("SECURE", string.Join('\n', secure.Split('\n').Select(l => "      " + l)), StringComparison.Ordinal);
        if (http is not null)
        {
            text = text.Replace("    certificate_file: ca/lab.pem", http, StringComparison.Ordinal);
        }
        return ScenarioLoader.Parse(text, "secure.yaml");
    }

    private static string Error(string secure, string? http = null) =>
        string.Join(" | ", Should.Throw<ScenarioException>(() => Parse(secure, http)).Errors.Select(e => e.Problem));

    [Fact]
    public void Parse_EveryKey_Option43DecodesToThem()
    {
        var scenario = Parse("""
            url: https://10.0.0.1/poap.py
            ca_list: [https://10.0.0.1/ca/lab.pem, http://10.0.0.2/other.pem]
            ntp: 10.0.0.3
            debug: 1
            skip_cert_check: false
            version: 1
            """);

        var options = SecurePoapOptions.Decode(scenario.Servers.Dhcp[0].Option43, SecurePoapFamily.Ipv4);

        options.ShouldBe(new SecurePoapOptions
        {
            Version = 1,
            Url = "https://10.0.0.1/poap.py",
            CaList = "https://10.0.0.1/ca/lab.pem, http://10.0.0.2/other.pem",
            Ntp = IPAddress.Parse("10.0.0.3"),
            Debug = 1,
            Flag = 0,
        });
        scenario.Servers.Http[0].CertificateFile.ShouldBe("ca/lab.pem");
    }

    [Fact]
    public void DhcpOptionsFor_SecurePoap_Option43AmongTheExtraOptions()
    {
        var dhcp = Parse("url: https://10.0.0.1/poap.py").Servers.Dhcp[0];

        var options = LabSpecs.DhcpOptionsFor(dhcp);

        options.ExtraOptions.ShouldHaveSingleItem().Code.ShouldBe(DhcpOption.VendorSpecific);
        options.ExtraOptions[0].Data.ShouldBe(dhcp.Option43!);
    }

    [Fact]
    public void Parse_Raw_BytesAsWritten()
    {
        Parse("raw: \"01 00 01 01 02 ff:ff\"").Servers.Dhcp[0].Option43.ShouldBe(new byte[] { 1, 0, 1, 1, 2, 0xFF, 0xFF });
    }

    [Theory]
    [InlineData("url: http://10.0.0.1/poap.py", "'url' must be an https:// URL")]
    [InlineData("ntp: 10.0.0.1", "'url' is missing")]
    [InlineData("url: https://10.0.0.1/p.py\nca_list: [ftp://10.0.0.1/ca.pem]", "each 'ca_list' entry must be an http(s):// URL")]
    [InlineData("url: https://10.0.0.1/p.py\nca_list: [\"https://a/x.pem,https://b/y.pem\"]", "without a comma")]
    [InlineData("url: https://10.0.0.1/p.py\nntp: 2001:db8::1", "'ntp' must be an IPv4 address")]
    [InlineData("url: https://10.0.0.1/p.py\ndebug: 256", "'debug' must be a whole number from 0 to 255")]
    [InlineData("raw: \"01 0g\"", "'raw' must be hex bytes")]
    [InlineData("raw: \"\"", "must hold 1 to 512 bytes, not 0")]
    [InlineData("url: https://10.0.0.1/p.py\nsecret: 1", "unknown key 'secret'")]
    public void Parse_BadSecurePoap_ClearError(string secure, string expected) =>
        Error(secure).ShouldContain(expected);

    [Fact]
    public void Parse_RawAboveTheLimit_Refused() =>
        Error($"raw: \"{string.Concat(Enumerable.Repeat("00", 513))}\"").ShouldContain("1 to 512 bytes, not 513");

    [Fact]
    public void Parse_OptionsAboveTheLimit_Refused() =>
        Error($"url: https://10.0.0.1/{new string('a', 600)}").ShouldContain("the limit is 512");

    [Theory]
    [InlineData("    certificate_file: ../outside.pem", "must stay inside the server's root")]
    [InlineData("    certificate_file: ca/../../outside.pem", "must stay inside the server's root")]
    [InlineData("    certificate_file: /etc/ssl/lab.pem", "must be a relative path")]
    [InlineData("    certificate_file: ca//lab.pem", "must stay inside the server's root")]
    [InlineData("    certificate_file: \"ca\\\\lab.pem\"", "must be a relative path")]
    [InlineData("    certificate_file: \"ca/\\nlab.pem\"", "must be a relative path")]
    public void Parse_CertificateFileOutsideTheRoot_Refused(string line, string expected) =>
        Error("url: https://10.0.0.1/p.py", line).ShouldContain(expected);

    [Fact]
    public void Parse_CertificateFileWithoutTls_Refused()
    {
        var text = Scenario.Replace("SECURE", "      url: https://10.0.0.1/p.py", StringComparison.Ordinal).Replace("    tls: true\n", "", StringComparison.Ordinal);

        Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "x.yaml")).Errors.ShouldContain(e => e.Problem.Contains("needs the embedded server", StringComparison.Ordinal));
    }

    private const string Ipv6 = """
        name: secure6
        switches:
          - serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp6:
            address: 2001:db8::1
            pool: 2001:db8::100-2001:db8::1ff
            next_hop: 2001:db8::fe
            route_prefix: 2001:db8::/64
            secure_poap:
              url: "https://[2001:db8::1]/poap.py"
        """;

    [Fact]
    public void Parse_Dhcp6SecurePoap_Option17ForEnterpriseNineWithUrlAtCodeThree()
    {
        var dhcp6 = ScenarioLoader.Parse(Ipv6, "secure6.yaml").Servers.Dhcp6[0];

        dhcp6.Option17.ShouldNotBeNull()[..4].ShouldBe(new byte[] { 0, 0, 0, 9 });
        SecurePoapOptions.Decode(dhcp6.Option17, SecurePoapFamily.Ipv6).Url.ShouldBe("https://[2001:db8::1]/poap.py");
    }

    [Fact]
    public void Parse_Dhcp6SecurePoapWithNtp_Refused() =>
        Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Ipv6 + "\n      ntp: 10.0.0.1", "secure6.yaml"))
            .Errors.ShouldContain(e => e.Problem.Contains("exists in option 43 (DHCPv4) only", StringComparison.Ordinal));
}
