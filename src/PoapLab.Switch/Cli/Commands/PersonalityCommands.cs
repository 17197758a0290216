using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PoapLab.Switch.Flash;
using PoapLab.Switch.State;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>personality restore &lt;tar&gt; [user-name U] [password P] [hostname H] [vrf V]</c>: the last
/// step of the reference script's personality mode. The switch unpacks the archive and
/// stages its configuration for the next boot; the user, password, host and vrf name the
/// server the personality's packages come from.
/// </summary>
/// <remarks>
/// What the lab accepts as a personality archive (NX-OS's own layout of a
/// <c>personality backup</c> archive is not documented publicly in detail):
/// <list type="bullet">
/// <item>a tar (POSIX/ustar, GNU or v7), optionally gzip-compressed, on bootflash;</item>
/// <item>a regular file whose name is <c>running-config</c>, at the top or in one top directory
/// (<c>personality/running-config</c>): the configuration, staged as the scheduled
/// configuration replayed at the next boot (required);</item>
/// <item>regular files under <c>data/</c> beside it: copied onto bootflash at their path below
/// <c>data/</c> (<c>data/scripts/x.py</c> becomes <c>bootflash:scripts/x.py</c>);</item>
/// <item>anything else (package lists, RPMs, metadata) is ignored: packages are not modelled.</item>
/// </list>
/// The error texts for a missing, unreadable or incomplete archive are the lab's (modelled on
/// NX-OS's <c>No such file</c> wording), not NX-OS's verbatim.
/// </remarks>
internal sealed class PersonalityCommands(CliDevice device) : ICommandFamily
{
    private const string PersonalityConfigName = "running-config";
    private const string PersonalityDataDirectory = "data/";

    public void Register(CommandTable table) => table.Exec("personality restore", PersonalityRestoreCommand);

    private Task<CommandOutput> PersonalityRestoreCommand(CommandContext context, CancellationToken cancellationToken)
    {
        if (!device.State.Features.Personality)
        {
            // The personality feature came with 9.2(1).
            return CommandOutput.From(CliResult.InvalidCommand(context.Command, context.Words[0].Column)).AsTask();
        }
        var args = context.Args;
        if (args.Count == 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        string? user = null, server = null, vrf = null;
        for (var i = 1; i < args.Count; i += 2)
        {
            var word = args[i].Text;
            if (i + 1 >= args.Count)
            {
                return context.InvalidArg(i + 1).AsTask();
            }
            var value = args[i + 1].Text;
            if (CliText.Abbreviates(word, "user-name", 2))
            {
                user = value;
            }
            else if (CliText.Abbreviates(word, "password", 2))
            {
                // The password only reaches the package server; nothing here keeps it.
            }
            else if (CliText.Abbreviates(word, "hostname", 2))
            {
                server = value;
            }
            else if (CliText.Abbreviates(word, "vrf", 2))
            {
                vrf = value;
            }
            else
            {
                return context.InvalidArg(i).AsTask();
            }
        }

        var name = args[0].Text;
        var typed = name.Contains(':', StringComparison.Ordinal) || name.StartsWith('/') ? name : "bootflash:" + name;
        var path = typed.StartsWith("bootflash:", StringComparison.OrdinalIgnoreCase) || typed.StartsWith("/bootflash", StringComparison.Ordinal)
            ? device.State.Bootflash.ToRelative(typed)
            : null;
        if (path is null)
        {
            return CliFiles.PermissionDenied(name).AsTask();
        }
        try
        {
            return RestoreFrom(name, path, user, server, vrf).AsTask();
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.PermissionDenied(name)).AsTask();
        }
    }

