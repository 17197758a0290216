using PoapLab.Core.Events;

namespace PoapLab.Testing;

/// <summary>The lab side of the test environment: the timeline events that are errors.</summary>
internal sealed partial class TestEnvironment
{
    /// <summary>Texts in any event that mean the lab itself broke (a scenario run's or the script bridge's exception).</summary>
    private static readonly string[] InternalMarkers = ["internal error", "script bridge fault", "did not exit cleanly"];

    /// <summary>
    /// Server events that say the server failed a client or could not read its request: a
    /// test provoking one declares it; anywhere else it is a server that broke while the
    /// client's retries or the test's assertions hid it.
    /// </summary>
    public static readonly IReadOnlySet<string> ErrorKinds = new HashSet<string>(StringComparer.Ordinal)
    {
        EventKinds.DhcpServerMalformed,
        EventKinds.Dhcp6ServerMalformed,
        EventKinds.TftpServerFailed,
        EventKinds.FtpServerFailed,
    };

    /// <summary>Whether <paramref name="e"/> is an error the test must declare (see <see cref="ErrorKinds"/>).</summary>
    public static bool IsError(LabEvent e) => ErrorKinds.Contains(e.Kind) || IsInternal(e);

    /// <summary>Whether <paramref name="e"/> says the lab itself broke (<see cref="InternalMarkers"/>).</summary>
    public static bool IsInternal(LabEvent e) =>
        InternalMarkers.Any(m => e.Message.Contains(m, StringComparison.OrdinalIgnoreCase)
            || e.Data.Values.Any(v => v.Contains(m, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Records every error event of <paramref name="timeline"/> from now on (<see cref="RecordError"/>).</summary>
    public void Watch(Timeline timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        timeline.Subscribe(Observe);
    }

    /// <summary>
    /// Records <paramref name="e"/> if it is an error (<see cref="IsError"/>); a server failure
    /// only when <see cref="ServerErrorsAreOutcomes"/> is off.
    /// </summary>
    public void Observe(LabEvent e)
    {
        if (IsInternal(e) || (!ServerErrorsAreOutcomes && ErrorKinds.Contains(e.Kind)))
        {
            RecordError(e.Source, e.Kind, e.Message);
        }
    }

    static partial void HookLabs() =>
        // Every timeline a test creates, itself or inside a scenario run, reports to the test's environment.
        Timeline.Created += timeline => ForLab()?.Watch(timeline);
}
