using System.Net;
using PoapLab.Lab.Addressing;
using PoapLab.Lab.Services;
using PoapLab.Lab.Transports;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;
using PoapLab.Switch.Script;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Running;

/// <summary>A scenario in the lab's terms: pure mapping, nothing started.</summary>
public sealed class LabSpecsTests
{
    private sealed class NamedTransport : ILabTransportFactory
    {
        public string Name => "test";

        public ValueTask<ILabTransport> CreateAsync(LoopbackBlock addresses, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    [Fact]
    public void Services_HappyPathTftp_DhcpThenTftpAtTheirLabAddressesWithTheSeed()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"));

        var specs = LabSpecs.Services(scenario, "/srv/files").ToList();

        specs.Select(s => s.Kind).ShouldBe([ServiceKind.Dhcp, ServiceKind.Tftp]);
        var dhcp = specs[0].ShouldBeOfType<DhcpServiceSpec>();
        dhcp.Options.FaultSeed.ShouldBe(scenario.Seed);
        dhcp.Port.ShouldBe(67);
        var tftp = specs[1].ShouldBeOfType<TftpServiceSpec>();
        tftp.Options.RootPath.ShouldStartWith("/srv/files");
        tftp.Name.ShouldBe($"tftp:{tftp.Address}");
    }

    [Theory]
    // Losses only: the switch's repeated ACK is its timeout, the server's timer a 1 s backstop.
    [InlineData("catalogue/fault-tftp-loss-30pct.yaml", true, 1000)]
    [InlineData("fleet/fleet-100-tftp-loss.yaml", true, 1000)]
    // Losses with duplicates, reordering and delay: a repeated ACK may be a duplicate, so a short real timer.
    [InlineData("catalogue/fault-link-duplicate-reorder-delay.yaml", false, 50)]
    // No loss: the server's own default.
    [InlineData("happy-path-tftp.yaml", false, 1000)]
    public void Services_TftpServer_RetransmitsInStepWithTheSwitchOnlyOnALossOnlyLink(string file, bool onClientTimeout, int timerMs)
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, file));

        var tftp = LabSpecs.Services(scenario, "/srv/files").OfType<TftpServiceSpec>().ShouldHaveSingleItem();

        tftp.Options.RetransmitOnClientTimeout.ShouldBe(onClientTimeout);
        tftp.Options.RetransmitTimeout.ShouldBe(TimeSpan.FromMilliseconds(timerMs));
    }

    [Fact]
    public void Switch_LinkFaultsScenario_ItsOwnLinkAndRootUnderTheOutput()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "catalogue", "fault-link-duplicate-reorder-delay.yaml"));
        var model = scenario.Switches[0];

        var options = LabSpecs.Switch(scenario, model, "/out/x");

        options.Link.IsEmpty.ShouldBeFalse();
        options.Link.Duplicate.ShouldBe(0.05, 1e-9);
        options.Spec.Root.ShouldBe(LabSpecs.SwitchRoot("/out/x", model));
        options.Spec.Identity.Name.ShouldBe(model.Name);
        options.Spec.Poap.Seed.ShouldBe(scenario.Seed);
    }

    [Fact]
    public void Lab_RunOptionsWithATransport_ThatTransportElseVirtual()
    {
        var scenario = ScenarioLoader.Load(Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml"));
        var scripts = new ScriptHost();

        LabSpecs.Lab(scenario, new RunOptions("/out"), scripts, "/out/x").Transport.Name.ShouldBe("virtual");
        var lab = LabSpecs.Lab(scenario, new RunOptions("/out") { Transport = new NamedTransport() }, scripts, "/out/x");

        lab.Transport.Name.ShouldBe("test");
        lab.ClockStart.ShouldBe(scenario.ClockStart);
        lab.Scripts.ShouldBeSameAs(scripts);
    }
}
