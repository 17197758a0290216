using System.Globalization;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Transfer;

using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

/// <summary><c>copy</c>: downloads from servers, local copies, configuration copies.</summary>
public sealed partial class NxosCli
{
    private const string CopyComplete = "Copy complete.\n";
    private const string CopyProgress = "[########################################] 100%\n";

    private void RegisterCopyCommands() => _exec.Add("copy", CopyAsync);

    private async Task<CommandOutput> CopyAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count < 2)
        {
            return context.InvalidArg(args.Count);
        }
        var source = args[0].Text;
        var destination = args[1].Text;
        var scheme = source.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
        {
            return await DownloadAsync(context, source[..scheme], source[(scheme + 3)..], destination, cancellationToken).ConfigureAwait(false);
        }
        if (args.Count > 2)
        {
            return context.InvalidArg(2);
        }
        if (Abbreviates(source, "running-config", 3))
        {
            return await CopyConfigToAsync(context, RunningConfigText(), destination, isRunning: true, cancellationToken).ConfigureAwait(false);
        }
        if (Abbreviates(source, "startup-config", 3))
        {
            if (_state.StartupConfig is null)
            {
                return CommandOutput.Fail("No startup-config: the startup configuration is empty");
            }
            return await CopyConfigToAsync(context, StartupConfigText(), destination, isRunning: false, cancellationToken).ConfigureAwait(false);
        }
        var from = ResolvePath(source, context.Session);
        if (from is null)
        {
            return PermissionDenied(source);
        }
        string text;
        try
        {
            if (!from.Filesystem.Files.FileExists(from.Relative))
            {
                return NoSuchFile(source);
            }
            text = IsConfigTarget(destination)
                ? System.Text.Encoding.UTF8.GetString(from.Filesystem.Files.ReadAllBytes(from.Relative, ConfigFileLimit))
                : "";
        }
        catch (IOException e)
        {
            return FileFailure(e, source, PermissionDenied(source));
        }
        if (Abbreviates(destination, "scheduled-config", 3))
        {
            _state.ScheduledConfig.AddRange(ConfigLines(text));
            return CommandOutput.Ok(CopyComplete);
        }
        if (Abbreviates(destination, "startup-config", 3))
        {
            _state.StartupConfig = [.. ConfigLines(text)];
            return CommandOutput.Ok(CopyProgress + CopyComplete);
        }
        if (Abbreviates(destination, "running-config", 3))
        {
            return await ApplyConfigLinesAsync(context.Session, ConfigLines(text), cancellationToken).ConfigureAwait(false);
        }
        try
        {
            var to = ResolveDestination(destination, from.Name, context.Session);
            if (to is null)
            {
                return PermissionDenied(destination);
            }
            if (!to.Filesystem.Files.DirectoryExists(to.Parent.Relative))
            {
                return NoSuchFile(destination);
            }
            if (to == from)
            {
                return CommandOutput.Fail($"{destination}: source and destination are the same file");
            }
            var size = from.Filesystem.Files.Stat(from.Relative)?.Size ?? 0;
            var limit = CliFiles.Room(to);
            if (size > limit)
            {
                return NoSpace();
            }
            CopyFile(from, to, limit);
            Touch(to);
        }
        catch (IOException e)
        {
            return FileFailure(e, destination, PermissionDenied(destination));
        }
        return CommandOutput.Ok(CopyProgress + CopyComplete);
    }

    private static bool IsConfigTarget(string destination) =>
        Abbreviates(destination, "scheduled-config", 3) || Abbreviates(destination, "startup-config", 3) || Abbreviates(destination, "running-config", 3);

    /// <summary>Copies a file within a filesystem or across two, writing at most <paramref name="limit"/> bytes.</summary>
    private static void CopyFile(NxosPath from, NxosPath to, long limit) =>
        to.Filesystem.Files.Copy(from.Filesystem.Files, from.Relative, to.Relative, limit);

    private async Task<CommandOutput> CopyConfigToAsync(CommandContext context, string text, string destination, bool isRunning, CancellationToken cancellationToken)
    {
        if (Abbreviates(destination, "startup-config", 3))
        {
            if (!isRunning)
            {
                return CommandOutput.Ok(CopyComplete);
            }
            _state.StartupConfig = [.. _state.RunningConfig];
            return CommandOutput.Ok(CopyProgress + CopyComplete);
        }
        if (Abbreviates(destination, "running-config", 3))
        {
            return isRunning ? CommandOutput.Ok(CopyComplete) : await ApplyConfigLinesAsync(context.Session, [.. _state.StartupConfig!], cancellationToken).ConfigureAwait(false);
        }
        if (Abbreviates(destination, "scheduled-config", 3))
        {
            _state.ScheduledConfig.AddRange(ConfigLines(text));
            return CommandOutput.Ok(CopyComplete);
        }
        var outside = PermissionDenied(destination);
        try
        {
            var to = ResolveDestination(destination, isRunning ? "running-config" : "startup-config", context.Session);
            if (to is null)
            {
                return outside;
            }
            if (!to.Filesystem.Files.DirectoryExists(to.Parent.Relative))
            {
                return NoSuchFile(destination);
            }
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            if (bytes.Length > CliFiles.Room(to))
            {
                return NoSpace();
            }
            using (var file = to.Filesystem.Files.Create(to.Relative))
            {
                file.Write(bytes);
            }
            Touch(to);
        }
        catch (IOException e)
        {
            return FileFailure(e, destination, outside);
        }
        return CommandOutput.Ok(CopyProgress + CopyComplete);
    }

    private async Task<CommandOutput> DownloadAsync(CommandContext context, string scheme, string rest, string destination, CancellationToken cancellationToken)
    {
        var source = context.Args[0].Text;
        TransferProtocol protocol;
        switch (scheme.ToLowerInvariant())
        {
            case "tftp": protocol = TransferProtocol.Tftp; break;
            case "http": protocol = TransferProtocol.Http; break;
            case "https": protocol = TransferProtocol.Https; break;
            case "scp": protocol = TransferProtocol.Scp; break;
            case "sftp": protocol = TransferProtocol.Sftp; break;
            case "ftp": protocol = TransferProtocol.Ftp; break;
            default: return context.InvalidArg(0);
        }
        // A part NX-OS would not take (an option-like user, a host that is not a name or an
        // address, control characters or spaces in the path) is a syntax error of the URL.
        if (!TryParseServer(rest, out var user, out var host, out var port, out var path)
            || (user is not null && !TransferUrl.IsValidUser(user)) || !TransferUrl.IsValidHost(host) || !TransferUrl.IsValidPath(path))
        {
            return CommandOutput.Fail(NxosTransferErrors.BadUrl(source));
        }

        var vrf = "default";
        bool compact = false, kstack = false, ignoreCertificate = false;
        for (var i = 2; i < context.Args.Count; i++)
        {
            var word = context.Args[i].Text;
            if (Abbreviates(word, "vrf", 3))
            {
                if (i + 1 >= context.Args.Count)
                {
                    return context.InvalidArg(i + 1);
                }
                vrf = context.Args[++i].Text;
            }
            else if (Abbreviates(word, "compact", 4))
            {
                compact = true;
            }
            else if (Abbreviates(word, "use-kstack", 5))
            {
                kstack = true;
            }
            else if (protocol == TransferProtocol.Https && Abbreviates(word, "ignore-certificate", 3))
            {
                ignoreCertificate = true;
            }
            else
            {
                return context.InvalidArg(i);
            }
        }
        if (kstack && !_state.Features.CopyUseKstack)
        {
            // Older images lack the keyword; scripts retry without it when they see this text.
            return CommandOutput.Fail("Syntax error while parsing 'use-kstack'");
        }
        if (compact && !CompactSupported)
        {
            return CommandOutput.Fail("Compaction is not supported on this platform");
        }

        var remoteName = Path.GetFileName(path.TrimEnd('/'));
        if (IsConfigTarget(destination))
        {
            var config = new TransferRequest(protocol, host, port, path, user, context.Session.Password, vrf, ignoreCertificate);
            return await DownloadConfigAsync(context, config, destination, cancellationToken).ConfigureAwait(false);
        }
        var outside = PermissionDenied(destination);
        NxosPath to;
        long limit;
        FileStream file;
        try
        {
            if (ResolveDestination(destination, remoteName, context.Session) is not { } resolved)
            {
                return outside;
            }
            to = resolved;
            var files = to.Filesystem.Files;
            if (!files.DirectoryExists(to.Parent.Relative))
            {
                return NoSuchFile(destination);
            }
            if (to.Relative.Length == 0 || files.DirectoryExists(to.Relative))
            {
                return PermissionDenied(destination);
            }
            limit = CliFiles.Room(to);
            // The client writes through this handle only: a new regular file made inside the filesystem.
            file = files.Create(to.Relative);
        }
        catch (IOException e)
        {
            return FileFailure(e, destination, outside);
        }

        var request = new TransferRequest(protocol, host, port, path, user, context.Session.Password, vrf, ignoreCertificate);
        var refused = false;
        void OnAnnounced(long size)
        {
            if (size > limit)
            {
                refused = true;
                throw new IOException("No space left on device");
            }
        }

        TransferResult? result = null;
        string? failure = null;
        FreeSpaceGuardStream? guard = null;
        var completed = false;
        try
        {
            await using (file.ConfigureAwait(false))
            {
                guard = new FreeSpaceGuardStream(file, limit);
                await using (guard.ConfigureAwait(false))
                {
                    try
                    {
                        result = await _transfers.DownloadAsync(request, guard, OnAnnounced, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        failure = ex.Message;
                    }
                }
            }
            completed = true;
        }
        finally
        {
            var ok = completed && failure is null && !refused && guard is { Exceeded: false } && result is { Success: true };
            if (!ok)
            {
                to.Filesystem.Files.TryDeleteFile(to.Relative);
            }
        }

        if (refused || guard is { Exceeded: true })
        {
            return NoSpace();
        }
        if (failure is not null)
        {
            return CommandOutput.Fail(failure);
        }
        if (result is not { Success: true })
        {
            return CommandOutput.Fail(result?.Error ?? "Copy failed");
        }
        Touch(to);
        _device.Management.Count(result.Bytes);
        var output = protocol is TransferProtocol.Scp or TransferProtocol.Sftp
            ? CopyComplete
            : "Copy complete, now saving to disk (please wait)...\n" + CopyComplete;
        return CommandOutput.Ok(output);
    }

    /// <summary><c>copy ... compact</c> exists on Nexus 9000 from 9.3 on.</summary>
    private bool CompactSupported => _state.Features.CopyCompact;

    /// <summary>No configuration file is read past this (a real one is kilobytes).</summary>
    private const long ConfigFileLimit = 64L << 20;

    /// <summary>A destination path; a directory (or a bare <c>volatile:</c>) takes the source's file name.</summary>
    private NxosPath? ResolveDestination(string destination, string sourceName, CliSession session)
    {
        var to = ResolvePath(destination, session);
        if (to is null)
        {
            return null;
        }
        if (to.Filesystem.Files.DirectoryExists(to.Relative) && sourceName.Length > 0)
        {
            to = to.Child(sourceName);
        }
        return to;
    }

    /// <summary>The size of the regular file a write would replace (0 for anything else: it is unlinked, not truncated).</summary>
    private long ExistingLength(string flashPath) =>
        Flash.Stat(flashPath, followLinks: false) is { Kind: FileEntryKind.File, Links: 1 } e ? e.Size : 0;

    /// <summary>
    /// <c>copy URL running-config</c> (and <c>startup-config</c>, <c>scheduled-config</c>): the file
    /// is fetched into memory, at most <see cref="ConfigFileLimit"/>, and applied as the local copy would.
    /// </summary>
    private async Task<CommandOutput> DownloadConfigAsync(CommandContext context, TransferRequest request, string destination, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var guard = new FreeSpaceGuardStream(buffer, ConfigFileLimit);
        TransferResult? result = null;
        string? failure = null;
        var tooLarge = false;
        try
        {
            result = await _transfers.DownloadAsync(request, guard, size =>
            {
                if (size > ConfigFileLimit)
                {
                    tooLarge = true;
                    throw new IOException("No space left on device");
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failure = ex.Message;
        }
        if (tooLarge || guard.Exceeded)
        {
            return NoSpace();
        }
        if (failure is not null)
        {
            return CommandOutput.Fail(failure);
        }
        if (result is not { Success: true })
        {
            return CommandOutput.Fail(result?.Error ?? "Copy failed");
        }
        _device.Management.Count(result.Bytes);
        var lines = ConfigLines(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).ToList();
        if (Abbreviates(destination, "scheduled-config", 3))
        {
            _state.ScheduledConfig.AddRange(lines);
            return CommandOutput.Ok(CopyComplete);
        }
        if (Abbreviates(destination, "startup-config", 3))
        {
            _state.StartupConfig = [.. lines];
            return CommandOutput.Ok(CopyProgress + CopyComplete);
        }
        return await ApplyConfigLinesAsync(context.Session, lines, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Splits <c>[user@]host[:port]/path</c> (host may be <c>[v6]</c>).</summary>
    private static bool TryParseServer(string rest, out string? user, out string host, out int? port, out string path)
    {
        user = null;
        host = "";
        port = null;
        path = "";
        // The path starts at the first '/': neither a user name nor an IPv6 literal holds one.
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }
        var authority = rest[..slash];
        path = rest[slash..];
        if (path.Trim('/').Length == 0)
        {
            return false;
        }
        var at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            user = at == 0 ? null : authority[..at];
            authority = authority[(at + 1)..];
        }
        string? portText = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }
            host = authority[1..close];
            var after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':')
                {
                    return false;
                }
                portText = after[1..];
            }
        }
        else
        {
            var colon = authority.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && authority.LastIndexOf(':') == colon)
            {
                host = authority[..colon];
                portText = authority[(colon + 1)..];
            }
            else
            {
                host = authority;
            }
        }
        if (portText is not null && portText.Length > 0)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
            {
                return false;
            }
            port = p;
        }
        return host.Length > 0;
    }

    /// <summary>
    /// What the flash accepts: writing past the free space fails as the filesystem would,
    /// so a download whose size was not announced still stops at a full flash.
    /// </summary>
    private sealed class FreeSpaceGuardStream(Stream inner, long limit) : Stream
    {
        private long _written;

        public bool Exceeded { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position
        {
            get => _written;
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Reserve(buffer.Length);
            inner.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reserve(buffer.Length);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        private void Reserve(int count)
        {
            if (Exceeded || _written + count > limit)
            {
                Exceeded = true;
                throw new IOException("No space left on device");
            }
            _written += count;
        }
    }
}
