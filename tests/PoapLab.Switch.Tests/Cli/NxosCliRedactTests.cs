using PoapLab.Switch.Cli;

namespace PoapLab.Switch.Tests.Cli;

public sealed class NxosCliRedactTests
{
    [Theory]
    [InlineData("terminal password s3cret", "terminal password *****")]
    [InlineData("personality restore bootflash:p.tar user-name poap password pw hostname 10.0.0.1 vrf management", "personality restore bootflash:p.tar user-name poap password ***** hostname 10.0.0.1 vrf management")]
    [InlineData("username admin password 5 $5$abc$def role network-admin", "username admin password 5 ***** role network-admin")]
    [InlineData("show version", "show version")]
    [InlineData("terminal password  ; copy scp://u@10.0.0.1/f bootflash:f vrf management", "terminal password  ; copy scp://u@10.0.0.1/f bootflash:f vrf management")]
    [InlineData("terminal password ; copy scp://u@10.0.0.1/f bootflash:f", "terminal password ; copy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password s3cret ; copy scp://u@10.0.0.1/f bootflash:f", "terminal password ***** ; copy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password ;x ; copy scp://x", "terminal password ;x ; copy scp://x")]
    [InlineData("terminal password ;copy scp://u@10.0.0.1/f bootflash:f", "terminal password ;copy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password\ncopy scp://u@10.0.0.1/f bootflash:f", "terminal password\ncopy scp://u@10.0.0.1/f bootflash:f")]
    [InlineData("terminal password \t;\tcopy scp://x bootflash:f", "terminal password \t;\tcopy scp://x bootflash:f")]
    [InlineData("terminal password s3cret;copy scp://x bootflash:f", "terminal password *****;copy scp://x bootflash:f")]
    [InlineData("terminal password \"a;b c\" ; copy scp://x", "terminal password ***** ; copy scp://x")]
    [InlineData("terminal password 'x y';show version", "terminal password *****;show version")]
    public void Redact_CommandsWithPasswords_Masked(string command, string shown) => NxosCli.Redact(command).ShouldBe(shown);
}
