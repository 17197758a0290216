using System.Globalization;
using System.Text;
using PoapLab.Switch.Flash;
using PoapLab.Switch.Transfer;
using static PoapLab.Switch.Cli.Commands.ConfigText;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>copy SRC DST</c>: downloads from servers (<c>tftp</c>, <c>http</c>, <c>https</c>, <c>scp</c>,
/// <c>sftp</c>, <c>ftp</c>, with <c>vrf</c>, <c>compact</c>, <c>use-kstack</c>, <c>ignore-certificate</c>
/// as the release has them), copies between files on any filesystem, and the configuration copies
/// (<c>running-config</c>, <c>startup-config</c>, <c>scheduled-config</c>). Cisco Nexus 9000 Series
/// NX-OS Fundamentals Configuration Guide, "Copying Files"; Cisco's POAP chapter for <c>scheduled-config</c>.
/// </summary>
internal sealed class CopyCommands(CliDevice device) : ICommandFamily
{
    /// <summary>No configuration file is read past this (a real one is kilobytes).</summary>
    private const long ConfigFileLimit = 64L << 20;

    public void Register(CommandTable table) => table.Exec("copy", CopyAsync);

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
        if (CliText.Abbreviates(source, "running-config", 3))
        {
            return await CopyConfigToAsync(context, Running(device), destination, isRunning: true, cancellationToken).ConfigureAwait(false);
        }
        if (CliText.Abbreviates(source, "startup-config", 3))
        {
            if (device.State.StartupConfig is null)
            {
                return CommandOutput.Fail("No startup-config: the startup configuration is empty");
            }
            return await CopyConfigToAsync(context, Startup(device), destination, isRunning: false, cancellationToken).ConfigureAwait(false);
        }
        var from = device.Resolve(source, context.Session);
        if (from is null)
        {
            return CliFiles.PermissionDenied(source);
        }
        string text;
        try
        {
            if (!from.Filesystem.Files.FileExists(from.Relative))
            {
                return CliFiles.NoSuchFile(source);
            }
            text = IsConfigTarget(destination)
                ? Encoding.UTF8.GetString(from.Filesystem.Files.ReadAllBytes(from.Relative, ConfigFileLimit))
                : "";
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, source, CliFiles.PermissionDenied(source));
        }
        if (CliText.Abbreviates(destination, "scheduled-config", 3))
        {
            device.State.ScheduledConfig.AddRange(Lines(text));
            return CommandOutput.Ok(CopyComplete);
        }
        if (CliText.Abbreviates(destination, "startup-config", 3))
        {
            device.State.StartupConfig = [.. Lines(text)];
            return CommandOutput.Ok(CopyProgress + CopyComplete);
        }
        if (CliText.Abbreviates(destination, "running-config", 3))
        {
            return await ApplyConfigLinesAsync(context.Session, Lines(text), cancellationToken).ConfigureAwait(false);
        }
        try
        {
            var to = ResolveDestination(destination, from.Name, context.Session);
            if (to is null)
            {
                return CliFiles.PermissionDenied(destination);
            }
            if (!to.Filesystem.Files.DirectoryExists(to.Parent.Relative))
            {
                return CliFiles.NoSuchFile(destination);
            }
            if (to == from)
            {
                return CommandOutput.Fail($"{destination}: source and destination are the same file");
            }
            var size = from.Filesystem.Files.Stat(from.Relative)?.Size ?? 0;
            var limit = CliFiles.Room(to);
            if (size > limit)
            {
                return CliFiles.NoSpace();
            }
            CopyFile(from, to, limit);
            device.Touch(to);
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, destination, CliFiles.PermissionDenied(destination));
        }
        return CommandOutput.Ok(CopyProgress + CopyComplete);
    }

    private static bool IsConfigTarget(string destination) =>
        CliText.Abbreviates(destination, "scheduled-config", 3) || CliText.Abbreviates(destination, "startup-config", 3) || CliText.Abbreviates(destination, "running-config", 3);

    /// <summary>Copies a file within a filesystem or across two, writing at most <paramref name="limit"/> bytes.</summary>
    private static void CopyFile(NxosPath from, NxosPath to, long limit) =>
        to.Filesystem.Files.Copy(from.Filesystem.Files, from.Relative, to.Relative, limit);

    private async Task<CommandOutput> CopyConfigToAsync(CommandContext context, string text, string destination, bool isRunning, CancellationToken cancellationToken)
    {
        if (CliText.Abbreviates(destination, "startup-config", 3))
        {
            return isRunning ? ConfigurationCommands.SaveRunningConfig(device) : CommandOutput.Ok(CopyComplete);
        }
        if (CliText.Abbreviates(destination, "running-config", 3))
        {
            return isRunning ? CommandOutput.Ok(CopyComplete) : await ApplyConfigLinesAsync(context.Session, [.. device.State.StartupConfig!], cancellationToken).ConfigureAwait(false);
        }
        if (CliText.Abbreviates(destination, "scheduled-config", 3))
        {
            device.State.ScheduledConfig.AddRange(Lines(text));
            return CommandOutput.Ok(CopyComplete);
        }
        var outside = CliFiles.PermissionDenied(destination);
        try
        {
            var to = ResolveDestination(destination, isRunning ? "running-config" : "startup-config", context.Session);
            if (to is null)
            {
                return outside;
            }
            if (!to.Filesystem.Files.DirectoryExists(to.Parent.Relative))
            {
                return CliFiles.NoSuchFile(destination);
            }
            var bytes = Encoding.UTF8.GetBytes(text);
            if (bytes.Length > CliFiles.Room(to))
            {
                return CliFiles.NoSpace();
            }
            using (var file = to.Filesystem.Files.Create(to.Relative))
            {
                file.Write(bytes);
            }
            device.Touch(to);
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, destination, outside);
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
            if (CliText.Abbreviates(word, "vrf", 3))
            {
                if (i + 1 >= context.Args.Count)
                {
                    return context.InvalidArg(i + 1);
                }
                vrf = context.Args[++i].Text;
            }
            else if (CliText.Abbreviates(word, "compact", 4))
            {
                compact = true;
            }
            else if (CliText.Abbreviates(word, "use-kstack", 5))
            {
                kstack = true;
            }
            else if (protocol == TransferProtocol.Https && CliText.Abbreviates(word, "ignore-certificate", 3))
            {
                ignoreCertificate = true;
            }
            else
            {
                return context.InvalidArg(i);
            }
        }
        if (kstack && !device.State.Features.CopyUseKstack)
        {
            // Older images lack the keyword; scripts retry without it when they see this text.
            return CommandOutput.Fail("Syntax error while parsing 'use-kstack'");
        }
        if (compact && !device.State.Features.CopyCompact)
        {
            return CommandOutput.Fail("Compaction is not supported on this platform");
        }

        var remoteName = Path.GetFileName(path.TrimEnd('/'));
        if (IsConfigTarget(destination))
        {
            var config = new TransferRequest(protocol, host, port, path, user, context.Session.Password, vrf, ignoreCertificate);
            return await DownloadConfigAsync(context, config, destination, cancellationToken).ConfigureAwait(false);
        }
        var outside = CliFiles.PermissionDenied(destination);
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
                return CliFiles.NoSuchFile(destination);
            }
            if (to.Relative.Length == 0 || files.DirectoryExists(to.Relative))
            {
                return CliFiles.PermissionDenied(destination);
            }
            limit = CliFiles.Room(to);
            // The client writes through this handle only: a new regular file made inside the filesystem.
            file = files.Create(to.Relative);
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, destination, outside);
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
                        result = await device.Transfers.DownloadAsync(request, guard, OnAnnounced, cancellationToken).ConfigureAwait(false);
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
            return CliFiles.NoSpace();
        }
        if (failure is not null)
        {
            return CommandOutput.Fail(failure);
        }
        if (result is not { Success: true })
        {
            return CommandOutput.Fail(result?.Error ?? "Copy failed");
        }
        device.Touch(to);
        device.Management.Count(result.Bytes);
        var output = protocol is TransferProtocol.Scp or TransferProtocol.Sftp
            ? CopyComplete
            : "Copy complete, now saving to disk (please wait)...\n" + CopyComplete;
        return CommandOutput.Ok(output);
    }

    /// <summary>A destination path; a directory (or a bare <c>volatile:</c>) takes the source's file name.</summary>
    private NxosPath? ResolveDestination(string destination, string sourceName, CliSession session)
    {
        var to = device.Resolve(destination, session);
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
            result = await device.Transfers.DownloadAsync(request, guard, size =>
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
            return CliFiles.NoSpace();
        }
        if (failure is not null)
        {
            return CommandOutput.Fail(failure);
        }
        if (result is not { Success: true })
        {
            return CommandOutput.Fail(result?.Error ?? "Copy failed");
        }
        device.Management.Count(result.Bytes);
        var lines = Lines(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).ToList();
        if (CliText.Abbreviates(destination, "scheduled-config", 3))
        {
            device.State.ScheduledConfig.AddRange(lines);
            return CommandOutput.Ok(CopyComplete);
        }
        if (CliText.Abbreviates(destination, "startup-config", 3))
        {
            device.State.StartupConfig = [.. lines];
            return CommandOutput.Ok(CopyProgress + CopyComplete);
        }
        return await ApplyConfigLinesAsync(context.Session, lines, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies configuration lines as config mode would (<c>copy ... running-config</c>); the first refused line is the answer.</summary>
    private async Task<CommandOutput> ApplyConfigLinesAsync(CliSession caller, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var session = new CliSession(caller.CurrentDirectory) { ConfigMode = true, DontAsk = caller.DontAsk, Password = caller.Password };
        var output = new StringBuilder();
        foreach (var line in lines)
        {
            var result = await device.ApplyConfigLine(session, line, "config", cancellationToken).ConfigureAwait(false);
            if (result is null)
            {
                continue;
            }
            if (result.Status != CliStatus.Ok)
            {
                return result;
            }
            output.Append(result.Text);
        }
        return CommandOutput.Ok(output.ToString() + CopyComplete);
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
}
