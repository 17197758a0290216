using PoapLab.Lab.Hardware;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>
/// <c>poaplab serve</c> and <c>poaplab device</c> through the command line, in-process: hostile
/// watcher options are refused with a message naming the option, exit 2, before the interface
/// is looked at (so nothing is added to it, and no undo record is left).
/// </summary>
public sealed class ServeCommandOptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-serve-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string HappyPath => Path.Combine(RepoPaths.Scenarios, "happy-path-tftp.yaml");

    private async Task<(int Exit, string Output, string Error)> ServeAsync(params string[] options) =>
        await CliTestRun.RunAsync(["serve", HappyPath, "--interface", "plnosuch0", "--out", Path.Combine(_dir, "out"), .. options]);

    [Theory]
    [InlineData("--webhook", "file:///etc/shadow", "--webhook", "http:// or https://")]
    [InlineData("--webhook", "ftp://hooks.example/x", "--webhook", "http:// or https://")]
    [InlineData("--webhook", "https://user:secret@hooks.example/x", "--webhook", "user name or password")]
    [InlineData("--webhook", "/relative/hook", "--webhook", "http:// or https://")]
    [InlineData("--console", "/etc/shadow", "--console", "serial device under /dev")]
    [InlineData("--console", "/dev/../etc/shadow", "--console", "under /dev")]
    [InlineData("--console", "telnet ts1 99999", "--console", "1 to 65535")]
    [InlineData("--syslog-port", "70000", "--syslog-port", "1 to 65535")]
    [InlineData("--syslog-port", "-1", "--syslog-port", "1 to 65535")]
    [InlineData("--metrics-port", "0", "--metrics-port", "1 to 65535")]
    public async Task Serve_HostileWatcherOption_RefusedNamingTheOptionBeforeTouchingTheInterface(string option, string value, string named, string why)
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (serve checks root first)");

        var (exit, output, error) = await ServeAsync(option, value);

        exit.ShouldBe(2, error);
        error.ShouldContain($"serve refused: {named}", Case.Sensitive);
        error.ShouldContain(why, Case.Insensitive);
        error.ShouldNotContain("there is no interface", Case.Sensitive, "refused before the interface is looked at");
        output.ShouldNotContain("serving ", Case.Sensitive);
        // No record directory at all (a fresh machine where serve never ran) is no record either.
        if (Directory.Exists(InterfaceChanges.RecordDirectory))
        {
            Directory.GetFiles(InterfaceChanges.RecordDirectory, $"serve-{Environment.ProcessId}-*").ShouldBeEmpty();
        }
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("192.0.2.77")]
    public async Task Serve_MetricsOnEveryInterfaceOrAForeignAddress_RefusedNamingMetricsBind(string address)
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (serve checks root first)");

        var (exit, _, error) = await ServeAsync("--metrics-port", "9100", "--metrics-bind", address);

        exit.ShouldBe(2, error);
        error.ShouldContain("serve refused: --metrics-bind", Case.Sensitive);
        error.ShouldNotContain("there is no interface", Case.Sensitive);
    }

    [Fact]
    public async Task Serve_ProbeWithoutALoginAnywhere_RefusedBeforeTouchingTheInterface()
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (serve checks root first)");
        var scenario = Path.Combine(_dir, "probe-no-login.yaml");
        await File.WriteAllTextAsync(scenario, (await File.ReadAllTextAsync(HappyPath, TestContext.Current.CancellationToken))
            .Replace("../fixtures/", RepoPaths.Fixtures + "/", StringComparison.Ordinal) + "device:\n  probe:\n    nxapi: https\n", TestContext.Current.CancellationToken);

        var (exit, _, error) = await CliTestRun.RunAsync("serve", scenario, "--interface", "plnosuch0", "--out", Path.Combine(_dir, "out"));

        exit.ShouldBe(2, error);
        error.ShouldContain("serve refused: device.probe: no login for leaf-101", Case.Sensitive);
        error.ShouldNotContain("there is no interface", Case.Sensitive);
    }

    [Fact]
    public async Task Serve_MetricsBindThatIsNoAddress_RefusedNamingIt()
    {
        var (exit, _, error) = await ServeAsync("--metrics-port", "9100", "--metrics-bind", "metrics.example; rm -rf /");

        exit.ShouldBe(2);
        error.ShouldContain("--metrics-bind metrics.example; rm -rf /: not an IP address", Case.Sensitive);
    }

    [Theory]
    [InlineData("--timeout", "forever")]
    [InlineData("--probe-time", "soon")]
    [InlineData("--failed-quiet", "1e9h")]
    public async Task Serve_DurationThatIsNone_RefusedNamingTheOption(string option, string value)
    {
        var (exit, _, error) = await ServeAsync(option, value);

        exit.ShouldBe(2);
        error.ShouldContain($"{option} {value}: not a duration", Case.Sensitive);
    }

    [Fact]
    public async Task Serve_InterfaceThatDoesNotExist_RefusedOnTheInvocationsErrorWriter()
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (serve checks root first)");

        var (exit, _, error) = await ServeAsync();

        exit.ShouldBe(2);
        error.ShouldContain("there is no interface plnosuch0", Case.Sensitive);
    }

    [Theory]
    [InlineData("--cdp-interval", "0s", "--cdp-interval 0s: not a duration")]
    [InlineData("--cdp-interval", "often", "--cdp-interval often: not a duration")]
    [InlineData("--stay", "ever", "--stay ever: not a duration")]
    public async Task Device_HostileDuration_RefusedNamingTheOption(string option, string value, string message)
    {
        var (exit, _, error) = await CliTestRun.RunAsync("device", HappyPath, "--switch", "leaf-101", "--interface", "plnosuch0", "--out", Path.Combine(_dir, "dev"), option, value);

        exit.ShouldBe(2);
        error.ShouldContain(message, Case.Sensitive);
    }

    [Fact]
    public async Task Device_InterfaceThatDoesNotExist_RefusedOnTheInvocationsErrorWriter()
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (device checks root first)");

        var (exit, _, error) = await CliTestRun.RunAsync("device", HappyPath, "--switch", "leaf-101", "--interface", "plnosuch0", "--out", Path.Combine(_dir, "dev"));

        exit.ShouldBe(2);
        error.ShouldContain("there is no interface plnosuch0", Case.Sensitive);
    }
}
