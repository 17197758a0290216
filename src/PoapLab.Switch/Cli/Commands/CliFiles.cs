using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>NX-OS's answers to file operations, shared by every command that takes a path.</summary>
internal static class CliFiles
{
    /// <summary>NX-OS's missing-file error; scripts test both "No such file" and "no such file".</summary>
    public static CommandOutput NoSuchFile(string name) =>
        CommandOutput.Fail($"{name}: No such file or directory\nError: no such file: {name}");

    public static CommandOutput PermissionDenied(string name) => CommandOutput.Fail($"{name}: Permission denied");

    public static CommandOutput NoSpace() => CommandOutput.Fail("No space left on device");

    /// <summary>
    /// What NX-OS prints when a file operation fails: <paramref name="outside"/> when the path
    /// leaves its filesystem (what the command prints for a path on no filesystem at all).
    /// </summary>
    public static CommandOutput Failure(IOException e, string name, CommandOutput outside) => e switch
    {
        SwitchFileException f => f.Kind switch
        {
            SwitchFileError.NotFound or SwitchFileError.NotDirectory => NoSuchFile(name),
            SwitchFileError.OutsideTree => outside,
            SwitchFileError.NoSpace => NoSpace(),
            SwitchFileError.IsDirectory => CommandOutput.Fail($"{name}: Is a directory"),
            SwitchFileError.TooLarge => CommandOutput.Fail($"{name}: File too large"),
            _ => PermissionDenied(name),
        },
        // A write the filesystem refused (a bounded flash that is full: ENOSPC, errno 28).
        _ when e.HResult == 28 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase) => NoSpace(),
        _ => PermissionDenied(name),
    };

    /// <summary>The size of the regular file a write would replace (0 for anything else: it is unlinked, not truncated).</summary>
    public static long ExistingLength(NxosPath path) =>
        path.Filesystem.Files.Stat(path.Relative, followLinks: false) is { Kind: FileEntryKind.File, Links: 1 } e ? e.Size : 0;

    /// <summary>The room a write to <paramref name="path"/> has: the free space plus the file it replaces.</summary>
    public static long Room(NxosPath path) => path.Filesystem.FreeBytes + ExistingLength(path);

    /// <summary>The directory part of a filesystem-relative path (<c>""</c>: the filesystem itself).</summary>
    public static string ParentOf(string relative)
    {
        var slash = relative.LastIndexOf('/');
        return slash < 0 ? "" : relative[..slash];
    }
}
