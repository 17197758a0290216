using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Tests.Identity;

public sealed class NxosVersionTests
{
    [Theory]
    [InlineData("9.3(8)", 9, 3, 8, null, "nxos.9.3.8.bin", "3")]
    [InlineData("10.3(6)", 10, 3, 6, 'M', "nxos64-cs.10.3.6.M.bin", "3")]
    [InlineData("10.3(3)F", 10, 3, 3, 'F', "nxos64-cs.10.3.3.F.bin", "3")]
    [InlineData("7.0(3)I7(9)", 7, 0, 3, null, "nxos.7.0.3.I7.9.bin", "2.7")]
    [InlineData("9.3(4)", 9, 3, 4, null, "nxos.9.3.4.bin", "2.7")]
    [InlineData("9.3(5)", 9, 3, 5, null, "nxos.9.3.5.bin", "3")]
    public void Parse_ReleaseStrings_GiveFieldsImageNameAndPython(string text, int major, int minor, int mnt, char? type, string image, string python)
    {
        var v = NxosVersion.Parse(text);
        v.Major.ShouldBe(major);
        v.Minor.ShouldBe(minor);
        v.Maintenance.ShouldBe(mnt);
        v.ReleaseType.ShouldBe(type);
        v.ImageName().ShouldBe(image);
        v.PythonMajor.ShouldBe(python);
    }

    [Theory]
    [InlineData("nxos.9.3.8.bin", "9.3(8)", null)]
    [InlineData("nxos64-cs.10.3.6.M.bin", "10.3(6)", "cs")]
    [InlineData("nxos64-msll.10.4.1.F.bin", "10.4(1)", "msll")]
    [InlineData("nxos.7.0.3.I7.9.bin", "7.0(3)I7(9)", null)]
    [InlineData("n9000-dk9.7.0.3.I1.2.bin", "7.0(3)I1(2)", null)]
    [InlineData("n3000-uk9.6.0.2.U6.10.bin", "6.0(2)U6(10)", null)]
    [InlineData("n3000-uk9-kickstart.6.0.2.U6.10.bin", "6.0(2)U6(10)", null)]
    public void FromImageName_KnownNames_ReadRelease(string name, string display, string? flavour)
    {
        NxosVersion.FromImageName(name)!.Display.ShouldBe(display);
        NxosVersion.FlavourOf(name).ShouldBe(flavour);
    }

    [Theory]
    [InlineData("poap.cfg")]
    [InlineData("nxos.bin")]
    public void FromImageName_NotAnImage_Null(string name) => NxosVersion.FromImageName(name).ShouldBeNull();

    [Theory]
    [InlineData("10.3")]
    [InlineData("")]
    [InlineData("9.3(8")]
    public void Parse_Garbage_ThrowsFormatException(string text) => Should.Throw<FormatException>(() => NxosVersion.Parse(text));

    [Fact]
    public void ReleaseLabel_MaintenanceAndFeature_AsShowVersionPrintsThem()
    {
        NxosVersion.Parse("10.3(6)M").ReleaseLabel.ShouldBe(" [Maintenance Release]");
        NxosVersion.Parse("10.3(3)F").ReleaseLabel.ShouldBe(" [Feature Release]");
        NxosVersion.Parse("9.3(8)").ReleaseLabel.ShouldBe("");
    }
}
