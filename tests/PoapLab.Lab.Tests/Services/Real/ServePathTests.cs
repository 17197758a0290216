using PoapLab.Lab.Services.Real;

namespace PoapLab.Lab.Tests.Services.Real;

public sealed class ServePathTests
{
    [Theory]
    [InlineData("/srv/poap")]
    [InlineData("/srv")]
    [InlineData("/var/www/html")]
    [InlineData("/srv/ftp")]
    [InlineData("/home/poap/www")]
    [InlineData("/tmp/poap")]
    public void Check_AFolderOfItsOwn_Accepted(string path) =>
        ServePath.Check("nginx", path).ShouldBe(path);

    [Theory]
    [InlineData("/", "hide the whole system")]
    [InlineData("/usr", "hide /usr")]
    [InlineData("/etc", "hide /etc")]
    [InlineData("/proc", "hide /proc")]
    [InlineData("/dev", "hide /dev")]
    [InlineData("/var", "hide /var/run")]
    [InlineData("/var/lib", "hide /var/lib")]
    [InlineData("/usr/share/nginx/html", "inside /usr")]
    [InlineData("/etc/nginx", "inside /etc")]
    [InlineData("/dev/shm", "inside /dev")]
    [InlineData("/proc/self", "inside /proc")]
    [InlineData("/run/nginx", "inside /run")]
    [InlineData("/var/lib/nginx", "inside /var/lib")]
    [InlineData("srv/poap", "absolute path")]
    [InlineData("/srv/../etc", "without '.', '..'")]
    [InlineData("/srv//poap", "'//'")]
    [InlineData("/srv/poap/", "trailing '/'")]
    [InlineData("/srv/po\nap", "control characters")]
    [InlineData("", "1 to 256 characters")]
    public void Check_SystemFolderOrNotAPlainPath_RefusedSayingWhy(string path, string why)
    {
        var e = Should.Throw<RealServerException>(() => ServePath.Check("nginx", path));

        e.Message.ShouldStartWith("nginx: serve_at");
        e.Message.ShouldContain(why);
    }

    [Fact]
    public void Check_OverTheConfigurationsFolder_Refused()
    {
        var e = Should.Throw<RealServerException>(() => ServePath.Check("vsftpd", "/srv/conf", ["/srv/conf/vsftpd.conf"]));

        e.Message.ShouldContain("hide /srv/conf/vsftpd.conf");
    }

    [Fact]
    public void Check_VeryLongPath_Refused() =>
        Should.Throw<RealServerException>(() => ServePath.Check("nginx", "/srv/" + new string('a', 300)));
}
