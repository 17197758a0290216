using System.IO.Enumeration;
using System.Net;
using System.Net.Sockets;
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
        var server = await RealServerProcess.StartAsync(s.Options with { Port = s.Port }, host, cancellationToken).ConfigureAwait(false);
        try
        {
            await ApplyFaultsAsync(server, s, context, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The scenario's server-side faults: stopped or its port blocked now (before any switch
    /// starts), or killed when a switch's transfer of a matching path starts (on its own task,
    /// once; the switch then sees what a crashed server leaves: a reset or silence).
    /// </summary>
    internal static async Task ApplyFaultsAsync(RealServerProcess server, RealServiceSpec spec, LabServiceContext context, CancellationToken cancellationToken)
    {
        foreach (var fault in spec.Options.Faults)
        {
            switch (fault.Kind)
            {
                case RealServerFaultKind.Stop:
                    server.Note("stopped by the scenario (fault: stop)");
                    await server.StopAsync(cancellationToken).ConfigureAwait(false);
                    break;
                case RealServerFaultKind.BlockPort:
                    await server.BlockPortAsync(spec.Kind is ServiceKind.Dhcp or ServiceKind.Tftp ? ProtocolType.Udp : ProtocolType.Tcp, spec.Port, cancellationToken).ConfigureAwait(false);
                    break;
                case RealServerFaultKind.Kill:
                    if (context.Events is not ServerEventSink sink)
                    {
                        throw new NotSupportedException($"{spec.Name}: a kill fault needs the lab's timeline to see the switches' transfers");
                    }
                    var fired = 0;
                    var address = spec.Address.ToString();
                    sink.Subscribe(e =>
                    {
                        if (e.Kind == Core.Events.EventKinds.TransferStarted && e.Get("host") == address
                            && (fault.File is null || (e.Get("path") is { } path && FileSystemName.MatchesSimpleExpression(fault.File, path.TrimStart('/'), ignoreCase: false)))
                            && Interlocked.Exchange(ref fired, 1) == 0)
                        {
                            server.Note($"{e.Switch} started {e.Get("path")}: killed by the scenario once it has sent {fault.AfterBytes} byte(s) more (fault: kill)");
                            _ = KillQuietlyAsync(server, fault.AfterBytes);
                        }
                    });
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(spec), fault.Kind, "unknown real server fault");
            }
        }
    }

    private static async Task KillQuietlyAsync(RealServerProcess server, long afterBytes)
    {
        try
        {
            await server.KillAfterBytesAsync(afterBytes, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Already gone (stopped at the end of the run).
        }
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
