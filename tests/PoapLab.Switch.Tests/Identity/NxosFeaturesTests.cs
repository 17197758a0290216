using PoapLab.Switch.Identity;

namespace PoapLab.Switch.Tests.Identity;

public sealed class NxosFeaturesTests
{
    [Theory]
    [InlineData("6.0(2)U6(10)", "N3K-C3172PQ-10GE", NxosReleaseFamily.Nxos6, true, false, false, "2.7")]
    [InlineData("7.0(3)I7(9)", "N9K-C93108TC-EX", NxosReleaseFamily.Nxos7, false, false, false, "2.7")]
    [InlineData("9.2(4)", "N9K-C93108TC-EX", NxosReleaseFamily.Nxos9Early, false, true, false, "2.7")]
    [InlineData("9.3(8)", "N9K-C93108TC-EX", NxosReleaseFamily.Nxos93, false, true, true, "3")]
    [InlineData("9.3(3)", "N9K-C93108TC-EX", NxosReleaseFamily.Nxos93, false, true, true, "2.7")]
    [InlineData("9.3(8)", "N3K-C3172PQ-10GE", NxosReleaseFamily.Nxos93, false, true, false, "3")]
    [InlineData("10.3(3)F", "N9K-C93108TC-EX", NxosReleaseFamily.Nxos10, false, true, true, "3")]
    public void Features_PerRelease_AskedByName(string version, string model, NxosReleaseFamily family, bool dualImage, bool kstack, bool compact, string python)
    {
        var f = new NxosFeatures(NxosVersion.Parse(version), model);
        f.Family.ShouldBe(family);
        f.DualImage.ShouldBe(dualImage);
        f.LegacyCiscoModule.ShouldBe(dualImage);
        f.CopyUseKstack.ShouldBe(kstack);
        f.CopyCompact.ShouldBe(compact);
        f.PythonMajor.ShouldBe(python);
    }

    [Theory]
    [InlineData("6.0(2)U6(10)", false)]
    [InlineData("7.0(3)I4(8)", false)]
    [InlineData("7.0(3)I7(3)", false)]
    [InlineData("7.0(3)I7(4)", true)]
    [InlineData("7.0(3)I7(9)", true)]
    [InlineData("9.2(4)", true)]
    [InlineData("10.3(3)F", true)]
    public void PoapUserClass_From703I74On(string version, bool sent) =>
        new NxosFeatures(NxosVersion.Parse(version), "N9K-C93108TC-EX").PoapUserClass.ShouldBe(sent);

    [Fact]
    public void PoapHttpVendorHeaders_From1021_Only()
    {
        new NxosFeatures(NxosVersion.Parse("10.2(1)F"), "N9K-C93108TC-EX").PoapHttpVendorHeaders.ShouldBeTrue();
        new NxosFeatures(NxosVersion.Parse("10.1(2)"), "N9K-C93108TC-EX").PoapHttpVendorHeaders.ShouldBeFalse();
        new NxosFeatures(NxosVersion.Parse("9.2(1)"), "N9K-C93108TC-EX").Personality.ShouldBeTrue();
        new NxosFeatures(NxosVersion.Parse("7.0(3)I7(9)"), "N9K-C93108TC-EX").Personality.ShouldBeFalse();
    }

    [Theory]
    [InlineData("6.0(2)U6(10)", "2.7")]
    [InlineData("7.0(3)I7(9)", "2.7")]
    [InlineData("9.2(4)", "2.7")]
    [InlineData("9.3(4)", "2.7")]
    [InlineData("9.3(5)", "3")]
    [InlineData("10.3(6)", "3")]
    public void ScriptPython_PerRelease_TheImagesInterpreter(string version, string python) =>
        new NxosFeatures(NxosVersion.Parse(version), "N9K-C93108TC-EX").ScriptPython.ShouldBe(python);

    [Theory]
    [InlineData("6.0(2)U6(10)", true)]
    [InlineData("7.0(3)I1(3)", true)]
    [InlineData("7.0(3)I2(5)", false)]
    [InlineData("7.0(3)I7(9)", false)]
    [InlineData("9.3(8)", false)]
    [InlineData("10.3(6)", false)]
    public void Md5SumUnquoted_OnlyBefore703I2(string version, bool accepted) =>
        new NxosFeatures(NxosVersion.Parse(version), "N9K-C93108TC-EX").Md5SumUnquoted.ShouldBe(accepted);

