using PoapLab.Switch.Cli;
using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Tests.Cli.Commands;

public sealed class ShowLoggingCommandsTests
{
    private static string WriteLog(CliTestSwitch sw, IEnumerable<string> lines)
    {
        var path = Path.Combine(sw.Root, "syslog.log");
        File.WriteAllLines(path, lines);
        sw.Cli.SyslogPath = path;
        return path;
    }

    [Fact]
    public async Task ShowLoggingLast_PoapLines_ScriptServerParsable()
    {
        using var sw = new CliTestSwitch();
        WriteLog(sw,
        [
            "2024 Jan 1 00:00:01 switch %POAP-2-POAP_INFO: [FDO23490570-D4:C9:3C:85:7D:80] - Script Server: 10.0.0.5",
            "2024 Jan 1 00:00:02 switch %POAP-2-POAP_INFO: [FDO23490570-D4:C9:3C:85:7D:80] - Script Name: poap.py",
        ]);
        var output = await sw.Ok("show logging last 1000");
        System.Text.RegularExpressions.Regex.Matches(output, "Script Server: (.*)\n")[^1].Groups[1].Value.ShouldBe("10.0.0.5");
        (await sw.Ok("show logging last 1")).ShouldBe("2024 Jan 1 00:00:02 switch %POAP-2-POAP_INFO: [FDO23490570-D4:C9:3C:85:7D:80] - Script Name: poap.py\n");
        (await sw.Ok("show logging logfile")).ShouldContain("Script Server: 10.0.0.5\n");
        (await sw.Ok("show logging")).ShouldContain("Log File: \n2024 Jan 1 00:00:01");
    }

    [Fact]
    public async Task ShowLoggingLast_OutOfRange_InvalidCommand()
    {
        using var sw = new CliTestSwitch();
        (await sw.Run("show logging last 0")).Status.ShouldBe(CliStatus.SyntaxError);
        (await sw.Run("show logging last 10000")).Status.ShouldBe(CliStatus.SyntaxError);
        (await sw.Run("show logging last")).Status.ShouldBe(CliStatus.SyntaxError);
        (await sw.Ok("show logging last 5")).ShouldBe("");
    }

    [Fact]
    public async Task ShowLogging_HugeLog_OutputBounded()
    {
        // Attack: a script that floods the log must not make the CLI read or return all of it.
        using var sw = new CliTestSwitch();
        var path = Path.Combine(sw.Root, "syslog.log");
        using (var writer = new StreamWriter(path))
        {
            var line = new string('x', 1000);
            for (var i = 0; i < 8000; i++)
            {
                writer.WriteLine(line);
            }
        }
        sw.Cli.SyslogPath = path;
        var output = await sw.Ok("show logging logfile");
        output.Length.ShouldBeLessThanOrEqualTo(ShowLoggingCommands.MaxLogBytes);
        output.ShouldStartWith("xxx");
        (await sw.Ok("show logging last 9999")).Length.ShouldBeLessThanOrEqualTo(ShowLoggingCommands.MaxLogBytes);
    }
}
