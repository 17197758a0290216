using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

public sealed class ScenarioLoaderServerTests
{
    private const string Head = """
        name: servers
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp: { address: 10.0.0.1, subnet: 10.0.0.0/24, bootfile: poap.py, tftp_server_address: 10.0.0.1 }

        """;

    [Fact]
    public void Parse_SshFtpAndHttps_DefaultsAndValues()
    {
        var s = ScenarioLoader.Parse(Head + """
              ssh: { address: 10.0.0.2, user: poap, password: pw1 }
              ftp: [{ address: 10.0.0.3, user: u, password: "123", port: 2121, root: images, anonymous: true }]
              http: { address: 10.0.0.4, tls: true }
            """, "s.yaml");
        var ssh = s.Servers.Ssh.ShouldHaveSingleItem();
        (ssh.Address.ToString(), ssh.Port, ssh.User, ssh.Password, ssh.Root).ShouldBe(("10.0.0.2", 22, "poap", "pw1", ""));
        var ftp = s.Servers.Ftp.ShouldHaveSingleItem();
        (ftp.Port, ftp.Password, ftp.Root, ftp.Anonymous).ShouldBe((2121, "123", "images", true));
        var http = s.Servers.Http.ShouldHaveSingleItem();
        (http.Tls, http.Port).ShouldBe((true, 443));
    }

    [Fact]
    public void Parse_FtpDefaultPort_Is21()
    {
        var s = ScenarioLoader.Parse(Head + "  ftp: { address: 10.0.0.1, user: u, password: p }\n", "s.yaml");
        s.Servers.Ftp.Single().Port.ShouldBe(21);
    }

    [Theory]
    [InlineData("  ssh: { address: 10.0.0.1, user: u, password: p, anonymous: true }\n", "unknown key 'anonymous'")]
    [InlineData("  tftp: { address: 10.0.0.1, tls: true }\n", "unknown key 'tls'")]
    [InlineData("  ssh: { address: 10.0.0.1, user: u }\n", "'password' is missing")]
    [InlineData("  ftp: { address: 10.0.0.1, password: p }\n", "'user' is missing")]
    [InlineData("  ssh: { address: 10.0.0.1, user: u, password: p, root: ../x }\n", "'root' must stay inside")]
    public void Parse_BadServer_Rejected(string server, string problem)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Head + server, "bad.yaml"));
        e.Problem.ShouldContain(problem);
    }
}
