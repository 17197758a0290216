using System.Collections.Immutable;
using PoapLab.Cli.Commands;
using PoapLab.Core.Events;
using PoapLab.Scenarios.Model;
using Spectre.Console;

namespace PoapLab.Cli.Tests.Commands;

public sealed class RunProgressTests
{
    private static readonly Scenario A = new() { Name = "a", FilePath = "/s/a.yaml", Switches = [], Servers = new ServersModel() };

    private static LabEvent E(string kind, string message, double seconds = 0, string sw = "leaf") =>
        new(1, TimeSpan.FromSeconds(seconds), TimeSpan.Zero, "switch:" + sw, kind, message, ImmutableDictionary<string, string>.Empty) { Switch = sw };

    [Fact]
    public void Observe_SwitchThroughPoap_PhaseFollowsItsEvents()
    {
        var progress = new RunProgress(3);

        progress.Observe(A, E(EventKinds.DhcpDiscoverSent, "DHCPDISCOVER"));
        progress.Running().Single().State.Phase.ShouldBe("DHCP");
        progress.Observe(A, E(EventKinds.ScriptStarted, "running"));
        progress.Observe(A, E(EventKinds.TransferStarted, "copy tftp://10.0.0.1/images/nxos.bin", 2));
        var state = progress.Running().Single().State;
        state.Phase.ShouldBe("transfer");
        state.Detail.ShouldContain("nxos.bin");
        progress.Observe(A, E(EventKinds.Syslog, "a line", 5));
        progress.Running().Single().State.SwitchTime.ShouldBe(TimeSpan.FromSeconds(5));
        progress.Observe(A, E(EventKinds.TransferCompleted, "copied", 9));
        progress.Running().Single().State.Phase.ShouldBe("script run");
        progress.Observe(A, E(EventKinds.PoapCompleted, "over"));
        progress.Running().ShouldBeEmpty();
    }

    [Fact]
    public void Render_RunningSwitches_CountAndTable()
    {
        var progress = new RunProgress(3);
        progress.Observe(A, E(EventKinds.ScriptStarted, "running", sw: "leaf-1"));
        progress.Observe(A, E(EventKinds.Reload, "reload 1", sw: "leaf-2"));
        progress.Finished("other", failed: true);
        using var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 120;

        console.Write(progress.Render());

        var output = text.ToString();
        output.ShouldContain("1/3 scenarios done, 1 failed · 2 switch(es) running");
        output.ShouldContain("leaf-1");
        output.ShouldContain("reload");
        progress.Finished("a", failed: false);
        progress.Running().ShouldBeEmpty();
        progress.Done.ShouldBe(2);
    }

    [Fact]
    public void Observe_TransferProgress_ShownBesideTheCopyAndGoneWithIt()
    {
        var progress = new RunProgress(1);
        progress.Observe(A, E(EventKinds.ScriptStarted, "running"));
        progress.Observe(A, E(EventKinds.TransferStarted, "copy http://10.0.0.1/images/nxos.bin", 2));
        var half = new LabEvent(2, TimeSpan.FromSeconds(3), TimeSpan.Zero, "switch:leaf", EventKinds.TransferProgress, "copy: 4194304 of 8388608 bytes",
            ImmutableDictionary<string, string>.Empty.Add("bytes", "4194304").Add("size", "8388608")) { Switch = "leaf" };

        progress.Observe(A, half);

        var state = progress.Running().Single().State;
        state.Phase.ShouldBe("transfer");
        state.Detail.ShouldContain("nxos.bin");
        state.Progress.ShouldBe("50% of 8.0 MiB");
        progress.Observe(A, E(EventKinds.TransferCompleted, "copied", 9));
        progress.Running().Single().State.Progress.ShouldBeEmpty();
        RunProgress.ProgressOf(half with { Data = ImmutableDictionary<string, string>.Empty.Add("bytes", "134217728") }).ShouldBe("128.0 MiB");
        // Hostile fields (a size of zero, text) do not throw.
        RunProgress.ProgressOf(half with { Data = ImmutableDictionary<string, string>.Empty.Add("bytes", "x").Add("size", "0") }).ShouldBe("0.0 MiB");
    }
}
