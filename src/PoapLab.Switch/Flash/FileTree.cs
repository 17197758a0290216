using System.IO.Enumeration;
using Microsoft.Win32.SafeHandles;
using PoapLab.Switch.Flash.Native;

namespace PoapLab.Switch.Flash;

/// <summary>What a directory entry is, as <c>lstat</c> sees it (a link is a link, never its target).</summary>
public enum FileEntryKind
{
    File,
    Directory,
    Symlink,

    /// <summary>A FIFO, socket or device node.</summary>
    Other,
}

/// <summary>One entry of a <see cref="FileTree"/>.</summary>
/// <param name="Path">Relative to the tree's root, <c>/</c>-separated.</param>
/// <param name="Links">The hard link count.</param>
public sealed record FileEntry(string Name, string Path, FileEntryKind Kind, long Size, DateTimeOffset Modified, long Links);

/// <summary>The owner the harness gives what it creates in a tree (the unprivileged user a script runs as).</summary>
public readonly record struct FileOwner(uint Uid, uint Gid);

/// <summary>
/// A directory tree the harness shares with untrusted code (a switch's bootflash, <c>/tmp</c>,
/// the runner's output). Every operation takes a path relative to the root and resolves it
/// the way the kernel does, never as text: <c>openat2(2)</c> with <c>RESOLVE_BENEATH</c>,
/// <c>RESOLVE_NO_MAGICLINKS</c> and <c>RESOLVE_NO_XDEV</c>, so an absolute path, a <c>..</c>
/// above the root, or a link (of any number of steps) that points out fails with
/// <see cref="SwitchFileError.OutsideTree"/> whatever the tree holds at that instant. Links inside
/// the tree are followed where a real filesystem follows them (opening a file to read, a
/// directory to list); the last component is never followed when the entry itself is acted on
/// (delete, rename, replace, owner, time). Only regular files are opened for I/O, after an
/// <c>O_PATH</c> open and a type check, so a FIFO or a device node is refused, never blocked on
/// or opened. New files are created with <c>O_EXCL</c> (what was there is unlinked first), so
/// writing never goes through a link, into a FIFO or into a file hard-linked elsewhere.
/// </summary>
public sealed class FileTree
{
    /// <summary>No walk visits more entries than this (the flash of a real switch holds a few thousand).</summary>
    public const int MaxEntries = 1_000_000;

    /// <summary>No walk descends deeper than this.</summary>
    public const int MaxDepth = 64;

    private const int RetryLimit = 8;

    public FileTree(string rootPath)
    {
        RootPath = Path.GetFullPath(rootPath);
    }

    /// <summary>The host directory the tree is rooted at (harness-made: the untrusted side cannot rename it).</summary>
    public string RootPath { get; }

    /// <summary>When set, every file and directory the harness creates here is given to this owner.</summary>
    public FileOwner? Owner { get; set; }

