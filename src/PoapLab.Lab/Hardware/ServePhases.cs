using System.Net;
using PoapLab.Lab.Wire;

namespace PoapLab.Lab.Hardware;

/// <summary>Where a switch is in its POAP, as the wire shows it (for progress lines and metrics).</summary>
public enum ServePhase
{
    /// <summary>Expected by the scenario, not seen on the wire yet.</summary>
    Waiting,
    /// <summary>Discovering: DISCOVERs sent, no lease taken yet.</summary>
    Dhcp,
    /// <summary>Leased; fetching the script (or running it: nothing else on the wire yet).</summary>
    Script,
    /// <summary>Fetching the image or its <c>.md5</c>.</summary>
    Image,
    /// <summary>Fetching the configuration.</summary>
    Config,
    /// <summary>Every download done, configuration included: the reload comes next (the wire goes quiet).</summary>
    Reload,
    /// <summary>It came back and announced itself (the wire judge's verdict).</summary>
    Provisioned,
    /// <summary>Its last attempt ended in failure (the wire judge's verdict).</summary>
    Failed,
}

/// <summary>What the progress display, the metrics, the webhook and syslog filing read off a <see cref="WireSwitch"/>.</summary>
public static class ServePhases
{
    /// <summary>Every phase, in order, as the metrics label them.</summary>
    public static IReadOnlyList<ServePhase> All { get; } = Enum.GetValues<ServePhase>();

    /// <summary>The phase's label: <c>waiting</c>, <c>dhcp</c>, <c>script</c>, <c>image</c>, <c>config</c>, <c>reload</c>, <c>provisioned</c>, <c>failed</c>.</summary>
    public static string Label(ServePhase phase) => phase.ToString().ToLowerInvariant();

    /// <summary>
    /// The switch's phase: the verdict when the judge has one and no newer attempt is under way,
    /// else what its last attempt shows (no lease: dhcp; leased: script; then the role of its
    /// latest download; every download complete with the configuration among them: reload).
    /// </summary>
    public static ServePhase Of(WireSwitch sw)
    {
        ArgumentNullException.ThrowIfNull(sw);
        if (sw.Verdict == WireVerdict.Provisioned)
        {
            return ServePhase.Provisioned;
        }
        var last = sw.AttemptList.Count > 0 ? sw.AttemptList[^1] : null;
        if (last is null)
        {
            return sw.Verdict == WireVerdict.Failed ? ServePhase.Failed : ServePhase.Dhcp;
        }
        if (last.Ending is "release" or "new-discover")
        {
            return ServePhase.Failed;
        }
        if (last.Address is null && last.Downloads.Count == 0)
        {
            // A failed switch that discovers again without an answer is still failed; a first attempt is discovering.
            return sw.Verdict == WireVerdict.Failed && sw.AttemptList.Count > 1 ? ServePhase.Failed : ServePhase.Dhcp;
        }
        if (last.Downloads.Count == 0)
        {
            return ServePhase.Script;
        }
        if (last.Downloads.All(d => d.Completed == true) && last.Downloads.Any(d => d.Role == "config"))
        {
            return ServePhase.Reload;
        }
        foreach (var d in last.Downloads.Reverse())
        {
            switch (d.Role)
            {
                case "image" or "image-md5":
                    return ServePhase.Image;
                case "config" or "config-md5":
                    return ServePhase.Config;
                case "script" or "script-md5":
                    return ServePhase.Script;
            }
        }
        return ServePhase.Script;
    }

    /// <summary>
    /// Short slugs of why a switch failed, from the judge's diagnosis (for a metrics label and
    /// the webhook): <c>script-refused</c> (fetched, then given up: most often a stale
    /// <c>#md5sum</c>), <c>config-missing</c>, <c>script-missing</c>, <c>image-md5-mismatch</c>,
    /// <c>short-lease</c>, <c>other-dhcp-server</c>, <c>script-hang</c>, <c>dhcp-options-missing</c>,
    /// <c>no-dhcp-answer</c>, <c>dhcp-nak</c>, <c>download-failed</c>; <c>unknown</c> when none fits.
    /// </summary>
    public static IReadOnlyList<string> FailureReasons(WireSwitch sw)
    {
        ArgumentNullException.ThrowIfNull(sw);
        var reasons = new List<string>();
        foreach (var text in sw.Diagnosis)
        {
            var slug = Reason(text);
            if (slug is not null && !reasons.Contains(slug))
            {
                reasons.Add(slug);
            }
        }
        if (reasons.Count == 0)
        {
            reasons.Add("unknown");
        }
        return reasons;
    }

    private static string? Reason(string text)
    {
        bool Has(string s) => text.Contains(s, StringComparison.OrdinalIgnoreCase);
        return true switch
        {
            _ when Has("DHCP servers answer on this segment") => "other-dhcp-server",
            _ when Has("below the") && Has("POAP requires") => "short-lease",
            _ when Has("had no option") => "dhcp-options-missing",
            _ when Has("No DHCP server answered") => "no-dhcp-answer",
            _ when Has("DHCPNAK") => "dhcp-nak",
            _ when Has("The configuration") && Has("is not on") => "config-missing",
            _ when Has("The script") && Has("could not be fetched") => "script-missing",
            _ when Has("did not match its .md5") => "image-md5-mismatch",
            _ when Has("refused the script") => "script-refused",
            _ when Has("ran long with no network traffic") => "script-hang",
            _ when Has("The download of") && Has("failed") => "download-failed",
            _ => null,
        };
    }

    /// <summary>
    /// The scenario's switch the wire's switch is (by serial, else by MAC), or null when the
    /// scenario does not name it.
    /// </summary>
    public static ServeSwitch? Match(WireSwitch sw, IReadOnlyList<ServeSwitch> expected)
    {
        ArgumentNullException.ThrowIfNull(sw);
        ArgumentNullException.ThrowIfNull(expected);
        if (sw.Serial is { } serial && expected.FirstOrDefault(e => e.Serial is not null && string.Equals(e.Serial, serial, StringComparison.OrdinalIgnoreCase)) is { } bySerial)
        {
            return bySerial;
        }
        var mac = NormalMac(sw.Mac);
        return mac is null ? null : expected.FirstOrDefault(e => e.Mac is not null && NormalMac(e.Mac) == mac);
    }

    /// <summary>The name to show for a wire switch: the scenario's, else its serial, else its MAC (for display only, never a path).</summary>
    public static string DisplayName(WireSwitch sw, IReadOnlyList<ServeSwitch> expected) =>
        Match(sw, expected)?.Name ?? Printable(sw.Serial) ?? sw.Mac;

    /// <summary>The addresses each wire switch leased, latest last.</summary>
    public static IEnumerable<IPAddress> LeasedAddresses(WireSwitch sw) =>
        sw.AttemptList.Select(a => a.Address).OfType<IPAddress>();

    private static string? Printable(string? text) =>
        text is null || text.Length is 0 or > 64 || text.Any(c => c < 0x21 || c > 0x7e) ? null : text;

    private static string? NormalMac(string mac)
    {
        var hex = new string(mac.Where(Uri.IsHexDigit).Select(char.ToLowerInvariant).ToArray());
        return hex.Length == 12 ? hex : null;
    }
}
