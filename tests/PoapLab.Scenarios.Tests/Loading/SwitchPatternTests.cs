using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>The pattern language of generated fleets: {n}, {n:03}, {n:x6}, braces.</summary>
public sealed class SwitchPatternTests
{
    [Theory]
    [InlineData("leaf-{n}", 7, "leaf-7")]
    [InlineData("leaf-{n:03}", 7, "leaf-007")]
    [InlineData("leaf-{n:03}", 1234, "leaf-1234")]
    [InlineData("FDO{n:08}", 42, "FDO00000042")]
    [InlineData("x{n:x4}", 255, "x00ff")]
    [InlineData("x{n:X4}", 255, "x00FF")]
    [InlineData("{{{n}}}", 3, "{3}")]
    [InlineData("fixed", 3, "fixed")]
    public void Expand_Pattern_GivesValue(string pattern, long n, string expected)
    {
        SwitchPattern.Parse(pattern).Expand(n).ShouldBe(expected);
    }

    [Theory]
    [InlineData("00:aa:bb:{n:x6}", 42, "00:AA:BB:00:00:2A")]
    [InlineData("00:aa:bb:cc:dd:{n:x2}", 255, "00:AA:BB:CC:DD:FF")]
    [InlineData("00:aa:bb:cc:dd:{n:x2}", 256, null)]
    [InlineData("00:aa:bb:{n:x6}", 0x1000000, null)]
    [InlineData("zz:aa:bb:{n:x6}", 1, null)]
    public void ExpandMac_Pattern_FillsOctetsOrRefuses(string pattern, long n, string? expected)
    {
        SwitchPattern.Parse(pattern).ExpandMac(n).ShouldBe(expected);
    }

    [Theory]
    [InlineData("leaf-{m}")]
    [InlineData("leaf-{n:}")]
    [InlineData("leaf-{n:3}")]
    [InlineData("leaf-{n:x99}")]
    [InlineData("leaf-{n")]
    [InlineData("leaf-}")]
    [InlineData("leaf-{n:0123}")]
    public void Parse_Malformed_FormatExceptionNamingTheSyntax(string pattern)
    {
        var e = Should.Throw<FormatException>(() => SwitchPattern.Parse(pattern));

        e.Message.ShouldContain("{n:03}");
    }

    [Fact]
    public void Expand_PaddedPattern_DistinctForEveryNumber()
    {
        var p = SwitchPattern.Parse("leaf-{n:02}");

        Enumerable.Range(1, 2000).Select(n => p.Expand(n)).Distinct().Count().ShouldBe(2000);
        p.HasNumber.ShouldBeTrue();
        SwitchPattern.Parse("leaf").HasNumber.ShouldBeFalse();
    }
}
