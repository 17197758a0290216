using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Tests.Model;

/// <summary>What a scenario means when it leaves something out: the model's defaults, as the loader hands them on.</summary>
public sealed class ScenarioModelTests
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
    public void SwitchModel_NothingSaid_DefaultsOfAFreshNexus93108()
    {
        var sw = ScenarioLoader.Parse(Minimal, "min.yaml").Switches.Single();

        sw.Model.ShouldBe("N9K-C93108TC-EX");
        sw.Version.ShouldBe("9.3(8)");
        sw.Flavour.ShouldBe("cs");
        sw.Interface.ShouldBe("mgmt0");
        sw.MaxAttempts.ShouldBe(3);
        sw.DiscoverTries.ShouldBe(3);
        sw.MaxReloads.ShouldBe(4);
        sw.ScriptTimeout.ShouldBe(TimeSpan.FromMinutes(2));
        sw.RetryDelay.ShouldBe(TimeSpan.FromSeconds(30));
        sw.TftpBlockSize.ShouldBe(512); // RFC 1350 without options
        sw.TftpWindowSize.ShouldBe(1);
        sw.Ipv6.ShouldBeTrue();
        sw.Faults.ShouldBeEmpty();
        sw.Expect.ShouldBeNull(); // the scenario's expect: applies
        sw.Location.ShouldBe(new SourceLocation("min.yaml", 3, 5)); // where its first key starts
    }

    [Fact]
    public void Scenario_NothingSaid_ClockSeedAndExpectation()
    {
        var s = ScenarioLoader.Parse(Minimal, "min.yaml");

        s.ClockStart.ShouldBe(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        s.Seed.ShouldBe(1);
        s.Tags.ShouldBeEmpty();
        s.Files.ShouldBeEmpty();
        // An empty expectation: provisioned is what is expected (see Expectations.Check).
        s.Expect.Outcome.ShouldBeNull();
        s.Expect.Events.ShouldBeEmpty();
    }

    [Fact]
    public void SourceLocation_ToString_FileLineColumn() =>
        new SourceLocation("a/b.yaml", 12, 5).ToString().ShouldBe("a/b.yaml:12:5");

    [Fact]
    public void Scenario_With_CopiesAndLeavesTheOriginal()
    {
        var s = ScenarioLoader.Parse(Minimal, "min.yaml");

        var renamed = s with { Name = "other" };

        s.Name.ShouldBe("minimal");
        renamed.Name.ShouldBe("other");
        renamed.Switches.ShouldBeSameAs(s.Switches);
    }
}
