using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>dir [PATH]</c> and <c>show file FILE [md5sum|sha256sum|sha512sum]</c> on any of the switch's
/// filesystems (Cisco Nexus 9000 Series NX-OS Fundamentals Configuration Guide, "Working with
/// Files": "Displaying Directory Contents", "Displaying File Contents", "Displaying File Checksums").
/// </summary>
internal sealed class FileListingCommands(CliDevice device) : ICommandFamily
{
    /// <summary><c>show file</c> prints at most this much (a config or a log; images are hashed, not shown).</summary>
    private const long ShowFileLimit = 64L << 20;

    public void Register(CommandTable table)
    {
        table.Exec("show file", ShowFile);
        table.Exec("dir", Dir);
    }

    private Task<CommandOutput> ShowFile(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count == 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        HashAlgorithmName? hash = null;
        if (args.Count > 1)
        {
            var word = args[1].Text;
            hash = CliText.Abbreviates(word, "md5sum", 2) ? HashAlgorithmName.MD5
                : CliText.Abbreviates(word, "sha256sum", 4) ? HashAlgorithmName.SHA256
                : CliText.Abbreviates(word, "sha512sum", 4) ? HashAlgorithmName.SHA512
                : null;
            if (hash is null || args.Count > 2)
            {
                return context.InvalidArg(hash is null ? 1 : 2).AsTask();
            }
        }
        var name = args[0].Text;
        var path = device.Resolve(name, context.Session);
        if (path is null)
        {
            return CliFiles.NoSuchFile(name).AsTask();
        }
        try
        {
            return ShowFile(name, path, hash).AsTask();
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.NoSuchFile(name)).AsTask();
        }
    }

    private static CommandOutput ShowFile(string name, NxosPath file, HashAlgorithmName? hash)
    {
        var (files, path) = (file.Filesystem.Files, file.Relative);
        switch (files.Stat(path)?.Kind)
        {
            case null:
                return CliFiles.NoSuchFile(name);
            case FileEntryKind.Directory:
                return CommandOutput.Fail($"{name}: Is a directory");
        }
        if (hash is { } algorithm)
        {
            // Images are hundreds of megabytes: read in large sequential chunks, as md5sum does.
            using var stream = files.OpenRead(path);
            return CommandOutput.Ok(algorithm == HashAlgorithmName.MD5 ? new FileChecksumRecord { Md5 = Convert.ToHexStringLower(MD5.HashData(stream)) }
                : algorithm == HashAlgorithmName.SHA256 ? new FileChecksumRecord { Sha256 = Convert.ToHexStringLower(SHA256.HashData(stream)) }
                : new FileChecksumRecord { Sha512 = Convert.ToHexStringLower(SHA512.HashData(stream)) });
        }
        var content = Encoding.UTF8.GetString(files.ReadAllBytes(path, ShowFileLimit));
        return CommandOutput.Ok(content.Length == 0 || content.EndsWith('\n') ? content : content + "\n");
    }

    private Task<CommandOutput> Dir(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 1)
        {
            return context.InvalidArg(1).AsTask();
        }
        var name = context.Args.Count == 1 ? context.Args[0].Text : context.Session.CurrentDirectory.ToString();
        var path = device.Resolve(name, context.Session);
        if (path is null)
        {
            return CliFiles.NoSuchFile(name).AsTask();
        }
        try
        {
            return DirListing(name, path).AsTask();
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.NoSuchFile(name)).AsTask();
        }
    }

    private static CommandOutput DirListing(string name, NxosPath where)
    {
        var (files, path) = (where.Filesystem.Files, where.Relative);
        if (files.Stat(path) is not { } target)
        {
            return CliFiles.NoSuchFile(name);
        }
        IEnumerable<FileEntry> entries = target.Kind == FileEntryKind.Directory ? files.List(path) : [target with { Name = where.Name }];
        var rows = entries.Select(e => new DirRow(
            e.Kind == FileEntryKind.File ? e.Size : 4096,
            e.Modified.UtcDateTime.ToString("MMM dd HH:mm:ss yyyy", CultureInfo.InvariantCulture),
            e.Name + (e.Kind == FileEntryKind.Directory ? "/" : ""))).ToList();
        var fs = where.Filesystem;
        var used = fs.UsedBytes;
        return CommandOutput.Ok(new DirRecord(rows, fs.Name + "://sup-local", used, Math.Max(0, fs.CapacityBytes - used), fs.CapacityBytes));
    }
}

/// <summary><c>show file FILE md5sum|sha256sum|sha512sum</c>: the one digest asked for.</summary>
internal sealed record FileChecksumRecord : CliRecord
{
    [CliKey("file_content_md5sum")]
    public string? Md5 { get; init; }

    [CliKey("file_content_sha256sum")]
    public string? Sha256 { get; init; }

    [CliKey("file_content_sha512sum")]
    public string? Sha512 { get; init; }

    public override string ToText() => (Md5 ?? Sha256 ?? Sha512) + "\n";
}

/// <summary><c>dir</c>: NX-OS's <c>TABLE_dir</c>/<c>ROW_dir</c> (<c>fsize</c>, <c>timestamp</c>, <c>fname</c>), then the usage summary.</summary>
internal sealed record DirRecord(
    [property: CliTable("dir")] IReadOnlyList<DirRow> Entries,
    [property: CliKey("usage_for_fs")] string Usage,
    [property: CliKey("bytesused")] long Used,
    [property: CliKey("bytesfree")] long Free,
    [property: CliKey("bytestotal")] long Total) : CliRecord
{
    public override string ToText() => new StringBuilder()
        .AppendJoin("", Entries.Select(e => e.ToText()))
        .Append('\n')
        .Append(CultureInfo.InvariantCulture, $"Usage for {Usage}\n")
        .Append(CultureInfo.InvariantCulture, $"  {Used} bytes used\n")
        .Append(CultureInfo.InvariantCulture, $"  {Free} bytes free\n")
        .Append(CultureInfo.InvariantCulture, $"  {Total} bytes total\n")
        .ToString();
}

/// <summary>A file or directory of <c>dir</c> (directories end in <c>/</c>).</summary>
internal sealed record DirRow(
    [property: CliKey("fsize")] long Size,
    [property: CliKey("timestamp")] string Time,
    [property: CliKey("fname")] string Name) : CliRecord
{
    public override string ToText() => string.Create(CultureInfo.InvariantCulture, $"{Size,11}    {Time}  {Name}\n");
}
