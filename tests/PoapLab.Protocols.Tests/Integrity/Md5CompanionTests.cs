using PoapLab.Protocols.Integrity;

namespace PoapLab.Protocols.Tests.Integrity;

public sealed class Md5CompanionTests
{
    private const string Hash = "d41d8cd98f00b204e9800998ecf8427e";

    [Theory]
    [InlineData(Hash + "  conf.FDO23490570\n", Md5CompanionFormat.Md5sumOutput, Hash, "conf.FDO23490570")]
    [InlineData(Hash + " *nxos.10.3.1.bin\n", Md5CompanionFormat.Md5sumOutput, Hash, "nxos.10.3.1.bin")]
    [InlineData("md5sum=" + Hash + "\n", Md5CompanionFormat.KeyValue, Hash, null)]
    [InlineData("D41D8CD98F00B204E9800998ECF8427E\r\n", Md5CompanionFormat.BareHash, Hash, null)]
    [InlineData("not a hash\n", Md5CompanionFormat.Invalid, null, null)]
    [InlineData("", Md5CompanionFormat.Invalid, null, null)]
    [InlineData(Hash + " conf.x\n", Md5CompanionFormat.Invalid, null, null)]
    public void Parse_Variants_Recognised(string text, Md5CompanionFormat format, string? hash, string? file)
    {
        Md5Companion.Parse(text).ShouldBe(new Md5CompanionContent(format, hash, file));
    }

    [Fact]
    public void Format_Md5sumForm_ParsesBack()
    {
        var text = Md5Companion.Format(Hash, "poap.cfg");

        text.ShouldBe(Hash + "  poap.cfg\n");
        Md5Companion.Parse(text).ShouldBe(new Md5CompanionContent(Md5CompanionFormat.Md5sumOutput, Hash, "poap.cfg"));
        Should.Throw<ArgumentException>(() => Md5Companion.Format("abc", "x"));
    }
}
