namespace PoapLab.Switch.Identity;

/// <summary>The release families whose behaviour differs in ways POAP scripts see.</summary>
public enum NxosReleaseFamily
{
    /// <summary>6.x on Nexus 3000/5000/6000: a kickstart and a system image, Python 2.7, the <c>cisco</c> module.</summary>
    Nxos6 = 6,

    /// <summary>7.0(3)Ix: one <c>nxos</c> image, Python 2.7.</summary>
    Nxos7 = 7,

    /// <summary>9.2 and earlier 9.x: Python 2.7.</summary>
    Nxos9Early = 9,

    /// <summary>9.3: <c>copy ... compact</c>; Python 3 (beside 2.7) from 9.3(5) on.</summary>
    Nxos93 = 93,

    /// <summary>10.x: 64-bit images, Python 3.</summary>
    Nxos10 = 10,
}

/// <summary>
/// What a release can do, asked by name instead of by comparing versions at each use
/// (the way StackExchange.Redis's <c>RedisFeatures</c> answers "does this server have
/// scripting?"). Built from the release and the model; every release-specific branch of
/// the CLI and the POAP agent reads one of these properties.
/// </summary>
/// <param name="Version">The release the switch runs.</param>
/// <param name="Model">The product id, e.g. <c>N9K-C93108TC-EX</c>.</param>
public sealed record NxosFeatures(NxosVersion Version, string Model)
{
    /// <summary>The family the release belongs to.</summary>
    public NxosReleaseFamily Family => Version.Major switch
    {
        < 7 => NxosReleaseFamily.Nxos6,
        7 or 8 => NxosReleaseFamily.Nxos7,
        9 when Version.Minor < 3 => NxosReleaseFamily.Nxos9Early,
        9 => NxosReleaseFamily.Nxos93,
        _ => NxosReleaseFamily.Nxos10,
    };

    /// <summary>A kickstart and a system image (<c>boot kickstart</c>/<c>boot system</c>, <c>install all kickstart .. system ..</c>); 7.x brought the single <c>nxos</c> image.</summary>
    public bool DualImage => Family == NxosReleaseFamily.Nxos6;

    /// <summary>The legacy <c>cisco</c> Python module (<c>cisco.cli</c>, <c>CLI(...)</c>) of 6.x images.</summary>
    public bool LegacyCiscoModule => Family == NxosReleaseFamily.Nxos6;

    /// <summary>The newest Python the image has: <c>2.7</c> before 9.3(5), <c>3</c> from 9.3(5) on (docs/nxos-python.md).</summary>
    public string PythonMajor => Version.PythonMajor;

    /// <summary>
    /// Python 2.7 and Python 3 side by side (<c>python</c> and <c>python3</c> at the CLI): 9.3(5) and later.
    /// </summary>
    public bool BothPythons => Version.HasPython3;

    /// <summary>
    /// The Python POAP runs a script with: 2.7 on an image that has only 2.7 (before 9.3(5)),
    /// Python 3 on one that has both, whatever the script's <c>#!</c> line names. No document
    /// says POAP reads that line, and Python 2 scripts (<c>#!/bin/env python</c>,
    /// <c>print "..."</c>) are reported failing on 9.3+/10.x images, which they would not if
    /// POAP ran them with the image's <c>python</c> (2.7) there; docs/nxos-python.md.
    /// </summary>
    /// <remarks><c>2.7</c> or <c>3</c>, as <see cref="Script.PythonLocator.Resolve"/> takes them;
    /// <see cref="Script.Shebang"/> reports what the <c>#!</c> line names beside it.</remarks>
    public string ScriptPython => BothPythons ? "3" : "2.7";

    /// <summary>
    /// <c>#md5sum=&lt;md5&gt;</c> without double quotes is accepted: 6.x and Nexus 9000 7.0(3)I1,
    /// the releases Cisco's own sample script (unquoted until 2017) was written for; from
    /// 7.0(3)I2 on a Nexus 9000 insists on <c>#md5sum="&lt;md5&gt;"</c> (docs/nxos-python.md).
    /// </summary>
    public bool Md5SumUnquoted =>
        Family == NxosReleaseFamily.Nxos6
        || (Version is { Major: 7, Minor: 0, Maintenance: 3 } && Version.Train is "I1");

    /// <summary>
    /// The image file the release boots from on this platform: <c>n3000-uk9.6.0.2.U6.10.bin</c>
    /// (6.x on N3K; <c>n3500-uk9</c>, <c>n5000-uk9</c>, <c>n6000-uk9</c> on the others),
    /// <c>n9000-dk9.7.0.3.I1.3.bin</c> (Nexus 9000 before 7.0(3)I2(1), and 6.1(2)I* standalone
    /// images), else <see cref="NxosVersion.ImageName"/> (<c>nxos.7.0.3.I7.9.bin</c>,
    /// <c>nxos64-cs.10.3.6.M.bin</c>).
    /// </summary>
    public string ImageName(string flavour = "cs")
    {
        if (PlatformImageNames)
        {
            return $"n9000-dk9.{Version.DottedRelease}.bin";
        }
        if (DualImage)
        {
            return $"{LegacyImageFamily}.{Version.DottedRelease}.bin";
        }
        return Version.ImageName(flavour);
    }

    /// <summary>The kickstart image of a dual-image (6.x) release, <c>n3000-uk9-kickstart.6.0.2.U6.10.bin</c>; null for single-image releases.</summary>
    public string? KickstartImageName =>
        DualImage && !PlatformImageNames ? KickstartImageFor(ImageName()) : null;

