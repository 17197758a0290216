using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PoapLab.Lab.Hardware;

/// <summary>
/// What a switch's running configuration says of NX-API: on with <c>feature nxapi</c>, HTTPS on
/// 443 unless <c>nxapi https port N</c> or <c>no nxapi https</c>, HTTP only with
/// <c>nxapi http port N</c>; the users of its <c>username NAME password [0] SECRET</c> lines
/// (a hashed password, type 5 or 8, cannot be checked by the simulation: that user cannot log in).
/// </summary>
/// <param name="HttpPort">HTTP's port, or null.</param>
/// <param name="HttpsPort">HTTPS's port, or null.</param>
/// <param name="Users">Each user and its clear-text password.</param>
public sealed record NxApiSettings(int? HttpPort, int? HttpsPort, IReadOnlyDictionary<string, string> Users)
{
    /// <summary>The settings of a running configuration, or null when it has no <c>feature nxapi</c>.</summary>
    public static NxApiSettings? FromRunningConfig(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var words = lines.Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Length > 0).ToList();
        if (!words.Any(w => w is ["feature", "nxapi"]))
        {
            return null;
        }
        int? http = null;
        int? https = 443;
        foreach (var w in words)
        {
            switch (w)
            {
                case ["nxapi", "http", "port", var p] when Port(p) is { } port:
                    http = port;
                    break;
                case ["nxapi", "https", "port", var p] when Port(p) is { } port:
                    https = port;
                    break;
                case ["no", "nxapi", "https", ..]:
                    https = null;
                    break;
                case ["no", "nxapi", "http", ..]:
                    http = null;
                    break;
            }
        }
        return new NxApiSettings(http, https, UsersOf(words));
    }

    /// <summary>The clear-text users of <c>username NAME password [0] SECRET ...</c> lines.</summary>
    public static IReadOnlyDictionary<string, string> UsersOf(IEnumerable<string[]> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var w in lines)
        {
            if (w is ["username", var name, "password", ..] && w.Length >= 4)
            {
                var secret = w[3] == "0" && w.Length >= 5 ? w[4] : w[3] is "5" or "8" ? null : w[3];
                if (secret is not null)
                {
                    users.TryAdd(name, secret);
                }
            }
        }
        return users;
    }

    private static int? Port(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535 ? p : null;
}

/// <summary>
/// The simulated switch's NX-API, as <c>feature nxapi</c> makes a Nexus serve it on mgmt0 after
/// its reload: <c>POST /ins</c> with basic authentication against the configuration's users,
/// answering the <c>ins_api</c> JSON message (types <c>cli_show</c> and <c>cli_show_ascii</c>) and
/// JSON-RPC 2.0 (<c>application/json-rpc</c>, methods <c>cli</c> and <c>cli_ascii</c>) from the
/// switch's emulated CLI (Cisco Nexus 9000 Series NX-OS Programmability Guide, "NX-API CLI").
/// HTTPS uses a self-signed certificate made at start, as a Nexus's own. Bounded: a request head
/// of 8 KiB and a body of 64 KiB within 10 s, 8 connections at once, one request each.
/// </summary>
public sealed class DeviceNxApi : IAsyncDisposable
{
    private const int MaxHead = 8 * 1024;
    private const int MaxBody = 64 * 1024;
    private const int MaxConnections = 8;
    private static readonly TimeSpan RequestTime = TimeSpan.FromSeconds(10);

    private readonly NxApiSettings _settings;
    private readonly Func<string, bool, CancellationToken, Task<(bool Ok, string Output)>> _execute;
    private readonly Func<AddressFamily, SocketType, ProtocolType, Socket> _sockets;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _connections = new(MaxConnections);
    private readonly SemaphoreSlim _cli = new(1);
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _loops = [];
    private X509Certificate2? _certificate;
    private int _requests;

    /// <param name="settings">Its ports and users.</param>
    /// <param name="execute">Runs one command line on the switch's CLI; <c>true</c> asks for JSON; the output, or the CLI's error.</param>
    /// <param name="sockets">Makes sockets where the switch's mgmt0 is.</param>
    /// <param name="log">Told each request (never a password).</param>
    public DeviceNxApi(NxApiSettings settings, Func<string, bool, CancellationToken, Task<(bool Ok, string Output)>> execute,
        Func<AddressFamily, SocketType, ProtocolType, Socket> sockets, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(execute);
        ArgumentNullException.ThrowIfNull(sockets);
        _settings = settings;
        _execute = execute;
        _sockets = sockets;
        _log = log ?? (_ => { });
    }

