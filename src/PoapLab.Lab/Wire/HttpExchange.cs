using System.Globalization;
using System.Text;

namespace PoapLab.Lab.Wire;

/// <summary>An HTTP/1.x request head as the client sent it (RFC 9112 §3).</summary>
internal sealed record HttpRequestHead(string Method, string Target, IReadOnlyDictionary<string, string> Headers);

/// <summary>An HTTP/1.x response head (RFC 9112 §4) and how its body ends (§6.3).</summary>
internal sealed record HttpResponseHead(int Status, string Reason, long? ContentLength, bool Chunked);

/// <summary>
/// Reads HTTP/1.x message heads out of a reassembled byte stream: bytes up to the blank line
/// are held (at most <see cref="MaxHead"/>), then the head is handed over; the body is counted,
/// never held. A stream that does not look like HTTP, or a head past the bound, stops the reader.
/// </summary>
internal sealed class HttpHeadReader
{
    public const int MaxHead = 16 * 1024;
    private readonly List<byte> _head = [];
    private long _bodyLeft;
    private bool _bodyToClose;

    /// <summary>Set when the stream is not HTTP (or broke the bounds): nothing more is read.</summary>
    public string? Stopped { get; private set; }

    /// <summary>
    /// Feeds bytes; <paramref name="onHead"/> gets each head's text and returns the body length
    /// that follows it (-1: until the connection closes); <paramref name="onBody"/> gets body byte counts.
    /// </summary>
    public void Feed(ReadOnlySpan<byte> bytes, Func<string, long> onHead, Action<long> onBody)
    {
        while (!bytes.IsEmpty && Stopped is null)
        {
            if (_bodyToClose)
            {
                onBody(bytes.Length);
                return;
            }
            if (_bodyLeft > 0)
            {
                var take = (int)Math.Min(_bodyLeft, bytes.Length);
                _bodyLeft -= take;
                bytes = bytes[take..];
                onBody(take);
                continue;
            }
            var end = -1;
            for (var i = 0; i < bytes.Length; i++)
            {
                _head.Add(bytes[i]);
                var n = _head.Count;
                if (n >= 4 && _head[n - 1] == '\n' && _head[n - 2] == '\r' && _head[n - 3] == '\n' && _head[n - 4] == '\r')
                {
                    end = i;
                    break;
                }
                if (n > MaxHead)
                {
                    Stopped = $"a message head longer than {MaxHead} bytes";
                    _head.Clear();
                    return;
                }
            }
            if (end < 0)
            {
                return;
            }
            bytes = bytes[(end + 1)..];
            var text = Encoding.Latin1.GetString([.. _head]);
            _head.Clear();
            var body = onHead(text);
            if (body < 0)
            {
                _bodyToClose = true;
            }
            else
            {
                _bodyLeft = body;
            }
        }
    }

    /// <summary>Stops reading (not HTTP).</summary>
    public void Stop(string why) => Stopped ??= why;

    /// <summary>Whether a stream's first bytes start an HTTP request.</summary>
    public static bool LooksLikeRequest(ReadOnlySpan<byte> first)
    {
        ReadOnlySpan<byte> get = "GET "u8, head = "HEAD "u8, post = "POST "u8;
        return first.StartsWith(get) || first.StartsWith(head) || first.StartsWith(post);
    }

    public static HttpRequestHead? ParseRequest(string head)
    {
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/", StringComparison.Ordinal))
        {
            return null;
        }
        return new HttpRequestHead(parts[0], parts[1], Headers(lines));
    }

    public static HttpResponseHead? ParseResponse(string head)
    {
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            return null;
        }
        var headers = Headers(lines);
        long? length = headers.TryGetValue("Content-Length", out var l) && long.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var chunked = headers.TryGetValue("Transfer-Encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase);
        return new HttpResponseHead(status, parts.Length > 2 ? parts[2] : "", length, chunked);
    }

    private static Dictionary<string, string> Headers(string[] lines)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && headers.Count < 64)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        return headers;
    }
}
