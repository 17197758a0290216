using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using PoapLab.Servers.Hosting;

namespace PoapLab.Lab.Hardware;

public static partial class SwitchProbe
{
    /// <summary>
    /// NX-API's <c>ins_api</c> JSON message for one show command with JSON output (Cisco Nexus 9000
    /// Series NX-OS Programmability Guide, "NX-API CLI": version 1.0, type <c>cli_show</c>,
    /// <c>chunk</c> 0, <c>output_format</c> json).
    /// </summary>
    internal static string InsApiRequest(string command) => JsonSerializer.Serialize(new
    {
        ins_api = new { version = "1.0", type = "cli_show", chunk = "0", sid = "1", input = command, output_format = "json" },
    });

    private static Task<ProbeFacts> NxApiAsync(SwitchProbeOptions options, string scheme, IPAddress address, ISocketFactory sockets, TimeProvider time, CancellationToken cancellationToken)
    {
        if (scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"NX-API's scheme is http or https, not {scheme}", nameof(options));
        }
        var port = options.NxApiPort ?? (scheme == "https" ? 443 : 80);
        var url = new UriBuilder(scheme, address.ToString(), port, "/ins").Uri;
        var target = url.ToString();
        return RetryAsync("nxapi", target, options, time, async ct =>
        {
            using var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                UseCookies = false,
                MaxResponseHeadersLength = 16,
                ConnectTimeout = options.TryTimeout,
                PooledConnectionLifetime = TimeSpan.Zero,
                ConnectCallback = async (context, connectToken) =>
                {
                    var socket = sockets.Create(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        socket.NoDelay = true;
                        await socket.ConnectAsync(new IPEndPoint(address, port), connectToken).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            if (options.TlsInsecure)
            {
                // NX-OS answers HTTPS with a self-signed certificate unless one was installed; the scenario said to accept it.
                handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            }
            using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(InsApiRequest("show version"), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Credentials.User}:{options.Credentials.Password}")));
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException s)
            {
                return Unreachable("nxapi", target, s);
            }
            catch (HttpRequestException e) when (e.InnerException is AuthenticationException)
            {
                return new ProbeFacts("nxapi", target, ProbeOutcome.Failed, null, null, null, null,
                    "the switch's TLS certificate is not trusted (NX-OS's own is self-signed: device.probe.tls_insecure accepts it)");
            }
            catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded or HttpRequestError.ConfigurationLimitExceeded)
            {
                return new ProbeFacts("nxapi", target, ProbeOutcome.Malformed, null, null, null, null, $"the answer is not an HTTP response NX-API sends: {Clean(e.Message)}");
            }
            catch (HttpRequestException e)
            {
                return new ProbeFacts("nxapi", target, ProbeOutcome.Unreachable, null, null, null, null, $"unreachable: {Clean(e.Message)}");
            }
            using (response)
            {
                var status = (int)response.StatusCode;
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    return new ProbeFacts("nxapi", target, ProbeOutcome.AuthRefused, null, null, null, null,
                        $"the login of {options.Credentials.User} was refused (HTTP {status})");
                }
                if (status is >= 500 and <= 599)
                {
                    // NX-API answers 5xx while it starts: tried again until the probe's time is up.
                    return new ProbeFacts("nxapi", target, ProbeOutcome.Unreachable, null, null, null, null, $"NX-API is not ready (HTTP {status})");
                }
                if (status != 200)
                {
                    return new ProbeFacts("nxapi", target, ProbeOutcome.Failed, null, null, null, null, $"NX-API answered HTTP {status} {Clean(response.ReasonPhrase ?? "")}");
                }
                if (response.Content.Headers.ContentLength is { } length && length > options.MaxAnswerBytes)
                {
                    return TooLarge(target, length, options);
                }
                byte[]? body;
                try
                {
                    body = await ReadBoundedAsync(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), options.MaxAnswerBytes, ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    return new ProbeFacts("nxapi", target, ProbeOutcome.Malformed, null, null, null, null, $"the answer broke off: {Clean(e.Message)}");
                }
                if (body is null)
                {
                    return TooLarge(target, null, options);
                }
                return FromNxApiAnswer(target, body);
            }
        }, cancellationToken);
    }

    private static ProbeFacts TooLarge(string target, long? length, SwitchProbeOptions options) =>
        new("nxapi", target, ProbeOutcome.Malformed, null, null, null, null,
            $"the answer is {(length is { } n ? $"{n} bytes" : "larger")}, more than the {options.MaxAnswerBytes} bytes a show version can take: not read");

    /// <summary>The stream's bytes, or null when there are more than <paramref name="max"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream stream, int max, CancellationToken cancellationToken)
    {
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[16384];
            while (true)
            {
                var n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    return buffer.ToArray();
                }
                if (buffer.Length + n > max)
                {
                    return null;
                }
                buffer.Write(chunk, 0, n);
            }
        }
    }

    /// <summary>
    /// NX-API's answer: <c>ins_api.outputs.output</c> (one object, or an array for several
    /// commands) with <c>code</c>, <c>msg</c> and <c>body</c>; or a JSON-RPC 2.0 <c>result.body</c>.
    /// </summary>
    internal static ProbeFacts FromNxApiAnswer(string target, byte[] answer)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(answer, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            return new ProbeFacts("nxapi", target, ProbeOutcome.Malformed, null, null, null, null, $"the answer is not JSON ({Clean(e.Message)})");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ins_api", out var ins) && ins.ValueKind == JsonValueKind.Object
                && ins.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Object && outputs.TryGetProperty("output", out var output))
            {
                if (output.ValueKind == JsonValueKind.Array)
                {
                    output = output.GetArrayLength() > 0 ? output[0] : default;
                }
                if (output.ValueKind != JsonValueKind.Object)
                {
                    return new ProbeFacts("nxapi", target, ProbeOutcome.Malformed, null, null, null, null, "ins_api.outputs.output is not an object");
                }
                var code = output.TryGetProperty("code", out var c) ? c.ToString() : "";
                if (code != "200")
                {
                    var msg = output.TryGetProperty("msg", out var m) ? m.ToString() : "";
                    var clierror = output.TryGetProperty("clierror", out var ce) ? ce.ToString() : "";
                    return new ProbeFacts("nxapi", target, ProbeOutcome.Failed, null, null, null, null, $"NX-API refused show version: code {Clean(code)} {Clean(msg)} {Clean(clierror)}".TrimEnd());
                }
                return output.TryGetProperty("body", out var body)
                    ? FromShowVersion("nxapi", target, body)
                    : new ProbeFacts("nxapi", target, ProbeOutcome.Malformed, null, null, null, null, "ins_api.outputs.output has no body");
            }
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object && result.TryGetProperty("body", out var rpcBody))
            {
                return FromShowVersion("nxapi", target, rpcBody);
            }
            return new ProbeFacts("nxapi", target, ProbeOutcome.Malformed, null, null, null, null, "the answer is JSON but neither NX-API's ins_api form nor JSON-RPC");
        }
    }
}
