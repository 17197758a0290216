using PoapLab.Lab.Services;
using PoapLab.Lab.Services.Real;
using PoapLab.Scenarios.Loading;
using PoapLab.Scenarios.Running;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary><c>kind: nginx</c> and <c>kind: vsftpd</c>: the user's file servers with their own configuration and <c>serve_at</c>.</summary>
public sealed class ScenarioLoaderTransferServerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-real-").FullName;

    public ScenarioLoaderTransferServerTests()
    {
        File.WriteAllText(Path.Combine(_dir, "nginx.conf"), "events {}\n");
        File.WriteAllText(Path.Combine(_dir, "vsftpd.conf"), "listen=YES\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PoapLab.Scenarios.Model.Scenario Parse(string servers) => ScenarioLoader.Parse($$"""
        name: real
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp: { address: 10.0.0.1, tftp_server_name: http://10.0.0.1, bootfile: poap.py }
        {{servers}}
        """, Path.Combine(_dir, "s.yaml"));

    [Fact]
    public void Parse_NginxAndVsftpdWithServeAt_RealServersWithTheirConfigAndMountPath()
    {
        var s = Parse("""
              http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, serve_at: /srv/poap, root: www }
              ftp: { kind: vsftpd, address: 10.0.0.1, config: vsftpd.conf, serve_at: /srv/ftp }
            """);

        var http = s.Servers.Http.Single();
        http.Real.ShouldNotBeNull().Kind.ShouldBe(RealServerKind.Nginx);
        http.Real!.ConfigPath.ShouldBe(Path.Combine(_dir, "nginx.conf"));
        http.Real.ServeAt.ShouldBe("/srv/poap");
        var ftp = s.Servers.Ftp.Single().Real.ShouldNotBeNull();
        ftp.Kind.ShouldBe(RealServerKind.Vsftpd);
        ftp.ServeAt.ShouldBe("/srv/ftp");
        s.HasRealServers.ShouldBeTrue();
        var specs = LabSpecs.Services(s, "/out/s/files").OfType<RealServiceSpec>().ToList();
        specs.Select(x => (x.Kind, x.Port, x.Options.RootPath, x.Options.ServeAt)).ShouldBe(
            [(ServiceKind.Http, 80, "/out/s/files/www", "/srv/poap"), (ServiceKind.Ftp, 21, "/out/s/files", "/srv/ftp")]);
    }

    [Theory]
    [InlineData("http: { kind: apache, address: 10.0.0.1, config: nginx.conf }", "'kind' of an HTTP server must be one of embedded, nginx")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1 }", "'config' is missing")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, tls: true }", "'tls' is for PoapLab's embedded server")]
    [InlineData("ftp: { kind: vsftpd, address: 10.0.0.1, config: vsftpd.conf, user: poap, password: x }", "'user' is for PoapLab's embedded server")]
    [InlineData("ftp: { kind: vsftpd, address: 10.0.0.1, config: /etc/shadow }", "'config' must be a regular file")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, serve_at: /usr }", "would hide /usr")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, serve_at: / }", "hide the whole system")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, serve_at: /etc/nginx }", "inside /etc")]
    [InlineData("ftp: { kind: vsftpd, address: 10.0.0.1, config: vsftpd.conf, serve_at: /proc/1/root }", "inside /proc")]
    [InlineData("ftp: { kind: vsftpd, address: 10.0.0.1, config: vsftpd.conf, serve_at: /dev }", "would hide /dev")]
    [InlineData("ftp: { kind: vsftpd, address: 10.0.0.1, config: vsftpd.conf, serve_at: ../srv }", "absolute path")]
    [InlineData("http: { address: 10.0.0.1, serve_at: /srv/poap }", "unknown key 'serve_at'")]
    public void Parse_BadRealFileServer_RefusedWithFileAndLine(string servers, string why)
    {
        var e = Should.Throw<ScenarioException>(() => Parse("  " + servers));

        e.Message.ShouldContain(why);
        e.Message.ShouldContain("s.yaml:");
    }

    [Fact]
    public void Parse_ServeAtOnTftpdHpa_Refused()
    {
        var e = Should.Throw<ScenarioException>(() => Parse("  tftp: { kind: tftpd-hpa, address: 10.0.0.1, serve_at: /srv/tftp }"));

        e.Message.ShouldContain("'serve_at' is for nginx and vsftpd");
    }

    [Fact]
    public void Parse_RealServerFaults_StopKillAfterBytesBlockPort()
    {
        var s = Parse("""
              tftp: { kind: tftpd-hpa, address: 10.0.0.1, faults: [{ kind: stop }] }
              http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, faults: [{ kind: kill, file: "images/*.bin", after: 1MB }] }
              ftp: { kind: vsftpd, address: 10.0.0.1, config: vsftpd.conf, faults: [{ kind: block-port }] }
            """);

        s.Servers.Tftp.Single().Real!.Faults.ShouldBe([new RealServerFault(RealServerFaultKind.Stop)]);
        s.Servers.Http.Single().Real!.Faults.ShouldBe([new RealServerFault(RealServerFaultKind.Kill, "images/*.bin", 1 << 20)]);
        s.Servers.Ftp.Single().Real!.Faults.ShouldBe([new RealServerFault(RealServerFaultKind.BlockPort)]);
        LabSpecs.Services(s, "/out/s/files").OfType<RealServiceSpec>().Select(x => x.Options.Faults.Single().Kind)
            .ShouldBe([RealServerFaultKind.Stop, RealServerFaultKind.Kill, RealServerFaultKind.BlockPort]);
    }

    [Theory]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, faults: [{ kind: status, status: 500 }] }", "unknown fault 'status' for a real server")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, faults: [{ kind: stop, file: x }] }", "'file' is for a kill fault")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, faults: [{ kind: block-port, after: 1MB }] }", "'after' is for a kill fault")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, faults: [{ kind: kill, file: \"a\\nb\" }] }", "'file' must be a path pattern")]
    [InlineData("http: { kind: nginx, address: 10.0.0.1, config: nginx.conf, faults: [{ kind: kill, after: -1 }] }", "'after'")]
    [InlineData("tftp: { address: 10.0.0.1, faults: [{ kind: stop }] }", "unknown TFTP fault 'stop'")]
    public void Parse_BadRealServerFault_RefusedWithFileAndLine(string servers, string why)
    {
        var e = Should.Throw<ScenarioException>(() => Parse("  " + servers));

        e.Message.ShouldContain(why);
        e.Message.ShouldContain("s.yaml:");
    }
}
