using System.Globalization;
using System.Text.RegularExpressions;

namespace PoapLab.Switch.Identity;

/// <summary>
/// An NX-OS release as <c>show version</c> prints it (<c>9.3(8)</c>, <c>10.3(6)</c>,
/// <c>7.0(3)I7(9)</c>) and the image file names that carry it
/// (<c>nxos.9.3.8.bin</c>, <c>nxos64-cs.10.3.6.M.bin</c>, <c>nxos.7.0.3.I7.9.bin</c>).
/// </summary>
public sealed partial record NxosVersion(int Major, int Minor, int Maintenance, string? Train, string? TrainRelease, char? ReleaseType)
{
    /// <summary><c>9.3(8)</c>, <c>10.3(6)</c>, <c>7.0(3)I7(9)</c>.</summary>
    public string Display =>
        Train is null
            ? $"{Major}.{Minor}({Maintenance})"
            : $"{Major}.{Minor}({Maintenance}){Train}({TrainRelease})";

    /// <summary><c>show version</c> suffix for 10.x: <c> [Maintenance Release]</c> / <c> [Feature Release]</c>.</summary>
    public string ReleaseLabel => ReleaseType switch
    {
        'M' => " [Maintenance Release]",
        'F' => " [Feature Release]",
        _ => "",
    };

    /// <summary>True for 64-bit images (10.1 and later ship <c>nxos64-*</c>).</summary>
    public bool Is64Bit => Major >= 10;

    /// <summary>
    /// True when the image carries Python 3 beside Python 2.7: 9.3(5) and later ("Beginning with
    /// Cisco NX-OS Release 9.3(5), Python 3 is now supported", Cisco Nexus 9000 Series NX-OS
    /// Programmability Guide, Release 9.3(x), "Python API"). Earlier images have Python 2.7 only.
    /// </summary>
    public bool HasPython3 => (Major, Minor, Maintenance).CompareTo((9, 3, 5)) >= 0;

    /// <summary>The newest Python the image has: <c>3</c> from 9.3(5) on, <c>2.7</c> before.</summary>
    public string PythonMajor => HasPython3 ? "3" : "2.7";

    /// <summary>The release as image names spell it: <c>9.3.8</c>, <c>7.0.3.I7.9</c>, <c>6.0.2.U6.10</c>.</summary>
    public string DottedRelease =>
        $"{Major}.{Minor}.{Maintenance}" + (Train is null ? "" : $".{Train}.{TrainRelease}");

    /// <summary>
    /// The canonical single-image name for this release and flavour (<c>cs</c> or <c>msll</c>):
    /// <c>nxos.9.3.8.bin</c>, <c>nxos64-cs.10.3.6.M.bin</c>, <c>nxos.7.0.3.I7.9.bin</c>. Releases
    /// that predate the <c>nxos</c> names (6.x, 7.0(3)I1) are named by
    /// <see cref="NxosFeatures.ImageName"/>, which knows the platform.
    /// </summary>
    public string ImageName(string flavour = "cs") =>
        Train is not null
            ? $"nxos.{DottedRelease}.bin"
            : Is64Bit
                ? $"nxos64-{flavour}.{Major}.{Minor}.{Maintenance}.{ReleaseType ?? 'M'}.bin"
                : $"nxos.{Major}.{Minor}.{Maintenance}.bin";

    /// <summary>Parses <c>9.3(8)</c>, <c>10.3(6)</c>, <c>10.3(6)F</c>, <c>7.0(3)I7(9)</c>.</summary>
    public static NxosVersion Parse(string text)
    {
        var m = DisplayPattern().Match(text.Trim());
        if (!m.Success)
        {
            throw new FormatException($"'{text}' is not an NX-OS version such as 9.3(8), 10.3(6)M or 7.0(3)I7(9)");
        }
        char? type = m.Groups["type"].Success ? m.Groups["type"].Value[0] : null;
        var major = Int(m.Groups["maj"].Value);
        if (type is null && major >= 10)
        {
            type = 'M';
        }
        return new NxosVersion(
            major, Int(m.Groups["min"].Value), Int(m.Groups["mnt"].Value),
            m.Groups["train"].Success ? m.Groups["train"].Value : null,
            m.Groups["tr"].Success ? m.Groups["tr"].Value : null,
            type);
    }

    /// <summary>Reads the release out of an image file name; null when the name carries none.</summary>
    public static NxosVersion? FromImageName(string fileName)
    {
        var name = Path.GetFileName(fileName);
        var m = ImagePattern().Match(name);
        if (!m.Success)
        {
            return null;
        }
        char? type = m.Groups["type"].Success ? m.Groups["type"].Value[0] : null;
        return new NxosVersion(
            Int(m.Groups["maj"].Value), Int(m.Groups["min"].Value), Int(m.Groups["mnt"].Value),
            m.Groups["train"].Success ? m.Groups["train"].Value : null,
            m.Groups["tr"].Success ? m.Groups["tr"].Value : null,
            type);
    }

    /// <summary>The image flavour a name carries: <c>cs</c>, <c>msll</c>, or null for 32-bit names.</summary>
    public static string? FlavourOf(string fileName)
    {
        var m = ImagePattern().Match(Path.GetFileName(fileName));
        return m.Success && m.Groups["flavour"].Success ? m.Groups["flavour"].Value : null;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<maj>\d+)\.(?<min>\d+)\((?<mnt>\d+)(?:[a-z])?\)(?:(?<train>[A-Z]+\d*)\((?<tr>\w+)\))?(?<type>[MF])?$")]
    private static partial Regex DisplayPattern();

    // nxos.*, nxos64-cs/msll.*, and the platform names of releases before 7.0(3)I2(1):
    // n9000-dk9.7.0.3.I1.2.bin, n3000-uk9.6.0.2.U6.10.bin, n3000-uk9-kickstart.6.0.2.U6.10.bin.
    [GeneratedRegex(@"^(?:nxos(?:64-(?<flavour>cs|msll))?|n\d{4}-[a-z]{2}\d(?:-kickstart)?)\.(?<maj>\d+)\.(?<min>\d+)\.(?<mnt>\d+)(?:\.(?<train>[A-Z]+\d*)\.(?<tr>\w+))?(?:\.(?<type>[MF]))?\.bin$")]
    private static partial Regex ImagePattern();
}
