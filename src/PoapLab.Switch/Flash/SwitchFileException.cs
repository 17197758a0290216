namespace PoapLab.Switch.Flash;

/// <summary>Why an operation on a switch's file tree failed.</summary>
public enum SwitchFileError
{
    /// <summary>ENOENT/ENOTDIR: nothing there.</summary>
    NotFound,

    /// <summary>The path leaves the tree (absolute, <c>..</c> above the root, a link out) or a link was refused.</summary>
    OutsideTree,

    /// <summary>A FIFO, device, socket or link where a regular file is needed: never opened for I/O.</summary>
    NotRegularFile,

    IsDirectory,
    NotDirectory,
    Exists,
    NotEmpty,
    NoSpace,
    PermissionDenied,

    /// <summary>The kernel lacks <c>openat2(2)</c> (Linux before 5.6) or the platform is not Linux x86_64/arm64.</summary>
    Unsupported,

    /// <summary>A walk met more entries or deeper nesting than it allows.</summary>
    TooLarge,
}

/// <summary>A failed operation on a switch's file tree, with the errno when the kernel gave one.</summary>
public sealed class SwitchFileException : IOException
{
    public SwitchFileException(SwitchFileError kind, int errno, string message)
        : base(message)
    {
        Kind = kind;
        Errno = errno;
    }

    public SwitchFileException()
        : this(SwitchFileError.PermissionDenied, 0, "Permission denied")
    {
    }

    public SwitchFileException(string message)
        : this(SwitchFileError.PermissionDenied, 0, message)
    {
    }

    public SwitchFileException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = SwitchFileError.PermissionDenied;
    }

    public SwitchFileError Kind { get; }

    /// <summary>The errno, or 0 when the refusal is PoapLab's own (a FIFO where a file is needed).</summary>
    public int Errno { get; }
}
