using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using PoapLab.Core.Events;
using PoapLab.Protocols;
using PoapLab.Protocols.Tftp;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Tftp;

/// <summary>
/// An in-process TFTP server (RFC 1350 with RFC 2347/2348/2349/7440 options) serving a
/// directory the way tftpd-hpa <c>--secure</c> does. Requests arrive on the bound port;
/// each transfer then runs on its own socket on a new port (RFC 1350 §4, the server's TID).
/// Every request, agreement, completion, failure and refusal is recorded as an event.
/// </summary>
public sealed class EmbeddedTftpServer : IAsyncDisposable
{
    private readonly TftpServerOptions _options;
    private readonly IEventSink _events;
    private readonly string _source;
    private readonly TimeProvider _time;
    private readonly ServedFileResolver _files;
    private readonly FaultPlan<TftpFault> _faults;
    // The file buffer of one transfer: a few 512-byte blocks per read(2) without making a
    // fleet of concurrent transfers cost 64 KiB each (larger blocks are read past it).
    private const int TransferFileBufferSize = 16 * 1024;

    private readonly ConcurrentDictionary<Task, byte> _transfers = new();
    // The running transfer of each client port (its TID): a new request from it supersedes the old one.
    private readonly ConcurrentDictionary<IPEndPoint, TftpTransfer> _byClient = new();
    private readonly UdpServerLoop _udp;
    private int _active;
    // Transfers running on a thread of their own (at most one per processor): a few transfers
    // then wait for their client the way a forking tftpd does, the rest share the pool.
    private int _ownThreads;
    // Transfers may wait for an answer on their own thread (briefly) while no more of them run
    // than there are processors: a fleet's transfers all wait asynchronously.
    private readonly Func<bool> _fewTransfers;
    private int _disposed;

