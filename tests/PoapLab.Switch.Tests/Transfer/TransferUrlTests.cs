using PoapLab.Switch.Transfer;

namespace PoapLab.Switch.Tests.Transfer;

public sealed class TransferUrlTests
{
    [Theory]
    [InlineData("admin", true)]
    [InlineData("poap.ops-2", true)]
    [InlineData("a+b=c_d", true)]
    [InlineData("-oProxyCommand=x", false)]
    [InlineData(".hidden", false)]
    [InlineData("a b", false)]
    [InlineData("a;b", false)]
    [InlineData("a@b", false)]
    [InlineData("a\nb", false)]
    [InlineData("a$b", false)]
    [InlineData("a`b", false)]
    [InlineData("a'b", false)]
    [InlineData("", false)]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", false)]
    public void IsValidUser_NxosRules(string user, bool valid) => TransferUrl.IsValidUser(user).ShouldBe(valid);

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("srv-1.lab.example", true)]
    [InlineData("-oProxyCommand=x", false)]
    [InlineData("srv-.lab", false)]
    [InlineData("a..b", false)]
    [InlineData("evil host", false)]
    [InlineData("fe80::1%eth0", false)]
    [InlineData("a:b", false)]
    [InlineData("h\r\nX: y", false)]
    public void IsValidHost_AddressOrDnsName(string host, bool valid) => TransferUrl.IsValidHost(host).ShouldBe(valid);

    [Theory]
    [InlineData("/images/nxos64-cs.10.3.6.M.bin", true)]
    [InlineData("/configs/conf_5254.00ab.cdef.cfg", true)]
    [InlineData("/a/b~c,d=e:f@g%20", true)]
    [InlineData("-oProxyCommand=x", false)]
    [InlineData("/images/../../etc/shadow", false)]
    [InlineData("/images/./x", false)]
    [InlineData("/images/..", false)]
    [InlineData("/", false)]
    [InlineData("/x y", false)]
    [InlineData("/x\r\nDELE y", false)]
    [InlineData("/x\0blksize", false)]
    [InlineData("/x;id", false)]
    [InlineData("/x|id", false)]
    [InlineData("/x$(id)", false)]
    [InlineData("/x`id`", false)]
    [InlineData("/x\"y", false)]
    [InlineData("/x*", false)]
    [InlineData("/x\\y", false)]
    public void IsValidPath_FileNameCharactersOnly(string path, bool valid) => TransferUrl.IsValidPath(path).ShouldBe(valid);

    [Fact]
    public void Problem_PasswordWithLineBreak_Refused()
    {
        var request = new TransferRequest(TransferProtocol.Ftp, "10.0.0.1", null, "/x", "poap", "pw\r\nDELE x", "management");
        TransferUrl.Problem(request).ShouldBe("password");
        TransferUrl.Problem(request with { Password = "pw" }).ShouldBeNull();
    }
}