    /// <summary>
    /// The system image a dual-image (6.x) switch reports running: <paramref name="runningImage"/>
    /// when it has a 6.x name, else this release's <see cref="ImageName"/> (a switch booted from an
    /// <c>nxos.*</c> name, which 6.x never had).
    /// </summary>
    public string SystemImageName(string runningImage)
    {
        var name = runningImage.StartsWith("bootflash:", StringComparison.OrdinalIgnoreCase) ? runningImage["bootflash:".Length..] : runningImage;
        name = name.TrimStart('/');
        return name.Length > 0 && !name.StartsWith("nxos", StringComparison.OrdinalIgnoreCase) ? name : ImageName();
    }

    /// <summary>
    /// The kickstart image paired with a 6.x system image: <c>n3000-uk9-kickstart.6.0.2.U6.10.bin</c>
    /// beside <c>n3000-uk9.6.0.2.U6.10.bin</c> (the pairs of the Nexus 3000 6.x upgrade guide).
    /// </summary>
    public string KickstartImageFor(string systemImage)
    {
        var at = systemImage.IndexOf("-uk9.", StringComparison.Ordinal);
        return at >= 0
            ? systemImage[..at] + "-uk9-kickstart." + systemImage[(at + "-uk9.".Length)..]
            : LegacyImageFamily + "-kickstart." + systemImage;
    }

    /// <summary>
    /// Nexus 9000 images named <c>n9000-dk9.*</c>: releases before 7.0(3)I2(1), which brought the
    /// <c>nxos.*</c> names (Cisco Nexus 9000 Series NX-OS Software Upgrade and Downgrade Guide, 7.x).
    /// </summary>
    private bool PlatformImageNames =>
        (Version.Major == 6 && Version.Train is { } t && t.StartsWith('I'))
        || (Version is { Major: 7, Minor: 0, Maintenance: 3 } && Version.Train is "I1");

    /// <summary><c>n3000-uk9</c>, <c>n3500-uk9</c>, <c>n5000-uk9</c> or <c>n6000-uk9</c>: the 6.x image family of the model.</summary>
    public string LegacyImageFamily
    {
        get
        {
            var model = Model.ToUpperInvariant();
            return model.StartsWith("N3K-C35", StringComparison.Ordinal) ? "n3500-uk9"
                : model.StartsWith("N5K-", StringComparison.Ordinal) ? "n5000-uk9"
                : model.StartsWith("N6K-", StringComparison.Ordinal) ? "n6000-uk9"
                : "n3000-uk9";
        }
    }

    /// <summary><c>copy ... use-kstack</c> is known from 9.x on; older images call it a syntax error.</summary>
    public bool CopyUseKstack => Version.Major >= 9;

    /// <summary><c>copy ... compact</c>: Nexus 9000 from 9.3 on.</summary>
    public bool CopyCompact =>
        Model.StartsWith("N9K-", StringComparison.OrdinalIgnoreCase) && Family is NxosReleaseFamily.Nxos93 or NxosReleaseFamily.Nxos10;

    /// <summary><c>personality restore</c>: from 9.2(1) on.</summary>
    public bool Personality => Version.Major > 9 || (Version.Major == 9 && Version.Minor >= 2);

    /// <summary>
    /// POAP's DHCPDISCOVER/REQUEST carry option 77 (user class "Cisco-POAP") from 7.0(3)I7(4) on,
    /// and on every 9.x and later image; earlier trains send none.
    /// </summary>
    public bool PoapUserClass =>
        Version.Train is null
            ? Version.Major >= 9
            : Version.Major > 7 || (Version.Train == "I7" && int.TryParse(Version.TrainRelease, out var r) && r >= 4);

    /// <summary>POAP sends Cisco's vendor headers with its HTTP script request from 10.2(1) on.</summary>
    public bool PoapHttpVendorHeaders =>
        (Version.Major, Version.Minor, Version.Maintenance).CompareTo((10, 2, 1)) >= 0;

    /// <summary>
    /// <c>feature bash-shell</c> and <c>run bash</c>: the Bash shell of 7.0(3)I2 and later Nexus 9000/3000
    /// images (Cisco Nexus 9000 Series NX-OS Programmability Guide, "Bash"); 6.x has none.
    /// </summary>
    public bool BashShell => Family != NxosReleaseFamily.Nxos6;

    /// <summary>
    /// POAP's syslog lines carry the <c>[serial-MAC]</c> tag (<c>[9Y782OPGG5Q-AA:AA:AA:AA:AA:B1] -
    /// Assigned IP address: ...</c> in 7.0(3)I6 console output, <c>[FOX2249PGK1-D4:C9:3C:85:7D:BF]</c>
    /// in the 10.x guides); the 2013 output of the first Nexus 9000 releases has none
    /// (<c>%POAP-2-POAP_INFO: Script Server: 172.23.40.6</c>). Modelled as: 7.x on.
    /// </summary>
    public bool PoapLogTag => Family != NxosReleaseFamily.Nxos6;

    /// <summary>
    /// Secure POAP: the script URL, CA list and flags of DHCP option 43 (IPv4) / option 17 (IPv6), the script
    /// fetched over HTTPS, from 10.2(3)F on (Cisco Nexus 9000 Series NX-OS Fundamentals Configuration Guide,
    /// "Secure Download of POAP Script"); older releases ignore those options.
    /// </summary>
    public bool SecurePoap => (Version.Major, Version.Minor, Version.Maintenance).CompareTo((10, 2, 3)) >= 0;

    /// <summary>Secure POAP takes Root-CA bundles (several certificates in one file) from 10.4(1)F on; before, one .pem certificate per file.</summary>
    public bool SecurePoapCaBundles => (Version.Major, Version.Minor, Version.Maintenance).CompareTo((10, 4, 1)) >= 0;

    /// <summary><c>show version image FILE</c> (the image check scripts read "Passed" from): single-image releases.</summary>
    public bool ShowVersionImage => !DualImage;
}
