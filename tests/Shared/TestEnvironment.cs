using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using Xunit.v3;

namespace PoapLab.Testing;

/// <summary>
/// What a test left behind that its assertions did not see: task exceptions nobody observed,
/// and errors the servers, switches or the lab recorded (as timeline events: they have no
/// logger) that the test did not declare with <see cref="ExpectError"/>. A test environment
/// fails the test for any of them (MQTTnet's <c>TestEnvironment</c> does the same for
/// error-level log lines), so a green test cannot hide a broken server.
/// </summary>
/// <remarks>
/// One environment per running test (<see cref="Current"/>), opened and checked by
/// <see cref="CheckTestEnvironmentAttribute"/> put on a test assembly. Task exceptions
/// surface on the finalizer thread, which belongs to no test: they are charged to the test
/// whose end-of-test collection brings them up, so in a parallel run the culprit may be a
/// neighbour; the failure text says so.
/// </remarks>
internal sealed partial class TestEnvironment
{
    private static readonly ConcurrentQueue<Exception> Unobserved = new();
    private static readonly ConcurrentDictionary<string, TestEnvironment> ByTest = new(StringComparer.Ordinal);
    private static readonly Lock CollectGate = new();

    private readonly Lock _gate = new();
    private readonly List<ExpectedError> _expected = [];
    private readonly List<(string Source, string Kind, string Message)> _errors = [];
    private readonly List<Exception> _exceptions = [];
    private int _checked;

    static TestEnvironment()
    {
        TaskScheduler.UnobservedTaskException += (_, e) => Unobserved.Enqueue(e.Exception);
        HookLabs();
    }

    /// <summary>An environment of its own, not tied to a running test (the environment's own tests).</summary>
    public TestEnvironment()
    {
        ServerErrorsAreOutcomes = AssemblyPolicy?.ServerErrorsAreOutcomes ?? false;
    }

    /// <summary>
    /// Whether a server's failure events (a refused or failed transfer, a malformed request) are
    /// outcomes the test judges itself rather than errors (see <see cref="CheckTestEnvironmentAttribute.ServerErrorsAreOutcomes"/>).
    /// </summary>
    public bool ServerErrorsAreOutcomes { get; set; }

    /// <summary>The environment of the test running on this flow (created on first use).</summary>
    public static TestEnvironment Current =>
        TryCurrent() ?? throw new InvalidOperationException("no test is running on this flow: a test environment belongs to a test");

    /// <summary>The errors recorded that no <see cref="ExpectError"/> declares (before or after them), as they will be reported.</summary>
    public IReadOnlyList<string> UnexpectedErrors
    {
        get
        {
            lock (_gate)
            {
                return [.. _errors.Where(e => !_expected.Any(x => x.Matches(e.Source, e.Kind, e.Message))).Select(e => $"{e.Source} {e.Kind}: {e.Message}")];
            }
        }
    }

    /// <summary>
    /// Declares an error the test provokes on purpose: a recorded error whose source is
    /// <paramref name="source"/> (or starts with <c>source:</c>, e.g. <c>tftp</c> for
    /// <c>tftp:10.0.0.1</c>), whose kind is <paramref name="kind"/> (null: any) and whose
    /// message contains <paramref name="containing"/> (null: any) does not fail the test.
    /// </summary>
    public TestEnvironment ExpectError(string source, string? kind = null, string? containing = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        lock (_gate)
        {
            _expected.Add(new ExpectedError(source, kind, containing));
        }
        return this;
    }

    /// <summary>Records an error from <paramref name="source"/>: unexpected unless an <see cref="ExpectError"/> matches it.</summary>
    public void RecordError(string source, string kind, string message)
    {
        lock (_gate)
        {
            _errors.Add((source, kind, message));
        }
    }

    /// <summary>
    /// Runs the finalizers of everything unreachable now (so a faulted task nobody awaited
    /// raises <see cref="TaskScheduler.UnobservedTaskException"/>) and takes the exceptions
    /// raised so far as this test's.
    /// </summary>
    public void CollectUnobservedExceptions()
    {
        lock (CollectGate)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        lock (_gate)
        {
            while (Unobserved.TryDequeue(out var e))
            {
                _exceptions.Add(e);
            }
        }
    }