    /// <summary>Opens a regular file to read. <paramref name="followLinks"/> false: a link in the last component is refused.</summary>
    public FileStream OpenRead(string path, bool followLinks = true)
    {
        using var root = OpenRoot();
        using var pathHandle = LinuxFs.OpenBeneath(root, DirName(path), LinuxFs.OPath | (followLinks ? 0 : LinuxFs.ONoFollow));
        var status = LinuxFs.Fstat(pathHandle);
        RequireRegular(status, path);
        var handle = LinuxFs.Reopen(pathHandle, LinuxFs.ORdOnly | LinuxFs.ONonBlock);
        try
        {
            var opened = LinuxFs.Fstat(handle);
            if (opened.Inode != status.Inode || opened.Device != status.Device)
            {
                throw new SwitchFileException(SwitchFileError.PermissionDenied, 0, $"{path}: changed while it was opened");
            }
            return new FileStream(handle, FileAccess.Read, 1 << 16);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads a whole regular file of at most <paramref name="limit"/> bytes (more: <see cref="SwitchFileError.TooLarge"/>).</summary>
    public byte[] ReadAllBytes(string path, long limit, bool followLinks = true)
    {
        using var stream = OpenRead(path, followLinks);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                throw new SwitchFileException(SwitchFileError.TooLarge, 0, $"{path}: larger than {limit} bytes");
            }
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Creates a new, empty regular file in place of whatever the name held (a file, a link, a
    /// FIFO: unlinked, never written through); a directory there is refused.
    /// </summary>
    public FileStream Create(string path)
    {
        var (parent, name) = Split(path);
        using var root = OpenRoot();
        using var dir = OpenDirectory(root, parent);
        return new FileStream(CreateIn(dir, name, path), FileAccess.Write, 1 << 16);
    }

    /// <summary>Opens a regular file to append (created when missing). A non-regular entry or a hard-linked file is refused.</summary>
    public FileStream Append(string path)
    {
        var (parent, name) = Split(path);
        using var root = OpenRoot();
        using var dir = OpenDirectory(root, parent);
        for (var i = 0; i < RetryLimit; i++)
        {
            SafeFileHandle pathHandle;
            try
            {
                pathHandle = LinuxFs.OpenBeneath(dir, name, LinuxFs.OPath | LinuxFs.ONoFollow);
            }
            catch (SwitchFileException e) when (e.Kind == SwitchFileError.NotFound)
            {
                try
                {
                    return new FileStream(CreateExclusive(dir, name), FileAccess.Write, 1 << 16);
                }
                catch (SwitchFileException x) when (x.Kind == SwitchFileError.Exists)
                {
                    continue;
                }
            }
            using (pathHandle)
            {
                var status = LinuxFs.Fstat(pathHandle);
                RequireRegular(status, path);
                if (status.Links > 1)
                {
                    throw new SwitchFileException(SwitchFileError.PermissionDenied, 0, $"{path}: has other hard links");
                }
                var handle = LinuxFs.Reopen(pathHandle, LinuxFs.OWrOnly | LinuxFs.OAppend | LinuxFs.ONonBlock);
                var stream = new FileStream(handle, FileAccess.Write, 1 << 16);
                stream.Seek(0, SeekOrigin.End);
                return stream;
            }
        }
        throw new SwitchFileException(SwitchFileError.PermissionDenied, 0, $"{path}: kept changing");
    }

    /// <summary>The entry at <paramref name="path"/> (<c>""</c>: the root), or null when there is none.</summary>
    public FileEntry? Stat(string path, bool followLinks = true)
    {
        var (parent, name) = SplitOrRoot(path);
        using var root = OpenRoot();
        if (name.Length == 0)
        {
            return Entry(".", "", LinuxFs.Fstat(root));
        }
        SafeFileHandle dir;
        try
        {
            dir = OpenDirectory(root, parent);
        }
        catch (SwitchFileException e) when (e.Kind == SwitchFileError.NotFound)
        {
            return null;
        }
        using (dir)
        {
            if (!followLinks)
            {
                return LinuxFs.StatEntry(dir, name) is { } own ? Entry(name, Normalise(path), own) : null;
            }
            try
            {
                using var handle = LinuxFs.OpenBeneath(dir, name, LinuxFs.OPath);
                return Entry(name, Normalise(path), LinuxFs.Fstat(handle));
            }
            catch (SwitchFileException e) when (e.Kind == SwitchFileError.NotFound)
            {
                return null;
            }
        }
    }

    /// <summary>True when <paramref name="path"/> is a regular file (links inside the tree followed).</summary>
    public bool FileExists(string path) => Stat(path) is { Kind: FileEntryKind.File };

    /// <summary>True when <paramref name="path"/> is a directory (links inside the tree followed).</summary>
    public bool DirectoryExists(string path) => Stat(path) is { Kind: FileEntryKind.Directory };

    /// <summary>The entries of a directory (links inside the tree followed to reach it), each as <c>lstat</c> sees it.</summary>
    public IReadOnlyList<FileEntry> List(string directory)
    {
        using var root = OpenRoot();
        using var dir = LinuxFs.OpenBeneath(root, DirName(directory), LinuxFs.ORdOnly | LinuxFs.ODirectory);
        var prefix = Normalise(directory);
        var budget = MaxEntries;
        return [.. ListHandle(dir, ref budget).Select(n => LinuxFs.StatEntry(dir, n) is { } s ? Entry(n, Join(prefix, n), s) : null).OfType<FileEntry>()];
    }

    /// <summary>Every entry under a directory, depth first; descends only into real directories, never through a link.</summary>
    public IReadOnlyList<FileEntry> Walk(string directory = "")
    {
        using var root = OpenRoot();
        using var dir = LinuxFs.OpenBeneath(root, DirName(directory), LinuxFs.ORdOnly | LinuxFs.ODirectory);
        var found = new List<FileEntry>();
        var budget = MaxEntries;
        WalkHandle(dir, Normalise(directory), 0, found, ref budget);
        return found;
    }

    /// <summary>Bytes held by the regular files of the tree, each inode once; links and special files count nothing.</summary>
    public long UsedBytes()
    {
        long used = 0;
        using var root = OpenRoot();
        using var dir = LinuxFs.OpenBeneath(root, ".", LinuxFs.ORdOnly | LinuxFs.ODirectory);
        var found = new List<FileEntry>();
        var budget = MaxEntries;
        var seen = new HashSet<(ulong, ulong)>();
        WalkHandle(dir, "", 0, found, ref budget, (s, _) =>
        {
            if (s.IsRegular && seen.Add((s.Device, s.Inode)))
            {
                used += s.Size;
            }
        });
        return used;
    }

    /// <summary>Unlinks a file, link, FIFO or device node (the entry itself; a link's target is untouched).</summary>
    public void DeleteFile(string path)
    {
        var (parent, name) = Split(path);
        using var root = OpenRoot();
        using var dir = OpenDirectory(root, parent);
        var status = LinuxFs.StatEntry(dir, name) ?? throw LinuxFs.Error(LinuxFs.ENoEnt, path);
        if (status.IsDirectory)
        {
            throw LinuxFs.Error(LinuxFs.EIsDir, path);
        }
        LinuxFs.Unlink(dir, name, directory: false);
    }

    /// <summary>Removes a directory; <paramref name="recursive"/>: with everything in it (never following a link out).</summary>
    public void DeleteDirectory(string path, bool recursive)
    {
        var (parent, name) = Split(path);
        using var root = OpenRoot();
        using var dir = OpenDirectory(root, parent);
        var status = LinuxFs.StatEntry(dir, name) ?? throw LinuxFs.Error(LinuxFs.ENoEnt, path);
        if (!status.IsDirectory)
        {
            throw new SwitchFileException(SwitchFileError.NotDirectory, LinuxFs.ENotDir, $"{path}: Not a directory");
        }
        if (recursive)
        {
            using var child = LinuxFs.OpenBeneath(dir, name, LinuxFs.ORdOnly | LinuxFs.ODirectory | LinuxFs.ONoFollow);
            var budget = MaxEntries;
            Empty(child, 0, ref budget);
        }
        LinuxFs.Unlink(dir, name, directory: true);
    }

    /// <summary>Deletes whatever the entry is: a directory with its content, anything else by unlinking the entry.</summary>
    public void Delete(string path)
    {
        if (Stat(path, followLinks: false) is { Kind: FileEntryKind.Directory })
        {
            DeleteDirectory(path, recursive: true);
        }
        else
        {
            DeleteFile(path);
        }
    }

    /// <summary>Empties a directory of the tree (<c>""</c>: the root itself), keeping the directory.</summary>
    public void Clear(string directory = "")
    {
        using var root = OpenRoot();
        using var dir = LinuxFs.OpenBeneath(root, DirName(directory), LinuxFs.ORdOnly | LinuxFs.ODirectory | LinuxFs.ONoFollow);
        var budget = MaxEntries;
        Empty(dir, 0, ref budget);
    }

    /// <summary>Creates a directory (its parent must exist), given to <see cref="Owner"/>.</summary>
    public void CreateDirectory(string path)
    {
        var (parent, name) = Split(path);
        using var root = OpenRoot();
        using var dir = OpenDirectory(root, parent);
        MkdirIn(dir, name);
    }

    /// <summary>Creates every missing directory of <paramref name="path"/> (<c>mkdir -p</c>); existing ones are kept.</summary>
    public void CreateDirectories(string path)
    {
        var done = "";
        foreach (var part in Normalise(path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            done = Join(done, part);
            if (Stat(done)?.Kind != FileEntryKind.Directory)
            {
                CreateDirectory(done);
            }
        }
    }

    /// <summary>
    /// Makes sure <paramref name="path"/> (one level under an existing directory) is a real
    /// directory: a link, FIFO or file of that name is unlinked and a directory made in its place.
    /// </summary>
    public void EnsureDirectory(string path)
    {
        var (parent, name) = Split(path);
        using var root = OpenRoot();
        using var dir = OpenDirectory(root, parent);
        for (var i = 0; i < RetryLimit; i++)
        {
            var status = LinuxFs.StatEntry(dir, name);
            if (status is { IsDirectory: true })
            {
                return;
            }
            try
            {
                if (status is not null)
                {
                    LinuxFs.Unlink(dir, name, directory: false);
                }
                MkdirIn(dir, name);
                return;
            }
            catch (SwitchFileException e) when (e.Kind is SwitchFileError.NotFound or SwitchFileError.Exists)
            {
            }
        }
        throw new SwitchFileException(SwitchFileError.PermissionDenied, 0, $"{path}: kept changing");
    }

    /// <summary>Renames an entry (the entry itself when it is a link), replacing a file at the destination.</summary>
    public void Rename(string from, string to)
    {
        var (fromParent, fromName) = Split(from);
        var (toParent, toName) = Split(to);
        using var root = OpenRoot();
        using var fromDir = OpenDirectory(root, fromParent);
        using var toDir = OpenDirectory(root, toParent);
        LinuxFs.Rename(fromDir, fromName, toDir, toName);
    }

    /// <summary>Copies a regular file to a new file at <paramref name="to"/>, at most <paramref name="limit"/> bytes (more: no space, nothing left).</summary>
    public long Copy(string from, string to, long limit) => Copy(this, from, to, limit);

    /// <summary>Copies a regular file of <paramref name="sourceTree"/> (this tree or another) to a new file of this tree, at most <paramref name="limit"/> bytes.</summary>
    public long Copy(FileTree sourceTree, string from, string to, long limit)
    {
        ArgumentNullException.ThrowIfNull(sourceTree);
        using var source = sourceTree.OpenRead(from);
        var ok = false;
        try
        {
            long copied = 0;
            using (var target = Create(to))
            {
                var chunk = new byte[1 << 16];
                int n;
                while ((n = source.Read(chunk)) > 0)
                {
                    copied += n;
                    if (copied > limit)
                    {
                        throw LinuxFs.Error(LinuxFs.ENoSpc, to);
                    }
                    target.Write(chunk, 0, n);
                }
            }
            ok = true;
            return copied;
        }
        finally
        {
            if (!ok)
            {
                TryDeleteFile(to);
            }
        }
    }

    /// <summary>Deletes a file when it is there; no error when it is not.</summary>
    public void TryDeleteFile(string path)
    {
        try
        {
            DeleteFile(path);
        }
        catch (SwitchFileException)
        {
        }
    }

    /// <summary>Sets the modification time of the entry itself.</summary>
    public void SetModified(string path, DateTimeOffset time)
    {
        var (parent, name) = Split(path);
        using var root = OpenRoot();
        using var dir = OpenDirectory(root, parent);
        LinuxFs.SetModified(dir, name, time);
    }

    /// <summary>
    /// Gives the root and every entry under it to <paramref name="owner"/>, links themselves
    /// (never their targets). With <paramref name="stripSpecialBits"/>, every entry that is not a
    /// link also loses its set-user-ID, set-group-ID and sticky bits, so that nothing a script
    /// left runs as anyone but its caller once the tree is PoapLab's again.
    /// </summary>
    public void ChangeOwner(FileOwner owner, bool stripSpecialBits = false)
    {
        const int Special = 0xE00; // S_ISUID | S_ISGID | S_ISVTX
        using var root = OpenRoot();
        LinuxFs.ChownHandle(root, owner.Uid, owner.Gid);
        using var dir = LinuxFs.OpenBeneath(root, ".", LinuxFs.ORdOnly | LinuxFs.ODirectory);
        if (stripSpecialBits && LinuxFs.Fstat(dir).Mode is var rootMode && (rootMode & Special) != 0)
        {
            LinuxFs.ChmodEntry(dir, ".", rootMode & 0xFFF & ~Special);
        }
        var found = new List<FileEntry>();
        var budget = MaxEntries;
        WalkHandle(dir, "", 0, found, ref budget, (status, at) =>
        {
            try
            {
                LinuxFs.ChownEntry(at.Dir, at.Name, owner.Uid, owner.Gid);
                if (stripSpecialBits && !status.IsSymlink && (status.Mode & Special) != 0)
                {
                    LinuxFs.ChmodEntry(at.Dir, at.Name, status.Mode & 0xFFF & ~Special);
                }
            }
            catch (SwitchFileException e) when (e.Kind == SwitchFileError.NotFound)
            {
            }
        });
    }

    private SafeFileHandle OpenRoot() => LinuxFs.OpenRoot(RootPath);

    /// <summary>A directory of the tree, links inside the tree followed to reach it.</summary>
    private static SafeFileHandle OpenDirectory(SafeFileHandle root, string path) =>
        LinuxFs.OpenBeneath(root, path.Length == 0 ? "." : path, LinuxFs.OPath | LinuxFs.ODirectory);

    private SafeFileHandle CreateIn(SafeFileHandle dir, string name, string path)
    {
        for (var i = 0; i < RetryLimit; i++)
        {
            try
            {
                return CreateExclusive(dir, name);
            }
            catch (SwitchFileException e) when (e.Kind == SwitchFileError.Exists)
            {
                var status = LinuxFs.StatEntry(dir, name);
                if (status is { IsDirectory: true })
                {
                    throw LinuxFs.Error(LinuxFs.EIsDir, path);
                }
                if (status is not null)
                {
                    try
                    {
                        LinuxFs.Unlink(dir, name, directory: false);
                    }
                    catch (SwitchFileException x) when (x.Kind == SwitchFileError.NotFound)
                    {
                    }
                }
            }
        }
        throw new SwitchFileException(SwitchFileError.PermissionDenied, 0, $"{path}: kept changing");
    }

    private SafeFileHandle CreateExclusive(SafeFileHandle dir, string name)
    {
        var handle = LinuxFs.OpenBeneath(dir, name, LinuxFs.OWrOnly | LinuxFs.OCreat | LinuxFs.OExcl | LinuxFs.ONoFollow | LinuxFs.ONonBlock, 0b110_100_100);
        try
        {
            if (Owner is { } owner)
            {
                LinuxFs.Fchown(handle, owner.Uid, owner.Gid);
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private void MkdirIn(SafeFileHandle dir, string name)
    {
        LinuxFs.Mkdir(dir, name, 0b111_101_101);
        if (Owner is { } owner)
        {
            LinuxFs.ChownEntry(dir, name, owner.Uid, owner.Gid);
        }
    }

    private static void RequireRegular(FileStatus status, string path)
    {
        if (status.IsDirectory)
        {
            throw LinuxFs.Error(LinuxFs.EIsDir, path);
        }
        if (!status.IsRegular)
        {
            throw new SwitchFileException(SwitchFileError.NotRegularFile, 0, $"{path}: not a regular file");
        }
    }

    private readonly record struct At(SafeFileHandle Dir, string Name);

    private static void WalkHandle(SafeFileHandle dir, string prefix, int depth, List<FileEntry> found, ref int budget, Action<FileStatus, At>? visit = null)
    {
        if (depth > MaxDepth)
        {
            throw new SwitchFileException(SwitchFileError.TooLarge, 0, $"{prefix}: nested more than {MaxDepth} deep");
        }
        foreach (var name in ListHandle(dir, ref budget))
        {
            if (LinuxFs.StatEntry(dir, name) is not { } status)
            {
                continue;
            }
            var path = Join(prefix, name);
            found.Add(Entry(name, path, status));
            visit?.Invoke(status, new At(dir, name));
            if (status.IsDirectory)
            {
                SafeFileHandle child;
                try
                {
                    child = LinuxFs.OpenBeneath(dir, name, LinuxFs.ORdOnly | LinuxFs.ODirectory | LinuxFs.ONoFollow);
                }
                catch (SwitchFileException e) when (e.Kind is SwitchFileError.NotFound or SwitchFileError.OutsideTree)
                {
                    // Swapped for a link (or removed) since the stat: not a directory of the tree any more.
                    continue;
                }
                using (child)
                {
                    WalkHandle(child, path, depth + 1, found, ref budget, visit);
                }
            }
        }
    }

    private static void Empty(SafeFileHandle dir, int depth, ref int budget)
    {
        if (depth > MaxDepth)
        {
            throw new SwitchFileException(SwitchFileError.TooLarge, 0, $"nested more than {MaxDepth} deep");
        }
        foreach (var name in ListHandle(dir, ref budget))
        {
            if (LinuxFs.StatEntry(dir, name) is not { } status)
            {
                continue;
            }
            try
            {
                if (status.IsDirectory)
                {
                    using (var child = LinuxFs.OpenBeneath(dir, name, LinuxFs.ORdOnly | LinuxFs.ODirectory | LinuxFs.ONoFollow))
                    {
                        Empty(child, depth + 1, ref budget);
                    }
                    LinuxFs.Unlink(dir, name, directory: true);
                }
                else
                {
                    LinuxFs.Unlink(dir, name, directory: false);
                }
            }
            catch (SwitchFileException e) when (e.Kind is SwitchFileError.OutsideTree or SwitchFileError.NotDirectory)
            {
                // A directory swapped for a link since the stat: the link itself goes, never what it points at.
                LinuxFs.Unlink(dir, name, directory: false);
            }
            catch (SwitchFileException e) when (e.Kind == SwitchFileError.NotFound)
            {
            }
        }
    }

    /// <summary>
    /// The names in an open directory. The directory is read through <c>/proc/self/fd/N</c>,
    /// which names the very inode already opened beneath the root (no path is resolved again).
    /// </summary>
    private static List<string> ListHandle(SafeFileHandle dir, ref int budget)
    {
        var names = new List<string>();
        var path = $"/proc/self/fd/{dir.DangerousGetHandle()}";
        var enumerable = new FileSystemEnumerable<string>(path, (ref FileSystemEntry e) => e.FileName.ToString(),
            new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false, ReturnSpecialDirectories = false });
        try
        {
            foreach (var name in enumerable)
            {
                if (--budget < 0)
                {
                    throw new SwitchFileException(SwitchFileError.TooLarge, 0, $"more than {MaxEntries} entries");
                }
                names.Add(name);
            }
        }
        catch (Exception e) when (e is (IOException or UnauthorizedAccessException) and not SwitchFileException)
        {
            throw new SwitchFileException(SwitchFileError.PermissionDenied, 0, $"directory listing failed: {e.Message}");
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static FileEntry Entry(string name, string path, FileStatus s) =>
        new(name, path, s.IsRegular ? FileEntryKind.File : s.IsDirectory ? FileEntryKind.Directory : s.IsSymlink ? FileEntryKind.Symlink : FileEntryKind.Other,
            s.Size, s.Modified, s.Links);

    private static string Normalise(string path) => path.Trim('/');

    private static string DirName(string path) => Normalise(path) is { Length: > 0 } p ? p : ".";

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "/" + name;

    private static (string Parent, string Name) SplitOrRoot(string path)
    {
        var p = Normalise(path);
        var slash = p.LastIndexOf('/');
        return slash < 0 ? ("", p) : (p[..slash], p[(slash + 1)..]);
    }

    private static (string Parent, string Name) Split(string path)
    {
        var (parent, name) = SplitOrRoot(path);
        if (name is "" or "." or "..")
        {
            throw new SwitchFileException(SwitchFileError.PermissionDenied, LinuxFs.EPerm, $"{path}: Permission denied");
        }
        return (parent, name);
    }
}
