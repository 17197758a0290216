using PoapLab.Core.Events;
using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli;

/// <summary>The dispatcher: parsing, matching, events, structured output and transcript masking.</summary>
public sealed class NxosCliTests
{
    [Theory]
    [InlineData("terminal password s3cret", "terminal password *****")]
    [InlineData("personality restore bootflash:p.tar user-name poap password pw hostname 10.0.0.1 vrf management", "personality restore bootflash:p.tar user-name poap password ***** hostname 10.0.0.1 vrf management")]
    [InlineData("username admin password 5 $5$abc$def role network-admin", "username admin password 5 ***** role network-admin")]
    [InlineData("show version", "show version")]
    [InlineData("terminal password  ; copy scp://u@10.0.0.1/f bootflash:f vrf management", "terminal password  ; copy scp://u@10.0.0.1/f bootflash:f vrf management")]
    [InlineData("terminal password ; copy scp://u@10.0.0.1/f bootflash:f", "terminal password ; copy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password s3cret ; copy scp://u@10.0.0.1/f bootflash:f", "terminal password ***** ; copy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password ;x ; copy scp://x", "terminal password ;x ; copy scp://x")]
    [InlineData("terminal password ;copy scp://u@10.0.0.1/f bootflash:f", "terminal password ;copy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password\ncopy scp://u@10.0.0.1/f bootflash:f", "terminal password\ncopy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password \t;\tcopy scp://x bootflash:f", "terminal password \t;\tcopy scp://x bootflash:f")]
    [InlineData("terminal password s3cret;copy scp://x bootflash:f", "terminal password *****;copy scp://x bootflash:f")]
    [InlineData("terminal password \"a;b c\" ; copy scp://x", "terminal password ***** ; copy scp://x")]
    [InlineData("terminal password 'x y';show version", "terminal password *****;show version")]
    public void Redact_CommandsWithPasswords_Masked(string command, string shown) => NxosCli.Redact(command).ShouldBe(shown);

    [Fact]
    public async Task Clid_CommandWithoutJsonForm_IsExecError()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("show running-config", json: true);
        result.Status.ShouldBe(CliStatus.ExecError);
        result.Output.ShouldContain("% Invalid");
        (await sw.Run("terminal dont-ask", json: true)).Status.ShouldBe(CliStatus.Ok);
    }

    [Fact]
    public async Task UnknownCommand_SyntaxErrorWithMarkerAndUnsupportedEvent()
    {
        using var sw = new CliTestSwitch();
        var result = await sw.Run("show vlan brief");
        result.Status.ShouldBe(CliStatus.SyntaxError);
        result.Output.ShouldBe("show vlan brief\n     ^\n% Invalid command at '^' marker.\n");
        var unsupported = sw.Timeline.Events.Single(e => e.Kind == EventKinds.CliUnsupported);
        unsupported.Get("command").ShouldBe("show vlan brief");
        unsupported.Get("word").ShouldBe("vlan");
    }

    [Fact]
    public async Task ExecuteAsync_EachCommand_RecordsCliCommandEvent()
    {
        using var sw = new CliTestSwitch();
        await sw.Ok("terminal dont-ask ; show hostname");
        var events = sw.Timeline.Events.Where(e => e.Kind == EventKinds.CliCommand).ToList();
        events.Select(e => e.Get("command")).ShouldBe(["terminal dont-ask", "show hostname"]);
        events[1].Get("status").ShouldBe("Ok");
        events[1].Get("output").ShouldBe("switch");
    }

    [Fact]
    public async Task Abbreviations_AreAcceptedLikeNxos()
    {
        using var sw = new CliTestSwitch();
        (await sw.Ok("sh ver")).ShouldBe(await sw.Ok("show version"));
        (await sw.Run("sh")).Output.ShouldContain("% Incomplete command");
        (await sw.Run("show c")).Output.ShouldContain("% Ambiguous command");
    }
}
