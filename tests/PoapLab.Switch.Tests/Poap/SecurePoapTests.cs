using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PoapLab.Core.Events;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Http;
using PoapLab.Switch.Poap;

namespace PoapLab.Switch.Tests.Poap;

/// <summary>
/// Secure POAP (10.2(3)F+): option 43 names the script's HTTPS URL and the CA list the switch
/// checks that server's certificate against; older releases ignore it and use 66/67.
/// </summary>
public sealed class SecurePoapTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Script =
        "from cli import cli\n" +
        "cli('copy tftp://10.0.0.1/leaf-101.cfg bootflash:poap_replay.cfg vrf management')\n" +
        "cli('copy bootflash:poap_replay.cfg scheduled-config')\n";

    /// <summary>A lab whose DHCP server sends <paramref name="secure"/> as option 43 (or <paramref name="raw"/>), with an HTTPS server on 10.0.0.1:443 serving the same files.</summary>
    private static async Task<(PoapTestLab Lab, EmbeddedHttpServer Https, X509Certificate2 Certificate)> LabAsync(SecurePoapOptions? secure, byte[]? raw = null, bool fallback = true)
    {
        var option43 = raw is not null ? DhcpOptionValue.FromBytes(DhcpOption.VendorSpecific, raw) : secure!.ToOption43();
        var lab = await PoapTestLab.StartAsync(o => (fallback ? o : o with { TftpServerAddress = null, BootfileName = null }) with { ExtraOptions = [option43] });
        var certificate = LabCertificate.CreateSelfSigned(PoapTestLab.Server, [], DateTimeOffset.UtcNow);
        var https = new EmbeddedHttpServer(new HttpServerOptions { RootPath = lab.Served, Certificate = certificate }, lab.Timeline, "https:10.0.0.1");
        var at = await https.StartAsync(new IPEndPoint(lab.Loopback, 0), Ct);
        lab.Network.Route(new IPEndPoint(PoapTestLab.Server, 443), at);
        lab.ServeScript(Script);
        lab.Serve("leaf-101.cfg", "hostname leaf-101\n");
        Directory.CreateDirectory(Path.Combine(lab.Served, "ca"));
        lab.Serve("ca/lab.pem", certificate.ExportCertificatePem());
        return (lab, https, certificate);
    }

    private static SecurePoapOptions Options(string ca = "https://10.0.0.1/ca/lab.pem", byte? flag = null) => new()
    {
        Version = 1,
        Url = "https://10.0.0.1/poap.py",
        CaList = ca,
        Ntp = IPAddress.Parse("10.0.0.1"),
        Debug = 1,
        Flag = flag,
    };

    [Fact]
    public async Task PowerOn_Release103WithCaList_ScriptOverHttpsVerifiedAgainstTheCaList()
    {
        var (lab, https, _) = await LabAsync(Options(), fallback: false);
        await using (lab)
        await using (https)
        {
            var sw = lab.Switch(version: "10.3(6)M");

            var run = await sw.PowerOnAsync(Ct);

            run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
            lab.Events(EventKinds.SecurePoapOptions).First().Get("url").ShouldBe("https://10.0.0.1/poap.py");
            lab.Events(EventKinds.SecurePoapCa).First().Get("certificates").ShouldBe("1");
            lab.Events(EventKinds.ScriptDownloadStarted).First().Get("protocol").ShouldBe("Https");
            lab.Events(EventKinds.TftpServerRequest).ShouldNotContain(e => e.Message.Contains("poap.py", StringComparison.Ordinal));
            lab.Events(EventKinds.HttpServerRequest).Count(e => e.Get("path") == "/poap.py").ShouldBe(1);
            var syslog = await File.ReadAllTextAsync(sw.SyslogPath, Ct);
            syslog.ShouldContain("Secure POAP: script URL from option 43: https://10.0.0.1/poap.py");
            syslog.ShouldContain("Secure POAP: NTP server: 10.0.0.1");
        }
    }

    [Fact]
    public async Task PowerOn_CaListOfAnotherCa_RefusedWithTheCertificateReason()
    {
        var (lab, https, _) = await LabAsync(Options(), fallback: false);
        await using (lab)
        await using (https)
        {
            using var other = OtherCa();
            lab.Serve("ca/lab.pem", other.ExportCertificatePem());
            var sw = lab.Switch(version: "10.3(6)M");

            var run = await sw.PowerOnAsync(Ct);

            run.Outcome.ShouldBe(PoapOutcome.Failed);
            run.Reason.ShouldNotBeNull().ShouldContain("does not verify against the CA list of option 43");
            lab.Events(EventKinds.ScriptStarted).ShouldBeEmpty();
            lab.Events(EventKinds.HttpServerRequest).Count(e => e.Get("path") == "/poap.py").ShouldBe(0);
            (await File.ReadAllTextAsync(sw.SyslogPath, Ct)).ShouldContain("Secure POAP: server certificate verification failed for https://10.0.0.1/poap.py");
        }
    }

    [Fact]
    public async Task PowerOn_SkipCertificateCheckFlag_ProvisionsWithAWarning()
    {
        var (lab, https, _) = await LabAsync(Options(ca: null!, flag: 1) with { CaList = null }, fallback: false);
        await using (lab)
        await using (https)
        {
            var sw = lab.Switch(version: "10.3(6)M");

            var run = await sw.PowerOnAsync(Ct);

            run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
            (await File.ReadAllTextAsync(sw.SyslogPath, Ct)).ShouldContain("WARNING: server certificate validation is skipped");
            lab.Events(EventKinds.SecurePoapCa).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task PowerOn_ReleaseBefore1023F_IgnoresOption43AndUses66And67()
    {
        var (lab, https, _) = await LabAsync(Options());
        await using (lab)
        await using (https)
        {
            var sw = lab.Switch(version: "10.2(2)F");

            var run = await sw.PowerOnAsync(Ct);

            run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
            lab.Events(EventKinds.SecurePoapOptions).ShouldBeEmpty();
            lab.Events(EventKinds.ScriptDownloadStarted).First().Get("protocol").ShouldBe("Tftp");
        }
    }

    [Fact]
    public async Task PowerOn_ReleaseBefore1023FWithOnlyOption43_OfferRejectedMissingScriptServer()
    {
        var (lab, https, _) = await LabAsync(Options(), fallback: false);
        await using (lab)
        await using (https)
        {
            var sw = lab.Switch(version: "9.3(8)");

            var run = await sw.PowerOnAsync(Ct);

            run.Outcome.ShouldBe(PoapOutcome.Failed);
            lab.Events(EventKinds.DhcpOfferRejected).First().Get("reason").ShouldBe("Missing Script Server information");
        }
    }

    [Fact]
    public async Task PowerOn_Option43LengthBroken_LoggedAndFallsBackTo66And67()
    {
        // Sub-option 2's two-byte length says 0x0100 bytes; 6 follow.
        byte[] broken = [1, 0, 1, 1, 2, 1, 0, .. "https:"u8.ToArray()];
        var (lab, https, _) = await LabAsync(null, broken);
        await using (lab)
        await using (https)
        {
            var sw = lab.Switch(version: "10.3(6)M");

            var run = await sw.PowerOnAsync(Ct);

            run.Outcome.ShouldBe(PoapOutcome.Provisioned, run.Reason);
            lab.Events(EventKinds.SecurePoapInvalid).First().Get("reason").ShouldNotBeNull().ShouldContain("length 256 runs past the end");
            lab.Events(EventKinds.ScriptDownloadStarted).First().Get("protocol").ShouldBe("Tftp");
        }
    }

    [Theory]
    [InlineData("http://10.0.0.1/poap.py")]
    [InlineData("https://user@10.0.0.1/poap.py")]
    [InlineData("https://10.0.0.1/")]
    [InlineData("file:///etc/shadow")]
    [InlineData("https://10.0.0.1/poap.py?x=1")]
    public void FromSecure_NotAnHttpsFileUrl_RefusedWithTheReason(string url)
    {
        ScriptSource.FromSecure(new SecurePoapOptions { Url = url }, out var problem).ShouldBeNull();

        problem.ShouldNotBeNull().ShouldContain("is not an https:// URL of a file");
    }

    [Fact]
    public void FromSecure_Ipv6Url_HostAndPortAndPath()
    {
        var source = ScriptSource.FromSecure(new SecurePoapOptions { Url = "https://[2001:db8::1]:8443/poap/poap.py" }, out _).ShouldNotBeNull();

        source.Server.ShouldBe("2001:db8::1");
        source.Port.ShouldBe(8443);
        source.ScriptName.ShouldBe("/poap/poap.py");
        source.Url.ShouldBe("https://[2001:db8::1]:8443/poap/poap.py");
    }

    [Fact]
    public async Task PowerOn_CaFileHuge_RefusedBoundedAndTheScriptNotTrusted()
    {
        var (lab, https, _) = await LabAsync(Options(), fallback: false);
        await using (lab)
        await using (https)
        {
            await using (var file = File.Create(Path.Combine(lab.Served, "ca", "lab.pem")))
            {
                file.SetLength(3 << 20);
            }
            var sw = lab.Switch(version: "10.3(6)M");

            var run = await sw.PowerOnAsync(Ct);

            run.Outcome.ShouldBe(PoapOutcome.Failed);
            lab.Events(EventKinds.SecurePoapCa).First().Get("error").ShouldNotBeNull().ShouldContain("larger than");
            lab.Events(EventKinds.ScriptStarted).ShouldBeEmpty();
        }
    }

    private static X509Certificate2 OtherCa()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Another CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }
}
