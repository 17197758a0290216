using System.Net;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Switch.Network;

namespace PoapLab.Lab.Services.Real;

/// <summary>
/// A user's real server as a lab service: <paramref name="Options"/> say which Debian daemon and
/// the user's configuration, unmodified. It needs a real segment (the namespace transport).
/// </summary>
/// <param name="Kind">What it serves (DHCP, TFTP, HTTP).</param>
/// <param name="Address">Its lab address (the address the user's configuration expects).</param>
/// <param name="Port">Its port.</param>
/// <param name="PrefixLength">The subnet its host sits on.</param>
public sealed record RealServiceSpec(ServiceKind Kind, IPAddress Address, int Port, int PrefixLength, RealServerOptions Options) : LabServiceSpec(Kind, Address, Port);

/// <summary>Starts <see cref="RealServerProcess"/>es in their lab host's network namespace.</summary>
public sealed class RealServiceFactory(ServiceKind kind) : ILabServiceFactory
{
    /// <summary>One factory per kind a real server can serve.</summary>
    public static IReadOnlyList<ILabServiceFactory> All { get; } =
        [new RealServiceFactory(ServiceKind.Dhcp), new RealServiceFactory(ServiceKind.Dhcp6), new RealServiceFactory(ServiceKind.DhcpRelay), new RealServiceFactory(ServiceKind.Tftp), new RealServiceFactory(ServiceKind.Http), new RealServiceFactory(ServiceKind.Ftp)];

    /// <inheritdoc />
    public ServiceKind Kind => kind;

    /// <inheritdoc />
    public bool CanStart(LabServiceSpec spec) => spec is RealServiceSpec r && r.Kind == kind;

    /// <inheritdoc />
    public async ValueTask<ILabService> StartAsync(LabServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        var s = (RealServiceSpec)spec;
        var place = await context.Transport.PlaceServiceAsync(s.Address, kind is ServiceKind.Dhcp or ServiceKind.Dhcp6 or ServiceKind.DhcpRelay or ServiceKind.Tftp ? LabProtocol.Udp : LabProtocol.Tcp, s.Port, s.PrefixLength, cancellationToken).ConfigureAwait(false);
        if (place.Sockets is not LabHost host)
        {
            throw new NotSupportedException($"{s.Name}: {s.Options.Kind} is a real server: it runs only on a real segment (--network namespace), not in the {context.Transport.Name} transport");
        }
        Directory.CreateDirectory(s.Options.WorkDirectory);
        if (s.Options.RootPath is { } root)
        {
            OpenForReading(root);
        }
        return await RealServerProcess.StartAsync(s.Options with { Port = s.Port }, host, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A real server reads its files as its own unprivileged user (tftpd-hpa also serves only
    /// files every user may read, tftpd(8)), so the served tree PoapLab made is opened to every
    /// user: folders 0755, files 0644. Links are not followed nor changed. This gives away nothing:
    /// real servers need root, and run as root PoapLab serves only files every user may read already.
    /// </summary>
    internal static void OpenForReading(string root)
    {
        const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        var rootInfo = new DirectoryInfo(root);
        if (!rootInfo.Exists || rootInfo.LinkTarget is not null)
        {
            return;
        }
        rootInfo.UnixFileMode = Folder;
        foreach (var entry in rootInfo.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }))
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }
            if (entry is DirectoryInfo)
            {
                entry.UnixFileMode = Folder;
            }
            else if ((entry.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == 0)
            {
                entry.UnixFileMode = File;
            }
        }
    }
}