    private CommandOutput RestoreFrom(string name, string path, string? user, string? server, string? vrf)
    {
        if (!Flash.FileExists(path))
        {
            return CliFiles.NoSuchFile(name);
        }

        List<(string Entry, byte[] Content)> members;
        try
        {
            members = ReadTar(Flash, path);
        }
        catch (Exception e) when (e is not SwitchFileException && (e is InvalidDataException or FormatException or EndOfStreamException or IOException))
        {
            return CommandOutput.Fail($"Error: {name} is not a valid personality tar file: {e.Message}");
        }

        var config = members.FirstOrDefault(m => IsPersonalityConfig(m.Entry));
        if (config.Entry is null)
        {
            return CommandOutput.Fail($"Error: {name} is not a valid personality tar file: it has no {PersonalityConfigName}");
        }
        var top = config.Entry[..(config.Entry.Length - PersonalityConfigName.Length)];
        var dataPrefix = top + PersonalityDataDirectory;
        var files = new List<(string Target, byte[] Content)>();
        foreach (var (entry, content) in members)
        {
            if (!entry.StartsWith(dataPrefix, StringComparison.Ordinal) || entry.Length == dataPrefix.Length)
            {
                continue;
            }
            var flashName = "bootflash:" + entry[dataPrefix.Length..];
            var target = device.State.Bootflash.ToRelative(flashName);
            if (target is null or "")
            {
                return CommandOutput.Fail($"Error: {name}: {entry}: Permission denied");
            }
            files.Add((target, content));
        }
        var needed = files.Sum(f => (long)f.Content.Length - ExistingLength(f.Target));
        if (needed > device.State.Bootflash.FreeBytes)
        {
            return CliFiles.NoSpace();
        }

        var extracted = new List<string>();
        foreach (var (target, content) in files)
        {
            Flash.CreateDirectories(CliFiles.ParentOf(target));
            using (var file = Flash.Create(target))
            {
                file.Write(content);
            }
            Touch(target);
            extracted.Add(Bootflash.ToFlashName(target));
        }
        var lines = ConfigText.Lines(Encoding.UTF8.GetString(config.Content)).Where(l => !l.TrimStart().StartsWith('!')).ToList();
        device.State.ScheduledConfig.AddRange(lines);
        device.State.Personality = new PersonalityRestore(Bootflash.ToFlashName(path), user, server, vrf, lines, extracted);
        var text = new StringBuilder()
            .Append("Personality restore from ").Append(name).Append(" started\n")
            .Append("Extracting the personality archive.\n")
            .Append(System.Globalization.CultureInfo.InvariantCulture, $"Staged {lines.Count} configuration line(s) for the next reload.\n");
        if (extracted.Count > 0)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"Restored {extracted.Count} data file(s) to bootflash.\n");
        }
        text.Append("Personality restore completed.\n");
        return CommandOutput.Ok(text.ToString());
    }

    private static bool IsPersonalityConfig(string entry)
    {
        if (entry == PersonalityConfigName)
        {
            return true;
        }
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && entry[(slash + 1)..] == PersonalityConfigName;
    }

    /// <summary>The regular files of a (possibly gzip-compressed) tar, names without a leading <c>./</c>.</summary>
    private static List<(string Entry, byte[] Content)> ReadTar(FileTree flash, string path)
    {
        using var file = flash.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        var read = file.Read(magic);
        file.Position = 0;
        // RFC 1952 §2.3.1: a gzip member starts with ID1 0x1f, ID2 0x8b.
        Stream source = read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new TarReader(source, leaveOpen: false);
        var members = new List<(string, byte[])>();
        var sawEntry = false;
        for (var count = 0; count < 100_000; count++)
        {
            var entry = reader.GetNextEntry(copyData: false);
            if (entry is null)
            {
                break;
            }
            sawEntry = true;
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
            {
                continue;
            }
            var entryName = entry.Name.Replace('\\', '/');
            while (entryName.StartsWith("./", StringComparison.Ordinal))
            {
                entryName = entryName[2..];
            }
            using var content = new MemoryStream();
            entry.DataStream?.CopyTo(content);
            members.Add((entryName, content.ToArray()));
        }
        if (!sawEntry)
        {
            throw new InvalidDataException("the archive is empty");
        }
        return members;
    }

    /// <summary>The flash's files.</summary>
    private FileTree Flash => device.State.Bootflash.Files;

    /// <summary>The size of the regular file a write would replace (0 for anything else: it is unlinked, not truncated).</summary>
    private long ExistingLength(string flashPath) =>
        Flash.Stat(flashPath, followLinks: false) is { Kind: FileEntryKind.File, Links: 1 } e ? e.Size : 0;

    /// <summary>Files the CLI writes carry the switch's time, not the host's.</summary>
    private void Touch(string flashPath)
    {
        try
        {
            Flash.SetModified(flashPath, device.Clock.GetUtcNow());
        }
        catch (SwitchFileException)
        {
            // Gone or swapped since it was written: the script's doing, and no time to set.
        }
    }
}
