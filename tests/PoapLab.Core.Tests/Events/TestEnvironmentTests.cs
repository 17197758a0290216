using System.Runtime.CompilerServices;
using PoapLab.Core.Events;
using PoapLab.Testing;

namespace PoapLab.Core.Tests.Events;

/// <summary>
/// The shared test environment (tests/Shared/TestEnvironment.cs) really fails a test: these
/// run its check directly. This assembly does not put <see cref="CheckTestEnvironmentAttribute"/>
/// on every test, so nothing else here collects the unobserved exceptions these tests leave.
/// </summary>
[Collection(LoadSensitive.Name)]
public sealed class TestEnvironmentTests
{
    [Fact]
    public void Check_NothingWentWrong_DoesNotThrow()
    {
        var env = new TestEnvironment();
        var timeline = new Timeline();
        env.Watch(timeline);
        timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerCompleted, "sent poap.py");

        Should.NotThrow(env.Check);
        env.UnexpectedErrors.ShouldBeEmpty();
    }

    [Fact]
    public void Check_TaskFaultedAndNeverObserved_ThrowsNamingTheException()
    {
        var env = new TestEnvironment();
        LeakFaultedTask("nobody awaited me");

        var e = Should.Throw<TestEnvironmentException>(env.Check);

        e.Message.ShouldContain("unobserved task exception");
        e.Message.ShouldContain("nobody awaited me");
        e.Unobserved.ShouldContain(x => x.InnerException!.Message == "nobody awaited me");
    }

    [Fact]
    public async Task Check_TaskFaultedButAwaited_DoesNotThrow()
    {
        var env = new TestEnvironment();
        var task = Task.Run(() => throw new InvalidOperationException("observed"), TestContext.Current.CancellationToken);
        await Should.ThrowAsync<InvalidOperationException>(task);

        Should.NotThrow(env.Check);
    }

    [Fact]
    public void Check_ServerRecordedAnError_ThrowsWithTheEvent()
    {
        var env = new TestEnvironment();
        var timeline = new Timeline();
        env.Watch(timeline);

        timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerFailed, "TFTP transfer of poap.py failed: no ACK after 5 retransmissions");

        var e = Should.Throw<TestEnvironmentException>(env.Check);
        e.Message.ShouldContain("unexpected error");
        e.Message.ShouldContain("tftp:10.0.0.1 tftp-server.failed: TFTP transfer of poap.py failed: no ACK after 5 retransmissions");
    }

    [Theory]
    [InlineData("scenario", "poap.completed", "the scenario could not run: internal error (NullReferenceException: x)")]
    [InlineData("switch:leaf-101", "poap.script.exited", "script ended: Crashed: script bridge fault: IOException: boom")]
    [InlineData("ssh:10.0.0.1", "ssh-server.exited", "sshd (bwrap pid 12) did not exit cleanly: timeout")]
    [InlineData("dhcp:10.0.0.1", "dhcp-server.malformed", "malformed DHCP datagram")]
    [InlineData("ftp:10.0.0.1", "ftp-server.failed", "FTP RETR x: no data connection")]
    public void Check_ErrorOrInternalFaultEvent_Throws(string source, string kind, string message)
    {
        var env = new TestEnvironment();
        var timeline = new Timeline();
        env.Watch(timeline);

        timeline.Record(source, kind, message);

        Should.Throw<TestEnvironmentException>(env.Check).Message.ShouldContain(message);
    }

    [Theory]
    [InlineData(EventKinds.TftpServerRequest)]
    [InlineData(EventKinds.PoapAttemptFailed)]
    [InlineData(EventKinds.ScriptDownloadFailed)]
    [InlineData(EventKinds.FaultInjected)]
    public void Check_OutcomeEventsAScenarioTests_AreNotErrors(string kind)
    {
        var env = new TestEnvironment();
        var timeline = new Timeline();
        env.Watch(timeline);

        timeline.Record("switch:leaf-101", kind, "an outcome a scenario checks, not a broken lab");

        Should.NotThrow(env.Check);
    }

    [Fact]
    public void Check_ServerErrorsAreOutcomes_ServerFailurePassesInternalErrorStillFails()
    {
        var env = new TestEnvironment { ServerErrorsAreOutcomes = true };
        var timeline = new Timeline();
        env.Watch(timeline);

        timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerFailed, "TFTP nope.cfg refused: File not found");
        env.UnexpectedErrors.ShouldBeEmpty();
        timeline.Record("scenario", EventKinds.PoapAborted, "internal error (NullReferenceException)");

        Should.Throw<TestEnvironmentException>(env.Check).Message.ShouldContain("NullReferenceException");
    }

    [Fact]
    public void Check_ErrorDeclaredExpected_DoesNotThrow()
    {
        var env = new TestEnvironment().ExpectError("tftp", EventKinds.TftpServerFailed, "File not found");
        var timeline = new Timeline();
        env.Watch(timeline);

        timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerFailed, "TFTP nope.cfg refused: File not found");

        Should.NotThrow(env.Check);
    }

    [Fact]
    public void Check_ErrorDeclaredAfterItHappened_DoesNotThrow()
    {
        var env = new TestEnvironment();
        var timeline = new Timeline();
        env.Watch(timeline);
        timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerFailed, "TFTP nope.cfg refused: File not found");

        env.ExpectError("tftp", EventKinds.TftpServerFailed);

        Should.NotThrow(env.Check);
    }

    [Theory]
    [InlineData("tftp", EventKinds.TftpServerFailed, "Access violation")] // other text
    [InlineData("ftp", EventKinds.TftpServerFailed, null)] // other server
    [InlineData("tftp", EventKinds.FtpServerFailed, null)] // other kind
    [InlineData("tft", null, null)] // a prefix of the name is not the name
    public void Check_DeclaredErrorDoesNotMatch_StillThrows(string source, string? kind, string? containing)
    {
        var env = new TestEnvironment().ExpectError(source, kind, containing);
        var timeline = new Timeline();
        env.Watch(timeline);

        timeline.Record("tftp:10.0.0.1", EventKinds.TftpServerFailed, "TFTP nope.cfg refused: File not found");

        Should.Throw<TestEnvironmentException>(env.Check);
    }

    [Fact]
    public void Current_TimelineCreatedDuringTheTest_IsWatchedWithoutBeingHandedOver()
    {
        var id = TestContext.Current.Test!.UniqueID;
        _ = TestEnvironment.Current; // this assembly does not check every test: ask for one
        var timeline = new Timeline(); // as a scenario run creates its own, inside the runner

        timeline.Record("http:10.0.0.1", EventKinds.FtpServerFailed, "a server broke");

        Should.Throw<TestEnvironmentException>(() => TestEnvironment.End(id)).Message.ShouldContain("a server broke");
    }

    [Fact]
    public void End_CheckedOnce_SecondCheckDoesNothing()
    {
        var env = new TestEnvironment();
        env.RecordError("tftp:10.0.0.1", EventKinds.TftpServerFailed, "x");

        Should.Throw<TestEnvironmentException>(env.Check);
        Should.NotThrow(env.Check);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeakFaultedTask(string message)
    {
        var source = new TaskCompletionSource();
        source.SetException(new InvalidOperationException(message));
    }
}
