namespace PoapLab.Switch.Poap;

/// <summary>How the switch's POAP process behaves: timers, bounds, and what the operator does.</summary>
public sealed record PoapSettings
{
    /// <summary>POAP attempts before the run is given up (the real switch loops for ever; a lab must stop).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>DISCOVERs sent in one attempt before the DHCP phase counts as failed.</summary>
    public int DiscoverTries { get; init; } = 4;

    /// <summary>
    /// Wait for an answer after the first DISCOVER; doubled after each (RFC 2131 §4.1: 4 s,
    /// then 8, 16, 32, 64 s).
    /// </summary>
    public TimeSpan DhcpFirstTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Wait for the ACK after a REQUEST.</summary>
    public TimeSpan DhcpRequestTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Shortest lease POAP accepts (below 3600 s POAP does not complete the DHCP negotiation: Cisco's NX-OS Fundamentals Configuration Guide, "Using PowerOn Auto Provisioning").</summary>
    public TimeSpan MinimumLease { get; init; } = TimeSpan.FromSeconds(3600);

    /// <summary>Pause between a failed attempt and the next.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Real time a script may run before it is killed as hung.</summary>
    public TimeSpan ScriptTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Reloads (POAP rounds through new images) before the run stops: bounds multi-step loops.</summary>
    public int MaxReloads { get; init; } = 4;

    /// <summary>The port POAP runs on: <c>mgmt0</c> (VRF management) or a front-panel port (VRF default).</summary>
    public string Interface { get; init; } = "mgmt0";

    /// <summary>The VRF of <see cref="Interface"/>.</summary>
    public string Vrf => Interface.StartsWith("mgmt", StringComparison.OrdinalIgnoreCase) ? "management" : "default";

    /// <summary>Seed for the switch's random choices (DHCP xid, POAP pid): same seed, same run.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Operator aborts and power losses to inflict on the switch.</summary>
    public IReadOnlyList<SwitchFault> Faults { get; init; } = [];

    /// <summary>Whether POAP also tries DHCPv6 (between DHCPv4 rounds, as the switch does).</summary>
    public bool Ipv6 { get; init; } = true;

    /// <summary>Python interpreter to run the script with; null picks by the running release.</summary>
    public string? Python { get; init; }
}