    /// <summary>
    /// Collects unobserved task exceptions (<see cref="CollectUnobservedExceptions"/>) and
    /// throws <see cref="TestEnvironmentException"/> naming every one and every unexpected
    /// error; does nothing when there are none. Later calls do nothing.
    /// </summary>
    public void Check()
    {
        if (Interlocked.Exchange(ref _checked, 1) != 0)
        {
            return;
        }
        CollectUnobservedExceptions();
        var errors = UnexpectedErrors;
        Exception[] exceptions;
        lock (_gate)
        {
            exceptions = [.. _exceptions];
        }
        if (errors.Count == 0 && exceptions.Length == 0)
        {
            return;
        }
        var text = new StringBuilder("the test environment saw what the test's assertions did not:");
        foreach (var e in errors)
        {
            text.Append("\n  unexpected error (declare it with TestEnvironment.Current.ExpectError if the test provokes it): ").Append(e);
        }
        foreach (var e in exceptions)
        {
            text.Append("\n  unobserved task exception (a task faulted and nobody awaited it; raised by this test or one running beside it): ")
                .Append(e.GetType().Name).Append(": ").Append(e.InnerException?.Message ?? e.Message);
        }
        throw new TestEnvironmentException(text.ToString(), exceptions);
    }

    /// <summary>Opens the environment of <paramref name="testId"/> (or returns the one a lab of the test already opened).</summary>
    internal static TestEnvironment Begin(string testId) => ByTest.GetOrAdd(testId, _ => new TestEnvironment());

    /// <summary>Closes the environment of <paramref name="testId"/> and checks it (<see cref="Check"/>).</summary>
    internal static void End(string testId)
    {
        if (ByTest.TryRemove(testId, out var env))
        {
            env.Check();
        }
    }

    private static TestEnvironment? TryCurrent() =>
        TestContext.Current.Test is { } test ? Begin(test.UniqueID) : null;

    /// <summary>
    /// The environment a lab created on this flow reports to: the running test's, when this
    /// test assembly checks every test (<see cref="CheckTestEnvironmentAttribute"/>) or the
    /// test asked for <see cref="Current"/>; otherwise none.
    /// </summary>
    private static TestEnvironment? ForLab()
    {
        if (TestContext.Current.Test is not { } test)
        {
            return null;
        }
        return AssemblyPolicy is not null ? Begin(test.UniqueID) : ByTest.GetValueOrDefault(test.UniqueID);
    }

    /// <summary>The test assembly's <see cref="CheckTestEnvironmentAttribute"/>, or null when it has none.</summary>
    private static CheckTestEnvironmentAttribute? AssemblyPolicy { get; } =
        typeof(TestEnvironment).Assembly.GetCustomAttribute<CheckTestEnvironmentAttribute>();

    /// <summary>Watches the labs of the test libraries this project references (see TestEnvironment.Events.cs).</summary>
    static partial void HookLabs();

    private sealed record ExpectedError(string Source, string? Kind, string? Containing)
    {
        public bool Matches(string source, string kind, string message) =>
            (source == Source || source.StartsWith(Source + ":", StringComparison.Ordinal))
            && (Kind is null || kind == Kind)
            && (Containing is null || message.Contains(Containing, StringComparison.Ordinal));
    }
}

/// <summary>A test left unobserved task exceptions or unexpected errors (see <see cref="TestEnvironment"/>).</summary>
internal sealed class TestEnvironmentException(string message, IReadOnlyList<Exception> unobserved)
    : Exception(message, unobserved.Count == 0 ? null : new AggregateException(unobserved))
{
    /// <summary>The unobserved task exceptions among the causes.</summary>
    public IReadOnlyList<Exception> Unobserved { get; } = unobserved;
}

/// <summary>
/// Put on a test assembly (<c>[assembly: CheckTestEnvironment]</c>): every test gets a
/// <see cref="TestEnvironment"/>, checked after the test method returns; what it finds fails the test.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Method)]
internal sealed class CheckTestEnvironmentAttribute : BeforeAfterTestAttribute
{
    /// <summary>
    /// Server failure events are outcomes the tests judge, not errors: for whole scenario runs,
    /// which exist to provoke them (a fault, a missing file) and check them with their own
    /// expectations. The lab's internal errors and unobserved task exceptions still fail the test.
    /// </summary>
    public bool ServerErrorsAreOutcomes { get; set; }

    public override void Before(MethodInfo methodUnderTest, IXunitTest test) => TestEnvironment.Begin(test.UniqueID);

    public override void After(MethodInfo methodUnderTest, IXunitTest test) => TestEnvironment.End(test.UniqueID);
}
