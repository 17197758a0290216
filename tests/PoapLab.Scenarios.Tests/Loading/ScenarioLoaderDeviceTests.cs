using PoapLab.Lab.Hardware;
using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>The <c>device:</c> section: a real switch's reset command and console, for <c>poaplab serve</c>.</summary>
public sealed class ScenarioLoaderDeviceTests
{
    private const string Minimal = """
        name: real
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp:
            address: 10.0.0.1
            bootfile: poap.py
            tftp_server_address: 10.0.0.1
        """;

    [Fact]
    public void Parse_NoDevice_Null()
    {
        ScenarioLoader.Parse(Minimal, "real.yaml").Device.ShouldBeNull();
    }

    [Fact]
    public void Parse_ADeviceSection_ResetConsoleAndAnswer()
    {
        var text = Minimal + """

            device:
              reset: ssh admin@leaf 'write erase ; reload'
              reset_timeout: 2m
              console: telnet ts1.lab 7001
              console_answer: skip
            """;

        var device = ScenarioLoader.Parse(text, "real.yaml").Device!;

        device.Reset.ShouldBe("ssh admin@leaf 'write erase ; reload'");
        device.ResetTimeout.ShouldBe(TimeSpan.FromMinutes(2));
        device.Console.ShouldBe("telnet ts1.lab 7001");
        device.ConsoleAnswer.ShouldBe(ConsoleAnswer.Skip);
    }

    [Fact]
    public void Parse_AnAbortFaultAndNoAnswerGiven_AnswersYes()
    {
        var text = Minimal.Replace("    mac: 00:11:22:33:44:55", "    mac: 00:11:22:33:44:55\n    faults: [{ kind: abort, phase: boot }]", StringComparison.Ordinal) + "\ndevice:\n  console: /dev/ttyUSB0\n";

        ScenarioLoader.Parse(text, "real.yaml").Device!.ConsoleAnswer.ShouldBe(ConsoleAnswer.Yes);
    }

    [Theory]
    [InlineData("console: /etc/passwd", "'console'")]
    [InlineData("console: telnet ts1 99999", "'console'")]
    [InlineData("console: ssh ts1 22", "'console'")]
    [InlineData("console_answer: maybe", "'console_answer' must be")]
    [InlineData("reset_timeout: 3h", "reset_timeout")]
    [InlineData("reset: \"\"", "reset command")]
    [InlineData("resett: reboot", "unknown key 'resett'")]
    public void Parse_HostileOrWrongDevice_ScenarioErrorAtTheKey(string line, string message)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Minimal + "\ndevice:\n  " + line + "\n", "real.yaml"));

        e.Message.ShouldContain(message);
        e.Message.ShouldContain("real.yaml:");
    }

    [Fact]
    public void Parse_AProbe_NxApiSshLoginAndTimeout()
    {
        var text = Minimal + """

            device:
              probe:
                nxapi: https
                nxapi_port: 8443
                tls_insecure: true
                ssh: true
                user: admin
                password: Secret-1
                timeout: 45s
            """;

        var probe = ScenarioLoader.Parse(text, "real.yaml").Device!.Probe!;

        probe.ShouldBe(new PoapLab.Scenarios.Model.DeviceProbeModel("https", 8443, true, true, null, "admin", "Secret-1", TimeSpan.FromSeconds(45)));
        probe.ToString().ShouldNotContain("Secret-1");
    }

    [Theory]
    [InlineData("nxapi: telnet", "'nxapi' must be http or https")]
    [InlineData("ssh: false", "names 'nxapi: http' or 'nxapi: https', or 'ssh: true'")]
    [InlineData("nxapi: http\n    password: p", "'password' needs its 'user'")]
    [InlineData("nxapi: http\n    user: -oProxyCommand=sh", "user name must be")]
    [InlineData("nxapi: http\n    nxapi_port: 70000", "'nxapi_port' must be a whole number")]
    [InlineData("nxapi: http\n    timeout: 2h", "timeout")]
    [InlineData("nxapi: http\n    secret: x", "unknown key 'secret'")]
    public void Parse_HostileOrWrongProbe_ScenarioErrorAtTheKey(string lines, string message)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Minimal + "\ndevice:\n  probe:\n    " + lines + "\n", "real.yaml"));

        e.Message.ShouldContain(message);
        e.Message.ShouldContain("real.yaml:");
    }
}
