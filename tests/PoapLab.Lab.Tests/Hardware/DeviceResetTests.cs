using System.Diagnostics;
using PoapLab.Lab.Hardware;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Hardware;

public sealed class DeviceResetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-reset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Log => Path.Combine(_dir, "leaf-1", "reset.log");

    /// <summary>A sleep whose argument is unique to the test, so /proc shows whether it still runs.</summary>
    private static string Marker() => "1000." + Random.Shared.NextInt64(100_000_000, 999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static bool Running(string marker) =>
        Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)).Any(d =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(marker, StringComparison.Ordinal);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        });

    private static async Task ShouldEndAsync(string marker, CancellationToken ct)
    {
        for (var i = 0; i < 100 && Running(marker); i++)
        {
            await Task.Delay(50, ct);
        }
        Running(marker).ShouldBeFalse($"a process of the reset command (sleep {marker}) is still running");
    }

    [Fact]
    public async Task RunAsync_ACommandThatEnds_ItsOutputAndExitStatusInResetLog()
    {
        var ct = TestContext.Current.CancellationToken;

        var result = await DeviceReset.RunAsync(new DeviceResetOptions("echo 'write erase ; reload'; echo oops >&2; read x || echo no-stdin; exit 3", Log), TimeProvider.System, ct);

        result.ExitCode.ShouldBe(3);
        result.TimedOut.ShouldBeFalse();
        result.Succeeded.ShouldBeFalse();
        var text = File.ReadAllText(Log);
        text.ShouldStartWith("$ echo 'write erase ; reload'");
        text.ShouldContain("write erase ; reload\n");
        text.ShouldContain("oops\n");
        text.ShouldContain("no-stdin\n");
        text.ShouldContain("exited with status 3");
    }

    [Fact]
    public async Task RunAsync_ACommandThatNeverEnds_KilledAtItsTimeoutWithWhatItStarted()
    {
        var ct = TestContext.Current.CancellationToken;
        var marker = Marker();
        var clock = Stopwatch.StartNew();

        var result = await DeviceReset.RunAsync(new DeviceResetOptions($"echo waiting; sleep {marker} & sleep {marker}", Log, TimeSpan.FromSeconds(1)), TimeProvider.System, ct);

        result.TimedOut.ShouldBeTrue();
        result.ExitCode.ShouldBeNull();
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20));
        await ShouldEndAsync(marker, ct);
        File.ReadAllText(Log).ShouldContain("did not end within its time and was killed");
    }

    [Fact]
    public async Task RunAsync_ACommandThatStartsADaemon_TheDaemonEndsWithIt()
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (the reset command's PID namespace)");
        var ct = TestContext.Current.CancellationToken;
        var detached = Marker();
        var holding = Marker();

        // One daemon detached the classic way (its own session, no pipes), one keeping our stdout open.
        var result = await DeviceReset.RunAsync(new DeviceResetOptions(
            $"setsid sh -c 'sleep {detached}' </dev/null >/dev/null 2>&1 & (setsid sleep {holding} &) ; echo started", Log, TimeSpan.FromSeconds(30)), TimeProvider.System, ct);

        result.ExitCode.ShouldBe(0);
        await ShouldEndAsync(detached, ct);
        await ShouldEndAsync(holding, ct);
    }

    [Fact]
    public async Task RunAsync_HugeOutput_LogBoundedAndTheRestCounted()
    {
        var ct = TestContext.Current.CancellationToken;

        var result = await DeviceReset.RunAsync(new DeviceResetOptions("head -c 20000000 /dev/zero | tr '\\0' a", Log, TimeSpan.FromSeconds(60), MaxLogBytes: 64 * 1024), TimeProvider.System, ct);

        result.ExitCode.ShouldBe(0);
        result.OutputBytes.ShouldBe(20_000_000);
        result.OutputCut.ShouldBeTrue();
        new FileInfo(Log).Length.ShouldBeLessThan(64 * 1024 + 1024);
        File.ReadAllText(Log).ShouldContain("bytes of output not kept");
    }

    [Fact]
    public async Task RunAsync_CancelledByTheRun_KilledAndThrown()
    {
        var marker = Marker();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromMilliseconds(500));

        await Should.ThrowAsync<OperationCanceledException>(() => DeviceReset.RunAsync(new DeviceResetOptions($"sleep {marker}", Log), TimeProvider.System, cts.Token));

        await ShouldEndAsync(marker, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("echo a\0b")]
    public void Validate_AnUnusableCommand_Refused(string command)
    {
        Should.Throw<ArgumentException>(() => DeviceReset.Validate(new DeviceResetOptions(command, "/tmp/x.log")));
    }

    [Fact]
    public void Validate_UnusableBounds_Refused()
    {
        Should.Throw<ArgumentException>(() => DeviceReset.Validate(new DeviceResetOptions("true", "/tmp/x.log", TimeSpan.FromHours(2))));
        Should.Throw<ArgumentException>(() => DeviceReset.Validate(new DeviceResetOptions("true", "/tmp/x.log", TimeSpan.Zero)));
        Should.Throw<ArgumentException>(() => DeviceReset.Validate(new DeviceResetOptions(new string('x', 5000), "/tmp/x.log")));
    }
}
