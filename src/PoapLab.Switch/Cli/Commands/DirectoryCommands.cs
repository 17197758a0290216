using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>cd</c>, <c>pwd</c>, <c>mkdir</c>, <c>rmdir</c>, <c>move</c> and <c>delete</c> on any of the switch's
/// filesystems (Cisco Nexus 9000 Series NX-OS Fundamentals Configuration Guide, "Working
/// with Files": "Changing the Current Directory", "Displaying the Current Directory",
/// "Creating a Directory", "Deleting an Existing Directory", "Moving Files"). The current
/// directory is the session's: each <c>cli()</c> call starts at <c>bootflash:</c>.
/// </summary>
internal sealed class DirectoryCommands(CliDevice device) : ICommandFamily
{
    public void Register(CommandTable table)
    {
        table.Exec("cd", ChangeDirectory);
        table.Exec("pwd", PrintDirectory);
        table.Exec("mkdir", MakeDirectory);
        table.Exec("rmdir", RemoveDirectory);
        table.Exec("move", Move);
        table.Exec("delete", Delete);
    }

    private Task<CommandOutput> ChangeDirectory(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count != 1)
        {
            return context.InvalidArg(context.Args.Count == 0 ? 0 : 1).AsTask();
        }
        var name = context.Args[0].Text;
        var path = device.Filesystems.Resolve(name, context.Session.CurrentDirectory);
        try
        {
            if (path is null || !path.Filesystem.Files.DirectoryExists(path.Relative))
            {
                return CommandOutput.Fail($"Directory {name} does not exist").AsTask();
            }
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.PermissionDenied(name)).AsTask();
        }
        context.Session.CurrentDirectory = path;
        return CommandOutput.Empty.AsTask();
    }

    private static Task<CommandOutput> PrintDirectory(CommandContext context, CancellationToken cancellationToken) =>
        (context.Args.Count > 0 ? context.InvalidArg(0) : CommandOutput.Ok(context.Session.CurrentDirectory + "\n")).AsTask();

    private Task<CommandOutput> MakeDirectory(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count != 1)
        {
            return context.InvalidArg(context.Args.Count == 0 ? 0 : 1).AsTask();
        }
        var name = context.Args[0].Text;
        if (device.Filesystems.Resolve(name, context.Session.CurrentDirectory) is not { Relative.Length: > 0 } path)
        {
            return CliFiles.PermissionDenied(name).AsTask();
        }
        var files = path.Filesystem.Files;
        try
        {
            if (files.Stat(path.Relative, followLinks: false) is not null)
            {
                return CommandOutput.Fail($"Directory {name} already exists").AsTask();
            }
            if (!files.DirectoryExists(path.Parent.Relative))
            {
                return CliFiles.NoSuchFile(name).AsTask();
            }
            files.CreateDirectory(path.Relative);
            files.SetModified(path.Relative, device.Clock.GetUtcNow());
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.PermissionDenied(name)).AsTask();
        }
        return CommandOutput.Empty.AsTask();
    }

    private Task<CommandOutput> RemoveDirectory(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count != 1)
        {
            return context.InvalidArg(context.Args.Count == 0 ? 0 : 1).AsTask();
        }
        var name = context.Args[0].Text;
        if (device.Filesystems.Resolve(name, context.Session.CurrentDirectory) is not { Relative.Length: > 0 } path)
        {
            return CliFiles.PermissionDenied(name).AsTask();
        }
        var files = path.Filesystem.Files;
        try
        {
            if (files.Stat(path.Relative, followLinks: false) is not { Kind: FileEntryKind.Directory })
            {
                return CliFiles.NoSuchFile(name).AsTask();
            }
            if (files.List(path.Relative).Count > 0)
            {
                return CommandOutput.Fail($"Directory {name} is not empty").AsTask();
            }
            files.DeleteDirectory(path.Relative, recursive: false);
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.PermissionDenied(name)).AsTask();
        }
        return CommandOutput.Empty.AsTask();
    }

    /// <summary><c>move SRC DST</c>: a rename on one filesystem, a copy and delete across two; a directory destination keeps the name.</summary>
    private Task<CommandOutput> Move(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count != 2)
        {
            return context.InvalidArg(context.Args.Count < 2 ? context.Args.Count : 2).AsTask();
        }
        var (source, destination) = (context.Args[0].Text, context.Args[1].Text);
        var cwd = context.Session.CurrentDirectory;
        if (device.Filesystems.Resolve(source, cwd) is not { Relative.Length: > 0 } from)
        {
            return CliFiles.PermissionDenied(source).AsTask();
        }
        if (device.Filesystems.Resolve(destination, cwd) is not { } to)
        {
            return CliFiles.PermissionDenied(destination).AsTask();
        }
        try
        {
            if (!from.Filesystem.Files.FileExists(from.Relative))
            {
                return CliFiles.NoSuchFile(source).AsTask();
            }
            if (to.Filesystem.Files.DirectoryExists(to.Relative))
            {
                to = to.Child(from.Name);
            }
            if (!to.Filesystem.Files.DirectoryExists(to.Parent.Relative))
            {
                return CliFiles.NoSuchFile(destination).AsTask();
            }
            if (to == from)
            {
                return CommandOutput.Empty.AsTask();
            }
            if (from.Filesystem == to.Filesystem)
            {
                from.Filesystem.Files.Rename(from.Relative, to.Relative);
            }
            else
            {
                var size = from.Filesystem.Files.Stat(from.Relative)?.Size ?? 0;
                var room = CliFiles.Room(to);
                if (size > room)
                {
                    return CliFiles.NoSpace().AsTask();
                }
                to.Filesystem.Files.Copy(from.Filesystem.Files, from.Relative, to.Relative, room);
                from.Filesystem.Files.DeleteFile(from.Relative);
            }
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, destination, CliFiles.PermissionDenied(destination)).AsTask();
        }
        return CommandOutput.Empty.AsTask();
    }

    private Task<CommandOutput> Delete(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count == 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        if (args.Count > 2 || (args.Count == 2 && !CliText.Abbreviates(args[1].Text, "no-prompt", 4)))
        {
            return context.InvalidArg(args.Count == 2 ? 1 : 2).AsTask();
        }
        var name = args[0].Text;
        var path = device.Filesystems.Resolve(name, context.Session.CurrentDirectory);
        if (path is null || path.Relative.Length == 0)
        {
            // A filesystem the switch lacks, a path out of one, or a filesystem itself: not a file.
            return CliFiles.PermissionDenied(name).AsTask();
        }
        var files = path.Filesystem.Files;
        try
        {
            // The entry itself: deleting a link removes the link, never what it points at.
            if (files.Stat(path.Relative, followLinks: false) is not { } entry)
            {
                return CliFiles.NoSuchFile(name).AsTask();
            }
            // A script cannot answer the prompt; vsh takes its default, which for delete is yes.
            var prompt = context.Session.DontAsk || args.Count == 2
                ? ""
                : $"Do you want to delete \"/{path.Relative}\" ? (yes/no/abort)   [y] \n";
            if (entry.Kind == FileEntryKind.Directory)
            {
                files.DeleteDirectory(path.Relative, recursive: true);
            }
            else
            {
                files.DeleteFile(path.Relative);
            }
            return CommandOutput.Ok(prompt).AsTask();
        }
        catch (IOException e)
        {
            return CliFiles.Failure(e, name, CliFiles.PermissionDenied(name)).AsTask();
        }
    }
}