    [Theory]
    [InlineData("6.0(2)U6(10)", "N3K-C3172PQ-10GE", "n3000-uk9.6.0.2.U6.10.bin", "n3000-uk9-kickstart.6.0.2.U6.10.bin")]
    [InlineData("6.0(2)A8(11)", "N3K-C3548P-10GX", "n3500-uk9.6.0.2.A8.11.bin", "n3500-uk9-kickstart.6.0.2.A8.11.bin")]
    [InlineData("7.0(3)I1(3)", "N9K-C9372PX", "n9000-dk9.7.0.3.I1.3.bin", null)]
    [InlineData("6.1(2)I3(1)", "N9K-C9372PX", "n9000-dk9.6.1.2.I3.1.bin", null)]
    [InlineData("7.0(3)I2(5)", "N9K-C9372PX", "nxos.7.0.3.I2.5.bin", null)]
    [InlineData("7.0(3)I7(9)", "N9K-C93108TC-EX", "nxos.7.0.3.I7.9.bin", null)]
    [InlineData("9.3(8)", "N9K-C93108TC-EX", "nxos.9.3.8.bin", null)]
    [InlineData("10.3(6)", "N9K-C93108TC-EX", "nxos64-cs.10.3.6.M.bin", null)]
    public void ImageName_PerRelease_NamesAsTheReleaseShipped(string version, string model, string image, string? kickstart)
    {
        var f = new NxosFeatures(NxosVersion.Parse(version), model);
        f.ImageName().ShouldBe(image);
        f.KickstartImageName.ShouldBe(kickstart);
        NxosVersion.FromImageName(image)!.Display.ShouldBe(NxosVersion.Parse(version).Display);
    }

    [Theory]
    [InlineData("6.0(2)U6(10)", false)]
    [InlineData("7.0(3)I7(9)", true)]
    [InlineData("10.3(6)", true)]
    public void PoapLogTag_From7x(string version, bool tagged) =>
        new NxosFeatures(NxosVersion.Parse(version), "N9K-C93108TC-EX").PoapLogTag.ShouldBe(tagged);

    [Theory]
    [InlineData("9.3(8)", false, false)]
    [InlineData("10.2(2)F", false, false)]
    [InlineData("10.2(3)F", true, false)]
    [InlineData("10.3(6)M", true, false)]
    [InlineData("10.4(1)F", true, true)]
    public void SecurePoap_From1023F_BundlesFrom1041F(string version, bool secure, bool bundles)
    {
        var f = new NxosFeatures(NxosVersion.Parse(version), "N9K-C93108TC-EX");
        f.SecurePoap.ShouldBe(secure);
        f.SecurePoapCaBundles.ShouldBe(bundles);
    }

    [Theory]
    [InlineData("bootflash:///n3000-uk9.6.0.2.U6.9.bin", "n3000-uk9.6.0.2.U6.9.bin", "n3000-uk9-kickstart.6.0.2.U6.9.bin")]
    [InlineData("n5000-uk9.6.0.2.N2.7.bin", "n5000-uk9.6.0.2.N2.7.bin", "n5000-uk9-kickstart.6.0.2.N2.7.bin")]
    [InlineData("nxos.6.0.2.U6.10.bin", "n3000-uk9.6.0.2.U6.10.bin", "n3000-uk9-kickstart.6.0.2.U6.10.bin")]
    [InlineData("", "n3000-uk9.6.0.2.U6.10.bin", "n3000-uk9-kickstart.6.0.2.U6.10.bin")]
    [InlineData("custom.bin", "custom.bin", "n3000-uk9-kickstart.custom.bin")]
    public void SystemImageName_6x_RunningNameKeptUnlessAnNxosName(string running, string system, string kickstart)
    {
        var f = new NxosFeatures(NxosVersion.Parse("6.0(2)U6(10)"), "N3K-C3172PQ-10GE");
        f.SystemImageName(running).ShouldBe(system);
        f.KickstartImageFor(system).ShouldBe(kickstart);
    }
}