    /// <summary>Where HTTP and HTTPS listen once started.</summary>
    public IPEndPoint? HttpEndpoint { get; private set; }

    /// <inheritdoc cref="HttpEndpoint"/>
    public IPEndPoint? HttpsEndpoint { get; private set; }

    /// <summary>Requests answered (any status).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Listens on <paramref name="address"/> at the configured ports (0 in the settings: any free port, for tests).</summary>
    public void Start(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_settings.HttpPort is { } http)
        {
            HttpEndpoint = Listen(address, http, tls: false);
        }
        if (_settings.HttpsPort is { } https)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=nxapi", key, HashAlgorithmName.SHA256);
            var now = DateTimeOffset.UtcNow;
            using var made = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
            // SslStream on Linux wants the key in a form it can export to OpenSSL.
            _certificate = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
            HttpsEndpoint = Listen(address, https, tls: true);
        }
    }

    private IPEndPoint Listen(IPAddress address, int port, bool tls)
    {
        var socket = _sockets(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(16);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listeners.Add(socket);
        _loops.Add(Task.Run(() => AcceptLoopAsync(socket, tls)));
        var bound = (IPEndPoint)socket.LocalEndPoint!;
        _log($"NX-API listens on {(tls ? "https" : "http")}://{bound}/ins");
        return bound;
    }

    private async Task AcceptLoopAsync(Socket listener, bool tls)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                await _connections.WaitAsync(token).ConfigureAwait(false);
                client = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client, tls, token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
                {
                    // A client that went away or took too long: its connection is closed.
                }
                finally
                {
                    client.Dispose();
                    _connections.Release();
                }
            }, CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket client, bool tls, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(RequestTime);
        var ct = bounded.Token;
        Stream stream = new NetworkStream(client, ownsSocket: false);
        await using (stream.ConfigureAwait(false))
        {
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, ct).ConfigureAwait(false);
                stream = ssl;
            }
            var (status, body, extra) = await AnswerAsync(stream, ct).ConfigureAwait(false);
            Interlocked.Increment(ref _requests);
            var bytes = Encoding.UTF8.GetBytes(body);
            var head = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {Reason(status)}\r\n")
                .Append("Server: nginx\r\n")
                .Append("Content-Type: ").Append(status == 200 ? "application/json; charset=UTF-8" : "text/plain").Append("\r\n")
                .Append(CultureInfo.InvariantCulture, $"Content-Length: {bytes.Length}\r\n")
                .Append(extra)
                .Append("Connection: close\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), ct).ConfigureAwait(false);
            await stream.WriteAsync(bytes, ct).ConfigureAwait(false);
            await stream.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        _ => "Error",
    };

    /// <summary>Reads one request and answers it: status, body, extra header lines.</summary>
    private async Task<(int Status, string Body, string Extra)> AnswerAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHead];
        var filled = 0;
        var end = -1;
        while (end < 0)
        {
            if (filled == buffer.Length)
            {
                return (413, "request head too large\n", "");
            }
            var n = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the client closed before its request was whole");
            }
            filled += n;
            end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
        }
        var lines = Encoding.ASCII.GetString(buffer, 0, end).Split("\r\n");
        var request = lines[0].Split(' ');
        if (request.Length != 3)
        {
            return (400, "bad request line\n", "");
        }
        if (request[1] != "/ins")
        {
            return (404, "not found\n", "");
        }
        if (request[0] != "POST")
        {
            return (405, "NX-API takes POST /ins\n", "Allow: POST\r\n");
        }
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        if (!Authorized(headers.GetValueOrDefault("Authorization")))
        {
            _log("NX-API: a login was refused");
            return (401, "Authentication failed\n", "WWW-Authenticate: Basic realm=\"Secure Zone\"\r\n");
        }
        if (!int.TryParse(headers.GetValueOrDefault("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > MaxBody)
        {
            return (length > MaxBody ? 413 : 400, "a body of at most 64 KiB with its Content-Length\n", "");
        }
        var body = new byte[length];
        var have = Math.Min(filled - end - 4, length);
        Array.Copy(buffer, end + 4, body, 0, have);
        while (have < length)
        {
            var n = await stream.ReadAsync(body.AsMemory(have), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the client closed before its body was whole");
            }
            have += n;
        }
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException)
        {
            return (400, "the body is not JSON\n", "");
        }
        var rpc = headers.GetValueOrDefault("Content-Type", "").StartsWith("application/json-rpc", StringComparison.OrdinalIgnoreCase) || json is JsonArray;
        return (200, rpc ? await JsonRpcAsync(json, cancellationToken).ConfigureAwait(false) : await InsApiAsync(json, cancellationToken).ConfigureAwait(false), "");
    }

    private bool Authorized(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        string pair;
        try
        {
            pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && _settings.Users.TryGetValue(pair[..colon], out var password)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(pair[(colon + 1)..]));
    }

    /// <summary>The <c>ins_api</c> message: one output per command of <c>input</c> (<c> ;</c> between them).</summary>
    private async Task<string> InsApiAsync(JsonNode? json, CancellationToken cancellationToken)
    {
        var ins = json?["ins_api"] as JsonObject;
        var type = (ins?["type"] as JsonValue)?.ToString();
        var input = (ins?["input"] as JsonValue)?.ToString();
        var outputs = new JsonArray();
        if (ins is null || input is null || type is not ("cli_show" or "cli_show_ascii"))
        {
            outputs.Add(new JsonObject { ["input"] = input ?? "", ["msg"] = "Input message type is not supported by the simulated switch (cli_show, cli_show_ascii)", ["code"] = "501" });
        }
        else
        {
            foreach (var command in input.Split(" ;", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(16))
            {
                var ascii = type == "cli_show_ascii";
                var (ok, output) = await RunAsync(command, json: !ascii, cancellationToken).ConfigureAwait(false);
                var one = new JsonObject { ["input"] = command };
                if (!ok)
                {
                    one["msg"] = "Input CLI command error";
                    one["clierror"] = output;
                    one["code"] = "400";
                }
                else
                {
                    one["msg"] = "Success";
                    one["code"] = "200";
                    one["body"] = ascii ? output : ParseOrText(output);
                }
                outputs.Add(one);
            }
        }
        var answer = new JsonObject
        {
            ["ins_api"] = new JsonObject
            {
                ["type"] = type ?? "",
                ["version"] = "1.0",
                ["sid"] = "eoc",
                ["outputs"] = new JsonObject { ["output"] = outputs.Count == 1 ? outputs[0]!.DeepClone() : outputs },
            },
        };
        return answer.ToJsonString();
    }

    /// <summary>JSON-RPC 2.0: one request or a batch; <c>cli</c> answers <c>result.body</c>, <c>cli_ascii</c> <c>result.msg</c>.</summary>
    private async Task<string> JsonRpcAsync(JsonNode? json, CancellationToken cancellationToken)
    {
        var requests = json is JsonArray array ? array.Take(16).ToList() : [json];
        var answers = new JsonArray();
        foreach (var request in requests)
        {
            var id = request?["id"]?.DeepClone();
            var method = (request?["method"] as JsonValue)?.ToString();
            var cmd = (request?["params"]?["cmd"] as JsonValue)?.ToString();
            if (method is not ("cli" or "cli_ascii") || cmd is null)
            {
                answers.Add(new JsonObject { ["jsonrpc"] = "2.0", ["error"] = new JsonObject { ["code"] = -32601, ["message"] = "Method not found" }, ["id"] = id });
                continue;
            }
            var (ok, output) = await RunAsync(cmd, json: method == "cli", cancellationToken).ConfigureAwait(false);
            answers.Add(ok
                ? new JsonObject { ["jsonrpc"] = "2.0", ["result"] = method == "cli" ? new JsonObject { ["body"] = ParseOrText(output) } : new JsonObject { ["msg"] = output }, ["id"] = id }
                : new JsonObject { ["jsonrpc"] = "2.0", ["error"] = new JsonObject { ["code"] = -32602, ["message"] = "Invalid params", ["data"] = new JsonObject { ["msg"] = output } }, ["id"] = id });
        }
        return (json is JsonArray ? answers : answers[0]!).ToJsonString();
    }

    private async Task<(bool Ok, string Output)> RunAsync(string command, bool json, CancellationToken cancellationToken)
    {
        // The switch's CLI takes one session at a time.
        await _cli.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _log($"NX-API: {command}");
            return await _execute(command, json, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _cli.Release();
        }
    }

    private static JsonNode? ParseOrText(string output)
    {
        try
        {
            return JsonNode.Parse(output.Length == 0 ? "{}" : output);
        }
        catch (JsonException)
        {
            return JsonValue.Create(output);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _certificate?.Dispose();
        _stop.Dispose();
    }
}
