using System.Net;

namespace PoapLab.Lab.Wire;

/// <summary>What the wire says became of a switch's POAP.</summary>
public enum WireVerdict
{
    /// <summary>The wire does not show how it ended (the capture stops mid-way, or shows too little).</summary>
    Unknown,
    /// <summary>It came back after its downloads and announced itself (CDP or LLDP).</summary>
    Provisioned,
    /// <summary>Its attempts ended in failure and it started over (or would: a DHCPRELEASE, a new DISCOVER).</summary>
    Failed,
}

/// <summary>One fact the wire shows, with the frame that shows it.</summary>
/// <param name="Frame">The frame's number in the capture, from 1 (as Wireshark numbers them).</param>
/// <param name="Time">The frame's capture time.</param>
/// <param name="Kind">What kind of fact, e.g. <c>dhcp.discover</c>, <c>tftp.read</c>, <c>http.get</c>, <c>cdp</c>.</param>
/// <param name="Text">The fact in plain words.</param>
public sealed record WireFact(long Frame, DateTimeOffset Time, string Kind, string Text);

/// <summary>What a download looked like on the wire.</summary>
/// <param name="Protocol"><c>tftp</c> or <c>http</c>.</param>
/// <param name="Server">The server's address.</param>
/// <param name="File">The file name or path asked for.</param>
/// <param name="Role">What the file is to POAP, judged from its name: script, script-md5, image, image-md5, config, config-md5, other.</param>
/// <param name="Completed">True: every byte arrived; false: it failed or stopped; null: still under way when the capture ended.</param>
/// <param name="Bytes">Payload bytes seen (each byte once).</param>
/// <param name="ExpectedBytes">The size announced (TFTP tsize, HTTP Content-Length), when announced.</param>
/// <param name="Error">The error the server or client gave (TFTP error code and message, HTTP status), or why it stopped.</param>
/// <param name="Frame">The frame of the request.</param>
/// <param name="EndFrame">The frame that ended it (last DATA, ERROR, response end), or the last seen.</param>
/// <param name="Status">The HTTP status code, or the TFTP error code; null when none.</param>
public sealed record WireDownload(
    string Protocol, IPAddress Server, string File, string Role, bool? Completed, long Bytes, long? ExpectedBytes,
    string? Error, long Frame, long EndFrame, int? Status)
{
    /// <summary>The request's options or headers worth reporting (TFTP blksize/tsize, HTTP X-Vendor-*).</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();
}

/// <summary>One POAP attempt as the wire shows it: DHCP, then the downloads, then how it ended.</summary>
/// <param name="Number">1-based.</param>
/// <param name="Discovers">DHCPDISCOVERs the switch sent in it.</param>
/// <param name="Server">The server whose ACK the switch took; null when none.</param>
/// <param name="Address">The leased address; null when none.</param>
/// <param name="LeaseSeconds">The lease time of the ACK.</param>
/// <param name="Script">Option 67 of the ACK (the script name).</param>
/// <param name="ScriptServer">Option 66 or 150 of the ACK.</param>
/// <param name="Downloads">What it fetched, in order.</param>
/// <param name="Ending">How it ended: <c>release</c>, <c>new-discover</c>, <c>announced</c>, <c>capture-end</c>.</param>
/// <param name="QuietSeconds">Seconds from its last transfer (or the ACK) to its end: how long the switch said nothing.</param>
public sealed record WireAttempt(
    int Number, int Discovers, IPAddress? Server, IPAddress? Address, long? LeaseSeconds, string? Script, string? ScriptServer,
    IReadOnlyList<WireDownload> Downloads, string Ending, double? QuietSeconds);

/// <summary>Everything the wire says about one switch (one DHCP client).</summary>
/// <param name="Mac">Its MAC (DHCP chaddr, the frames' source).</param>
/// <param name="Serial">Its serial, from the client identifier (option 61, <c>\0</c> then the serial) or CDP's Device-ID; null when neither shows it.</param>
/// <param name="Verdict">What became of it.</param>
/// <param name="Attempts">POAP attempts seen; null when the wire cannot count them exactly (see <see cref="AttemptsAtLeast"/>).</param>
/// <param name="AttemptsAtLeast">The attempts the wire proves at least.</param>
/// <param name="FinalVersion">The NX-OS version it announced after its reload (CDP/LLDP), or null: not knowable from this capture.</param>
/// <param name="Hostname">The host name it announced, or null.</param>
/// <param name="Platform">The platform it announced, or null.</param>
/// <param name="Diagnosis">The verdict's reasons in plain words.</param>
/// <param name="Unknowns">What the wire cannot say about it.</param>
/// <param name="Timeline">The facts, in frame order.</param>
/// <param name="AttemptList">The attempts.</param>
public sealed record WireSwitch(
    string Mac, string? Serial, WireVerdict Verdict, int? Attempts, int AttemptsAtLeast, string? FinalVersion, string? Hostname, string? Platform,
    IReadOnlyList<string> Diagnosis, IReadOnlyList<string> Unknowns, IReadOnlyList<WireFact> Timeline, IReadOnlyList<WireAttempt> AttemptList)
{
    /// <summary>The user class the switch sent (option 77), e.g. <c>Cisco-POAP</c>.</summary>
    public string? UserClass { get; init; }

    /// <summary>The options it asked for (option 55), e.g. <c>1,3,6,15,51,66,67,150</c>.</summary>
    public string? ParameterList { get; init; }

    /// <summary>Facts left out of <see cref="Timeline"/> beyond its bound.</summary>
    public long TimelineOmitted { get; init; }

    /// <summary>The management address it announced after its reload (CDP/LLDP), or null.</summary>
    public IPAddress? ManagementAddress { get; init; }
}

/// <summary>The judge's whole answer for one capture.</summary>
/// <param name="Frames">Frames read.</param>
/// <param name="Undecodable">Frames the judge could not take apart (truncated, malformed), skipped.</param>
/// <param name="Switches">Every DHCP client that looked like a POAP switch, in order of first appearance.</param>
/// <param name="Notes">What limited the judgement (bounds reached, an unknown link type).</param>
public sealed record WireReport(long Frames, long Undecodable, IReadOnlyList<WireSwitch> Switches, IReadOnlyList<string> Notes)
{
    /// <summary>The first and last frame's time; null for an empty capture.</summary>
    public DateTimeOffset? Start { get; init; }

    /// <inheritdoc cref="Start"/>
    public DateTimeOffset? End { get; init; }
}
