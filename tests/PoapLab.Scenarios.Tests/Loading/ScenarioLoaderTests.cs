using PoapLab.Scenarios.Loading;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Loading;

public sealed class ScenarioLoaderTests
{
    private const string Minimal = """
        name: minimal
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp:
            address: 10.0.0.1
            subnet: 10.0.0.0/24
            bootfile: poap.py
            tftp_server_address: 10.0.0.1
        """;

    [Fact]
    public void Parse_Minimal_Defaults()
    {
        var s = ScenarioLoader.Parse(Minimal, "min.yaml");
        s.Name.ShouldBe("minimal");
        s.Switches.Single().Version.ShouldBe("9.3(8)");
        var dhcp = s.Servers.Dhcp.Single();
        dhcp.SubnetMask.ToString().ShouldBe("255.255.255.0");
        dhcp.PoolStart.ToString().ShouldBe("10.0.0.100");
        dhcp.Lease.ShouldBe(TimeSpan.FromDays(1));
    }

    [Theory]
    [InlineData("10.0.0.199-10.0.0.100")]
    [InlineData("10.0x10.0.100-10.0.0.199")]
    [InlineData("2001:db8::1-2001:db8::9")]
    public void Parse_DhcpPoolBackwardsOrNotIpv4_ScenarioError(string pool)
    {
        var text = Minimal.Replace("    bootfile: poap.py", "    bootfile: poap.py\n    pool: " + pool, StringComparison.Ordinal);
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "pool.yaml"));
        e.Message.ShouldContain("'pool' must be a range");
    }

    [Fact]
    public void Parse_MisspeltKey_NamesFileLineAndSuggestion()
    {
        var text = Minimal + "\nexpect:\n  outcom: provisioned\n";
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "typo.yaml"));
        e.Location.File.ShouldBe("typo.yaml");
        e.Location.Line.ShouldBe(13);
        e.Problem.ShouldContain("unknown key 'outcom'");
        e.Problem.ShouldContain("did you mean 'outcome'");
    }

    [Fact]
    public void Parse_BadAddress_SaysWhatIsExpected()
    {
        var text = Minimal.Replace("address: 10.0.0.1", "address: 10.0.0.300", StringComparison.Ordinal);
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "bad.yaml"));
        e.Location.Line.ShouldBe(8);
        e.Problem.ShouldContain("IPv4 address");
    }

    [Fact]
    public void Parse_NotYaml_ReportsPosition()
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse("name: [unclosed\nswitches: x\n", "broken.yaml"));
        e.Problem.ShouldContain("not valid YAML");
        e.Location.Line.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Parse_NoSwitches_Error()
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse("servers:\n  dhcp: { address: 10.0.0.1 }\n", "none.yaml"));
        e.Problem.ShouldContain("switches");
    }

    [Fact]
    public void Parse_FileWithTwoKinds_Error()
    {
        var text = Minimal + "\nfiles:\n  - path: a\n    content: x\n    image: { version: 9.3(8) }\n";
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "two.yaml"));
        e.Problem.ShouldContain("exactly one of script, image, content or source");
    }

    [Fact]
    public void Parse_FilePathEscaping_Error()
    {
        var text = Minimal + "\nfiles:\n  - path: ../../etc/x\n    content: x\n";
        Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "esc.yaml")).Problem.ShouldContain("stay inside");
    }

    [Fact]
    public void Parse_BadVersion_Error()
    {
        var text = Minimal.Replace("mac: 00:11:22:33:44:55", "mac: 00:11:22:33:44:55\n    version: 10.3", StringComparison.Ordinal);
        Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "v.yaml")).Problem.ShouldContain("NX-OS version");
    }

    [Theory]
    [InlineData("\\0FDO1", new byte[] { 0, (byte)'F', (byte)'D', (byte)'O', (byte)'1' })]
    [InlineData("\0FDO1", new byte[] { 0, (byte)'F', (byte)'D', (byte)'O', (byte)'1' })]
    [InlineData("FDO1", new byte[] { (byte)'F', (byte)'D', (byte)'O', (byte)'1' })]
    [InlineData("00:46:44", new byte[] { 0, 0x46, 0x44 })]
    public void ParseClientId_Forms_Bytes(string text, byte[] expected) =>
        ScenarioLoader.ParseClientId(text).ShouldBe(expected);

    [Fact]
    public void Find_Directory_YamlFilesSorted()
    {
        var dir = Directory.CreateTempSubdirectory("poaplab-find-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "b.yaml"), "");
            File.WriteAllText(Path.Combine(dir, "a.yml"), "");
            File.WriteAllText(Path.Combine(dir, "c.txt"), "");
            ScenarioLoader.Find([dir]).Select(Path.GetFileName).ShouldBe(["a.yml", "b.yaml"]);
            Should.Throw<FileNotFoundException>(() => ScenarioLoader.Find([Path.Combine(dir, "nope.yaml")]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Load_EveryCatalogueScenario_Parses()
    {
        var dir = RepoPaths.Scenarios;
        var files = ScenarioLoader.Find([dir]);
        files.Count.ShouldBeGreaterThan(4);
        foreach (var f in files)
        {
            var s = ScenarioLoader.Load(f);
            s.Description.ShouldNotBeNullOrWhiteSpace($"{f} needs a description a newcomer understands");
        }
    }
}
