namespace PoapLab.Lab.Wire;

/// <summary>How the wire judge weighs silences, and the bounds that keep it small on any capture.</summary>
public sealed record WireJudgeOptions
{
    /// <summary>
    /// A switch silent this long after fetching its script, before it gives the attempt up, is
    /// judged to have run the script (which then hung or waited); shorter, it refused the
    /// script before running it (a stale <c>#md5sum</c>). Default 2.5 s.
    /// </summary>
    public TimeSpan HangThreshold { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>A gap in a switch's traffic at least this long is put in its timeline. Default 2 s.</summary>
    public TimeSpan SilenceFact { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most switches (DHCP clients) followed; later ones are counted in the notes.</summary>
    public int MaxSwitches { get; init; } = 1024;

    /// <summary>Most facts kept per switch; later ones are counted.</summary>
    public int MaxFactsPerSwitch { get; init; } = 2000;

    /// <summary>Most TFTP transfers and TCP connections followed at once.</summary>
    public int MaxFlows { get; init; } = 4096;

    /// <summary>Most attempts kept per switch.</summary>
    public int MaxAttempts { get; init; } = 256;
}
