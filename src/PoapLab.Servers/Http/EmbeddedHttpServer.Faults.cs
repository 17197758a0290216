using System.Net;
using Microsoft.AspNetCore.Http;
using PoapLab.Core.Events;
using PoapLab.Servers.Faults;

namespace PoapLab.Servers.Http;

/// <summary>Fault injection: wrong statuses, cut connections, lying lengths, slow bodies.</summary>
public sealed partial class EmbeddedHttpServer
{
    // The pace of a slow body is checked this often; each step sends what is due by then.
    private static readonly TimeSpan SlowBodyTick = TimeSpan.FromMilliseconds(50);

    private static FaultPlan<HttpFault> BuildFaultPlan(HttpServerOptions options)
    {
        if (options.Faults.IsDefaultOrEmpty)
        {
            return FaultPlan<HttpFault>.None;
        }
        foreach (var fault in options.Faults)
        {
            if (fault.Kind == HttpFaultKind.SlowBody && fault.BytesPerSecond <= 0)
            {
                throw new ArgumentException("A SlowBody fault needs BytesPerSecond above 0.", nameof(options));
            }
            if (fault.Kind == HttpFaultKind.Status && fault.Status is < 100 or > 999)
            {
                throw new ArgumentException($"Status {fault.Status} is not an HTTP status code.", nameof(options));
            }
        }
        return new FaultPlan<HttpFault>(options.Faults, options.FaultContext, options.FaultSeed);
    }

    /// <summary>The fault for this GET or HEAD, counted per client address and path.</summary>
    private HttpFault? NextFault(IPEndPoint client, string path, out HttpFault? fault)
    {
        fault = _faults.IsEmpty ? null : _faults.Next(client, path, $"{client.Address}|{path}");
        return fault;
    }

    private void RecordFault(HttpContext context, HttpFault fault, IPEndPoint client, string path, params (string Key, object? Value)[] extra) =>
        FaultEvents.Record(_events, _source, _faults, fault, client, "path", path, [("method", context.Request.Method), .. extra]);

    /// <summary>Answers with the fault's status and an empty body, for GET and HEAD alike.</summary>
    private string InjectStatus(HttpContext context, HttpFault fault, IPEndPoint client, string path)
    {
        RecordFault(context, fault, client, path, ("status", fault.Status));
        var response = context.Response;
        response.StatusCode = fault.Status;
        // RFC 9110 §8.6: 1xx, 204 and 304 carry no Content-Length; everything else says 0,
        // and HEAD says what GET would (§9.3.2).
        if (fault.Status is >= 200 and not 204 and not 304)
        {
            response.ContentLength = 0;
        }
        return "injected fault";
    }

    /// <summary>Serves an existing file the way the fault says; returns the reason for the response event.</summary>
    private async Task<string?> ServeWithFaultAsync(HttpContext context, string path, HttpFault fault, IPEndPoint client, string rawPath)
    {
        var response = context.Response;
        var head = HttpMethods.IsHead(context.Request.Method);
        var length = new FileInfo(path).Length;
        var cancellationToken = context.RequestAborted;
        // A faulty answer is always the whole file with 200: a server may ignore Range
        // (RFC 9110 §14.2), and a broken one usually does.
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/octet-stream";
        switch (fault.Kind)
        {
            case HttpFaultKind.ResetMidBody when !head:
            {
                var sent = Math.Clamp(fault.AfterBytes, 0, length);
                RecordFault(context, fault, client, rawPath, ("content-length", length), ("bytes", sent));
                response.ContentLength = length;
                await response.StartAsync(cancellationToken).ConfigureAwait(false);
                if (sent > 0)
                {
                    await response.SendFileAsync(path, 0, sent, cancellationToken).ConfigureAwait(false);
                }
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                // Ending the response short of its Content-Length makes Kestrel close the
                // connection once these bytes are out. HttpContext.Abort() here would drop
                // what still sits in Kestrel's output pipe (often the headers too), and a
                // TCP reset (linger 0) makes Linux discard the client's unread bytes: either
                // way the client would not see the bytes the fault promises.
                return "injected fault: connection closed mid-body";
            }
            case HttpFaultKind.WrongContentLength:
            {
                var announced = Math.Max(0, length + fault.LengthDelta);
                RecordFault(context, fault, client, rawPath, ("content-length", announced), ("bytes", head ? 0 : Math.Min(announced, length)));
                response.ContentLength = announced;
                if (head)
                {
                    return "injected fault: wrong Content-Length";
                }
                if (announced <= length)
                {
                    // A shorter announcement is all the client will read: it sees a short file.
                    if (announced > 0)
                    {
                        await response.SendFileAsync(path, 0, announced, cancellationToken).ConfigureAwait(false);
                    }
                    return "injected fault: wrong Content-Length";
                }
                // Longer than the file: the body ends early and Kestrel closes the connection
                // (the response is short of its Content-Length); the client must notice.
                await response.StartAsync(cancellationToken).ConfigureAwait(false);
                if (length > 0)
                {
                    await response.SendFileAsync(path, 0, length, cancellationToken).ConfigureAwait(false);
                }
                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
                return "injected fault: wrong Content-Length";
            }
            case HttpFaultKind.SlowBody when !head:
                RecordFault(context, fault, client, rawPath, ("content-length", length), ("bytes-per-second", fault.BytesPerSecond));
                response.ContentLength = length;
                await SendSlowlyAsync(response, path, length, fault.BytesPerSecond, cancellationToken).ConfigureAwait(false);
                return "injected fault: slow body";
            default:
                // HEAD has no body to cut or slow down: the headers are those of a good answer.
                response.ContentLength = length;
                return null;
        }
    }

    /// <summary>Sends <paramref name="length"/> bytes at <paramref name="bytesPerSecond"/> of real time.</summary>
    private static async Task SendSlowlyAsync(HttpResponse response, string path, long length, long bytesPerSecond, CancellationToken cancellationToken)
    {
        // Real time on purpose: the bytes cross a real socket to a real reader.
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16 * 1024, useAsync: true);
        var buffer = new byte[(int)Math.Clamp(bytesPerSecond * SlowBodyTick.Ticks / TimeSpan.TicksPerSecond, 1, 64 * 1024)];
        long sent = 0;
        // Each round sends at least one byte, so the loop ends after at most length rounds.
        for (long round = 0; sent < length && round < length; round++)
        {
            // Wait until the next chunk is due, then send what the elapsed time allows.
            var next = Math.Min(length, sent + buffer.Length);
            var wait = TimeSpan.FromSeconds((double)next / bytesPerSecond) - time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
            var due = (long)Math.Min(length, time.GetElapsedTime(started).TotalSeconds * bytesPerSecond);
            var chunk = (int)Math.Clamp(due - sent, 1, buffer.Length);
            var read = await file.ReadAsync(buffer.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            await response.Body.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            sent += read;
        }
    }
}
