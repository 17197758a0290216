using System.Text.Json;
using PoapLab.Switch.Cli;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

/// <summary>NX-OS 6.x's <c>cisco</c> module in the sandbox, offered only to legacy runs.</summary>
public sealed class LegacyCiscoModuleTests
{
    private const string Probe = """
        import json
        try:
            import cisco
            print(json.dumps({'cisco': True, 'file': cisco.__file__}))
        except ImportError:
            print(json.dumps({'cisco': False}))
        """;

    private const string LegacyScript = """
        import json
        from cisco import cli, transfer
        import cisco

        status, output = cli('show version')
        indexed = cli('show version')[1]
        tup = cli('show version')
        result = {'status': status, 'output': output, 'indexed': indexed, 'len': len(tup), 'is_tuple': isinstance(tup, tuple)}
        try:
            cli('show bogus')
        except cisco.cli_syntax_error as e:
            result['syntax'] = str(e)
        transfer('scp', '192.0.2.2', 'images/n3000-uk9.bin', 'bootflash:n3000-uk9.bin', 'management', 10, 'admin', 'pass word')
        transfer('tftp', '192.0.2.2', '/full.bin', 'bootflash:full.bin', 'management', 10, '', '')
        try:
            transfer('scp', '192.0.2.2', '/denied.bin', 'bootflash:denied.bin', 'management', 10, 'admin', 'pw')
        except cisco.cmd_exec_error as e:
            result['transfer_error'] = str(e)
        print(json.dumps(result))
        """;

    public static TheoryData<string> Interpreters => new() { "default", "2.7" };

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task ImportCisco_ModernRun_Fails(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip(python);
        sw.WriteScript(Probe);
        var result = await sw.NewHost().RunAsync(sw.Request(interpreter), sw.Bridge, TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0, result.Stderr);
        JsonDocument.Parse(result.Stdout).RootElement.GetProperty("cisco").GetBoolean().ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task ImportCisco_LegacyRun_Succeeds(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip(python);
        sw.WriteScript(Probe);
        var request = sw.Request(interpreter) with { LegacyCiscoModule = true };
        var result = await sw.NewHost().RunAsync(request, sw.Bridge, TestContext.Current.CancellationToken);
        result.ExitCode.ShouldBe(0, result.Stderr);
        var seen = JsonDocument.Parse(result.Stdout).RootElement;
        seen.GetProperty("cisco").GetBoolean().ShouldBeTrue();
        seen.GetProperty("file").GetString()!.ShouldStartWith(ScriptHost.BridgeMountPoint + "/lib/cisco.py");
    }

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task CiscoCliAndTransfer_LegacyRun_TupleAndCopyThroughTheBridge(string python)
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip(python);
        sw.Bridge.Answer = (command, json) => command switch
        {
            "show version" => CliResult.Ok("Software\n  system:    version 6.0(2)U6(10)\n"),
            _ when command.Contains("/full.bin", StringComparison.Ordinal) => CliResult.Exec("No space left on device\n"),
            _ when command.Contains("/denied.bin", StringComparison.Ordinal) => CliResult.Exec("Permission denied\n"),
            _ when command.StartsWith("terminal dont-ask", StringComparison.Ordinal) => CliResult.Ok("Copy complete.\n"),
            _ => CliResult.InvalidCommand(command),
        };
        sw.WriteScript(LegacyScript);
        var request = sw.Request(interpreter) with { LegacyCiscoModule = true };

        var result = await sw.NewHost().RunAsync(request, sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        var seen = JsonDocument.Parse(result.Stdout).RootElement;
        seen.GetProperty("status").GetInt32().ShouldBe(0);
        seen.GetProperty("output").GetString().ShouldBe("Software\n  system:    version 6.0(2)U6(10)\n");
        seen.GetProperty("indexed").GetString().ShouldBe(seen.GetProperty("output").GetString());
        seen.GetProperty("len").GetInt32().ShouldBe(2);
        seen.GetProperty("is_tuple").GetBoolean().ShouldBeTrue();
        seen.GetProperty("syntax").GetString()!.ShouldContain("% Invalid command");
        // The shipped module's bug: a full bootflash does not fail the transfer; other failures do.
        seen.GetProperty("transfer_error").GetString().ShouldBe("Permission denied\n");
        sw.Bridge.CliCalls.Select(c => c.Command).Where(c => c.Contains("copy", StringComparison.Ordinal)).ShouldBe([
            "terminal dont-ask ; terminal password 'pass word' ; copy scp://admin@192.0.2.2/images/n3000-uk9.bin bootflash:n3000-uk9.bin vrf management",
            "terminal dont-ask ; copy tftp://192.0.2.2/full.bin bootflash:full.bin vrf management",
            "terminal dont-ask ; terminal password pw ; copy scp://admin@192.0.2.2/denied.bin bootflash:denied.bin vrf management",
        ]);
    }
}
