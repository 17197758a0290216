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

    /// <summary>9.3: Python 3 is the default <c>python</c>; <c>copy ... compact</c>.</summary>
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

    /// <summary>The Python the image runs POAP scripts with: <c>2.7</c> before 9.3, <c>3</c> from 9.3 on.</summary>
    public string PythonMajor => Version.PythonMajor;

    /// <summary><c>copy ... use-kstack</c> is known from 9.x on; older images call it a syntax error.</summary>
    public bool CopyUseKstack => Version.Major >= 9;

    /// <summary><c>copy ... compact</c>: Nexus 9000 from 9.3 on.</summary>
    public bool CopyCompact =>
        Model.StartsWith("N9K-", StringComparison.OrdinalIgnoreCase) && Family is NxosReleaseFamily.Nxos93 or NxosReleaseFamily.Nxos10;

    /// <summary><c>personality restore</c>: from 9.2(1) on.</summary>
    public bool Personality => Version.Major > 9 || (Version.Major == 9 && Version.Minor >= 2);

    /// <summary>POAP sends Cisco's vendor headers with its HTTP script request from 10.2(1) on.</summary>
    public bool PoapHttpVendorHeaders =>
        (Version.Major, Version.Minor, Version.Maintenance).CompareTo((10, 2, 1)) >= 0;

    /// <summary>
    /// <c>feature bash-shell</c> and <c>run bash</c>: the Bash shell of 7.0(3)I2 and later Nexus 9000/3000
    /// images (Cisco Nexus 9000 Series NX-OS Programmability Guide, "Bash"); 6.x has none.
    /// </summary>
    public bool BashShell => Family != NxosReleaseFamily.Nxos6;

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
