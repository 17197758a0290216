using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PoapLab.Lab.Hardware;

namespace PoapLab.Lab.Tests.Hardware;

/// <summary>The simulated switch's NX-API: what its configuration turns on, its two message forms, and what it refuses.</summary>
public sealed class DeviceNxApiTests
{
    [Fact]
    public void FromRunningConfig_FeatureNxapi_HttpsOn443HttpOnlyWhenConfigured()
    {
        NxApiSettings.FromRunningConfig(["hostname leaf"]).ShouldBeNull();
        var plain = NxApiSettings.FromRunningConfig(["feature nxapi", "username admin password 0 a1 role network-admin"]).ShouldNotBeNull();
        (plain.HttpPort, plain.HttpsPort).ShouldBe((null, 443));
        plain.Users["admin"].ShouldBe("a1");
        var both = NxApiSettings.FromRunningConfig(["feature nxapi", "nxapi http port 8080", "nxapi https port 8443"]).ShouldNotBeNull();
        (both.HttpPort, both.HttpsPort).ShouldBe((8080, 8443));
        NxApiSettings.FromRunningConfig(["feature nxapi", "nxapi http port 80", "no nxapi https"])!.HttpsPort.ShouldBeNull();
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(DeviceNxApi api, string body, string contentType, string? login = "admin:Pr0be-S3cret!", string path = "/ins")
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{api.HttpEndpoint}{path}") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (login is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(login)));
        }
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Post_JsonRpc_AnswersResultBody()
    {
        await using var api = await SwitchProbeTests.SwitchAsync();

        var (status, body) = await PostAsync(api, """[{"jsonrpc":"2.0","method":"cli","params":{"cmd":"show version","version":1},"id":1}]""", "application/json-rpc");

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldContain("\"result\":{\"body\":{\"host_name\":\"leaf-1\"");
        body.ShouldContain("\"id\":1");
    }

    [Fact]
    public async Task Post_InsApiWithACommandTheCliRefuses_Code400WithTheCliError()
    {
        await using var api = await SwitchProbeTests.SwitchAsync();

        var (status, body) = await PostAsync(api, SwitchProbe.InsApiRequest("show bogus"), "application/json");

        status.ShouldBe(HttpStatusCode.OK);
        body.ShouldContain("\"code\":\"400\"");
        body.ShouldContain("Invalid command");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("admin:wrong")]
    [InlineData("nobody:Pr0be-S3cret!")]
    [InlineData("not base64 at all")]
    public async Task Post_WithoutTheConfiguredLogin_401(string? login)
    {
        await using var api = await SwitchProbeTests.SwitchAsync();

        var (status, _) = await PostAsync(api, SwitchProbe.InsApiRequest("show version"), "application/json", login);

        status.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Post_BodyOverItsBound_413AndNothingRun()
    {
        await using var api = await SwitchProbeTests.SwitchAsync();

        var (status, _) = await PostAsync(api, new string('x', 70 * 1024), "application/json");

        status.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Post_ElsewhereThanIns_404()
    {
        await using var api = await SwitchProbeTests.SwitchAsync();

        var (status, _) = await PostAsync(api, "{}", "application/json", path: "/../etc/passwd");

        status.ShouldBe(HttpStatusCode.NotFound);
    }
}
