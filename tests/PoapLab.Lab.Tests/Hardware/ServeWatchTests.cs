using System.Net;
using PoapLab.Lab.Hardware;
using PoapLab.Lab.Wire;
using static PoapLab.Lab.Tests.Hardware.HardwareTestKit;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class ServeWatchTests : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("poaplab-watch-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void Build_NothingAsked_OnlySyslog()
    {
        var observers = ServeWatch.Build(new ServeWatchOptions(), _out, [Leaf], TextWriter.Null);

        observers.Select(o => o.GetType()).ShouldBe([typeof(SyslogReceiver)]);
    }

    [Fact]
    public void Build_EverythingAsked_ConsoleFirstResetLast()
    {
        var observers = ServeWatch.Build(new ServeWatchOptions
        {
            MetricsPort = 9100,
            MetricsBind = IPAddress.Loopback,
            WebhookUrl = new Uri("https://hooks.example/poap"),
            SyslogPort = 5514,
            Console = "telnet ts1 7001",
            ResetCommand = "true",
            Progress = TextWriter.Null,
        }, _out, [Leaf], TextWriter.Null);

        observers.Select(o => o.GetType()).ShouldBe([typeof(DeviceConsole), typeof(SyslogReceiver), typeof(ServeMetrics), typeof(VerdictWebhook), typeof(ServeProgress), typeof(DeviceReset.Step)]);
    }

    [Fact]
    public void Build_HostileOptions_RefusedBeforeAnythingStarts()
    {
        Should.Throw<ArgumentException>(() => ServeWatch.Build(new ServeWatchOptions { WebhookUrl = new Uri("file:///etc/shadow") }, _out, [Leaf], TextWriter.Null));
        Should.Throw<ArgumentException>(() => ServeWatch.Build(new ServeWatchOptions { MetricsPort = 9100, MetricsBind = IPAddress.Any }, _out, [Leaf], TextWriter.Null));
        Should.Throw<ArgumentException>(() => ServeWatch.Build(new ServeWatchOptions { Console = "/etc/passwd" }, _out, [Leaf], TextWriter.Null));
        Should.Throw<ArgumentException>(() => ServeWatch.Build(new ServeWatchOptions { Console = "/dev/shm" }, _out, [Leaf], TextWriter.Null));
        Should.Throw<ArgumentException>(() => ServeWatch.Build(new ServeWatchOptions { SyslogPort = 0 }, _out, [Leaf], TextWriter.Null));
        Should.Throw<ArgumentException>(() => ServeWatch.Build(new ServeWatchOptions { ResetCommand = "" }, _out, [Leaf], TextWriter.Null));
    }

    [Fact]
    public async Task Build_ARunWithReset_ResetLogInTheSwitchsFolderAndEverythingEnded()
    {
        var ct = TestContext.Current.CancellationToken;
        var observers = ServeWatch.Build(new ServeWatchOptions { ResetCommand = "echo reset-done", SyslogPort = null, Progress = new StringWriter() }, _out, [Leaf], TextWriter.Null);
        var context = Context(_out);

        foreach (var o in observers)
        {
            await o.StartAsync(context, ct);
        }
        await ((DeviceReset.Step)observers[^1]).Completion.WaitAsync(TimeSpan.FromSeconds(30), ct);
        foreach (var o in observers)
        {
            await o.OnFinishedAsync(Report(), ct);
            await o.DisposeAsync();
        }

        File.ReadAllText(Path.Combine(_out, "leaf-1", "reset.log")).ShouldContain("reset-done");
        ((DeviceReset.Step)observers[^1]).Result!.Succeeded.ShouldBeTrue();
    }
}
