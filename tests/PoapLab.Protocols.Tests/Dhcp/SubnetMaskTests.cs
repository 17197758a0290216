using System.Net;
using PoapLab.Protocols.Dhcp;

namespace PoapLab.Protocols.Tests.Dhcp;

public sealed class SubnetMaskTests
{
    [Theory]
    [InlineData("255.255.255.0", 24)]
    [InlineData("255.255.255.252", 30)]
    [InlineData("255.0.0.0", 8)]
    [InlineData("0.0.0.0", 0)]
    [InlineData("255.255.255.255", 32)]
    public void PrefixLength_Mask_CountsItsOneBits(string mask, int expected) =>
        SubnetMask.PrefixLength(IPAddress.Parse(mask)).ShouldBe(expected);
}