    public EmbeddedTftpServer(TftpServerOptions options, IEventSink events, string eventSource, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentException.ThrowIfNullOrEmpty(eventSource);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RetransmitTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrentTransfers, 1);
        if (options.MaxWindowSize is < TftpLimits.MinWindowSize or > TftpLimits.MaxWindowSize)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxWindowSize,
                $"MaxWindowSize must be from {TftpLimits.MinWindowSize} to {TftpLimits.MaxWindowSize} (RFC 7440 §3)");
        }
        _options = options;
        _events = events;
        _source = eventSource;
        _time = time ?? TimeProvider.System;
        _files = new ServedFileResolver(options.RootPath);
        _faults = options.Faults.IsDefaultOrEmpty ? FaultPlan<TftpFault>.None : new FaultPlan<TftpFault>(options.Faults, options.FaultContext, options.FaultSeed);
        _udp = new UdpServerLoop(TftpLimits.MaxDatagramSize, HandleAsync) { Sockets = options.Sockets };
        _fewTransfers = () => Volatile.Read(ref _active) <= Environment.ProcessorCount;
    }

    /// <summary>Transfers in flight (for tests: every one that ended gave its slot back).</summary>
    internal int ActiveTransfers => Volatile.Read(ref _active);

    /// <summary>Transfers running on a thread of their own (for tests: that thread was given back).</summary>
    internal int OwnThreadTransfers => Volatile.Read(ref _ownThreads);

    /// <summary>The endpoint requests go to (valid after <see cref="StartAsync"/>).</summary>
    public IPEndPoint LocalEndPoint => _udp.LocalEndPoint ?? throw new InvalidOperationException("The server has not been started.");

    /// <summary>Binds (port 0 picks one) and starts answering; returns the bound endpoint.</summary>
    public Task<IPEndPoint> StartAsync(IPEndPoint bind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bind);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_udp.Socket is not null)
        {
            throw new InvalidOperationException("The server is already started.");
        }
        return Task.FromResult(_udp.Start(bind, cancellationToken));
    }

    /// <summary>Stops every transfer and closes every socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        // Transfers run under the loop's token: stop it, let them end, then release it.
        await _udp.StopAsync().ConfigureAwait(false);
        await Task.WhenAll(_transfers.Keys).ConfigureAwait(false);
        await _udp.DisposeAsync().ConfigureAwait(false);
    }

    private async ValueTask HandleAsync(ReadOnlyMemory<byte> datagram, IPEndPoint client, CancellationToken stopping)
    {
        TftpPacket packet;
        try
        {
            packet = TftpPacket.Decode(datagram.Span);
        }
        catch (ProtocolException ex)
        {
            _events.Record(_source, EventKinds.TftpServerFailed, $"Malformed TFTP request from {client}: {ex.Message}",
                ("client", client), ("reason", ex.Message), ("offset", ex.Offset));
            await ReplyAsync(client, TftpErrorCode.IllegalOperation, "Malformed request", stopping).ConfigureAwait(false);
            return;
        }
        if (packet is not TftpRequest request)
        {
            // RFC 1350 §4: only requests open a transfer; anything else on the request port is an error.
            await ReplyAsync(client, TftpErrorCode.IllegalOperation, "Illegal TFTP operation", stopping).ConfigureAwait(false);
            return;
        }
        _events.Record(_source, EventKinds.TftpServerRequest,
            $"TFTP {(request.Opcode == TftpOpcode.ReadRequest ? "RRQ" : "WRQ")} {request.FileName} ({request.Mode}) from {client}",
            ("client", client), ("operation", request.Opcode == TftpOpcode.ReadRequest ? "read" : "write"),
            ("file", request.FileName), ("mode", request.Mode), ("options", request.Options.ToString()));

        // RFC 1350 §5: netascii and octet; mail is obsolete. Files are served as stored:
        // between two Unix hosts a netascii conversion would be undone by the reader anyway.
        if (!request.Mode.Equals("octet", StringComparison.OrdinalIgnoreCase) && !request.Mode.Equals("netascii", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(request, client, TftpErrorCode.IllegalOperation, $"Unsupported mode {request.Mode}", stopping).ConfigureAwait(false);
            return;
        }
        // A client that asks again from the same port gave up its earlier transfer (it lost our
        // OACK or first DATA, or restarted): that one ends now instead of retransmitting to a
        // client that can only answer ERROR 5, and one port never holds two transfers.
        if (_byClient.TryRemove(client, out var earlier))
        {
            Supersede(earlier);
        }
        if (Interlocked.Increment(ref _active) > _options.MaxConcurrentTransfers)
        {
            Interlocked.Decrement(ref _active);
            await RefuseAsync(request, client, TftpErrorCode.NotDefined, "Server busy", stopping).ConfigureAwait(false);
            return;
        }
        TftpTransfer? transfer = null;
        try
        {
            transfer = request.Opcode == TftpOpcode.ReadRequest
                ? await OpenReadAsync(request, client, stopping).ConfigureAwait(false)
                : await OpenWriteAsync(request, client, stopping).ConfigureAwait(false);
        }
        finally
        {
            if (transfer is null)
            {
                Interlocked.Decrement(ref _active);
            }
        }
        if (transfer is not null)
        {
            // Two requests from one port at once: the later one wins, the earlier is superseded.
            _byClient.AddOrUpdate(client, transfer, (_, other) =>
            {
                Supersede(other);
                return transfer;
            });
            Task task;
            // Windowed reads only: a lock-step transfer measured 2-4x slower on a thread of its own
            // (curl, 100 MiB at blksize 512 to 8192) than with the short poll on the pool.
            var windowed = transfer is TftpReadTransfer { Windowed: true };
            if (windowed && Interlocked.Increment(ref _ownThreads) <= Environment.ProcessorCount)
            {
                transfer.OwnThread = true;
                task = Task.Factory.StartNew(() => RunOnOwnThreadAsync(transfer), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            }
            else
            {
                if (windowed)
                {
                    Interlocked.Decrement(ref _ownThreads);
                }
                task = Task.Run(() => RunAsync(transfer), CancellationToken.None);
            }
            _transfers.TryAdd(task, 0);
            _ = task.ContinueWith(t => _transfers.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RunOnOwnThreadAsync(TftpTransfer transfer)
    {
        try
        {
            await RunAsync(transfer).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _ownThreads);
        }
    }

    private async Task RunAsync(TftpTransfer transfer)
    {
        try
        {
            await transfer.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _byClient.TryRemove(new KeyValuePair<IPEndPoint, TftpTransfer>(transfer.Client, transfer));
            transfer.Dispose();
            if (transfer.ReleaseSlot())
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }

    // The superseded transfer gives its place under the cap back at once, not when its task has
    // wound down: requests repeated from one port never take more than one place.
    private void Supersede(TftpTransfer transfer)
    {
        transfer.Supersede();
        if (transfer.ReleaseSlot())
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task<TftpTransfer?> OpenReadAsync(TftpRequest request, IPEndPoint client, CancellationToken stopping)
    {
        var fault = _faults.IsEmpty ? null : _faults.Next(client, request.FileName, $"{client.Address}|{request.FileName}");
        if (fault is { Kind: TftpFaultKind.NotFound })
        {
            RecordFault(fault, client, request);
            await RefuseAsync(request, client, TftpErrorCode.FileNotFound, "File not found", stopping).ConfigureAwait(false);
            return null;
        }
        var resolved = _files.ResolveExisting(request.FileName);
        if (resolved.Status == ServedFileStatus.Denied)
        {
            await DenyAsync(request, client, resolved.Reason, stopping).ConfigureAwait(false);
            return null;
        }
        if (resolved.Status == ServedFileStatus.NotFound)
        {
            await RefuseAsync(request, client, TftpErrorCode.FileNotFound, "File not found", stopping).ConfigureAwait(false);
            return null;
        }
        FileStream file;
        try
        {
            file = new FileStream(resolved.Path, FileMode.Open, FileAccess.Read, FileShare.Read, TransferFileBufferSize, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            await RefuseAsync(request, client, TftpErrorCode.FileNotFound, "File not found", stopping).ConfigureAwait(false);
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            await RefuseAsync(request, client, TftpErrorCode.FileNotFound, "File not found", stopping).ConfigureAwait(false);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            await DenyAsync(request, client, "permission denied", stopping).ConfigureAwait(false);
            return null;
        }
        var agreement = fault is { Kind: TftpFaultKind.RefuseOptions }
            // An RFC 1350-only server: the options are not read at all, so no OACK (RFC 2347 §"Negotiation Protocol").
            ? new TftpAgreement(TftpLimits.DefaultBlockSize, 1, _options.RetransmitTimeout, null, TftpOptionList.Empty)
            : TftpNegotiation.Negotiate(request, file.Length, _options.RetransmitTimeout, _options.MaxWindowSize);
        if (fault is { Kind: TftpFaultKind.RefuseOptions or TftpFaultKind.Truncate })
        {
            RecordFault(fault, client, request, ("size", file.Length));
        }
        var midTransfer = fault is { Kind: TftpFaultKind.Truncate or TftpFaultKind.ErrorMidTransfer or TftpFaultKind.GoneMidTransfer } ? fault : null;
        return new TftpReadTransfer(OpenTransferSocket(), client, request, file, agreement, _options, _events, _source, _time, stopping,
            midTransfer, midTransfer is { Kind: not TftpFaultKind.Truncate } ? sent => MidTransferFault(midTransfer, client, request, sent) : null)
        {
            MayPoll = _fewTransfers,
        };
    }

    private void MidTransferFault(TftpFault fault, IPEndPoint client, TftpRequest request, long sent)
    {
        RecordFault(fault, client, request, ("bytes", sent));
        if (fault.Kind == TftpFaultKind.GoneMidTransfer)
        {
            // The transfer is abandoned: the client's wait for the next block is in vain.
            _options.FaultContext?.WillNotAnswer(new ServerSilence(_source, SilenceScope.Exchange, client, null, $"injected fault: gone after {sent} bytes"));
        }
    }

    private void RecordFault(TftpFault fault, IPEndPoint client, TftpRequest request, params (string Key, object? Value)[] extra) =>
        FaultEvents.Record(_events, _source, _faults, fault, client, "file", request.FileName, extra);

    private async Task<TftpTransfer?> OpenWriteAsync(TftpRequest request, IPEndPoint client, CancellationToken stopping)
    {
        if (!_options.AllowWrite)
        {
            await DenyAsync(request, client, "writes are not allowed", stopping).ConfigureAwait(false);
            return null;
        }
        var resolved = _files.Resolve(request.FileName);
        if (resolved.Status != ServedFileStatus.Found)
        {
            await DenyAsync(request, client, resolved.Reason, stopping).ConfigureAwait(false);
            return null;
        }
        FileStream file;
        try
        {
            file = new FileStream(resolved.Path, FileMode.CreateNew, FileAccess.Write, FileShare.None, TransferFileBufferSize);
        }
        catch (DirectoryNotFoundException)
        {
            await RefuseAsync(request, client, TftpErrorCode.FileNotFound, "Directory not found", stopping).ConfigureAwait(false);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            await DenyAsync(request, client, "permission denied", stopping).ConfigureAwait(false);
            return null;
        }
        catch (IOException) when (File.Exists(resolved.Path))
        {
            await RefuseAsync(request, client, TftpErrorCode.FileExists, "File already exists", stopping).ConfigureAwait(false);
            return null;
        }
        var agreement = TftpNegotiation.Negotiate(request, null, _options.RetransmitTimeout, maxWindowSize: 0);
        return new TftpWriteTransfer(OpenTransferSocket(), client, request, file, resolved.Path, agreement, _options, _events, _source, _time, stopping)
        {
            MayPoll = _fewTransfers,
        };
    }

    private Socket OpenTransferSocket()
    {
        // RFC 1350 §4: the server's TID is a port chosen for this transfer alone.
        var socket = _options.Sockets.Create(_udp.LocalEndPoint!.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(_udp.LocalEndPoint.Address, 0));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task DenyAsync(TftpRequest request, IPEndPoint client, string reason, CancellationToken stopping)
    {
        _events.Record(_source, EventKinds.TftpServerDenied, $"TFTP denied {request.FileName} to {client}: {reason}",
            ("client", client), ("file", request.FileName), ("reason", reason));
        await ReplyAsync(client, TftpErrorCode.AccessViolation, "Access violation", stopping).ConfigureAwait(false);
    }

    private async Task RefuseAsync(TftpRequest request, IPEndPoint client, TftpErrorCode code, string message, CancellationToken stopping)
    {
        _events.Record(_source, EventKinds.TftpServerFailed, $"TFTP {request.FileName} to {client} refused: {message}",
            ("client", client), ("file", request.FileName), ("reason", message), ("error-code", (int)code));
        await ReplyAsync(client, code, message, stopping).ConfigureAwait(false);
    }

    private ValueTask ReplyAsync(IPEndPoint client, TftpErrorCode code, string message, CancellationToken stopping) =>
        _udp.SendAsync(new TftpError(code, message).Encode(), client, stopping);
}
