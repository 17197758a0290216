using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PoapLab.Lab.Transports.Namespace;
using PoapLab.Servers.Hosting;

namespace PoapLab.Lab.Hardware;

/// <summary>What the kernel says about an interface (<c>ip -j addr show dev IF</c>).</summary>
/// <param name="Name">Its name.</param>
/// <param name="IsLoopback">It is a loopback device (LOOPBACK flag).</param>
/// <param name="IsUp">Administratively up (UP flag).</param>
/// <param name="Mac">Its MAC (aa:bb:...), or null.</param>
/// <param name="Addresses">Its addresses with their prefix length.</param>
public sealed record InterfaceState(string Name, bool IsLoopback, bool IsUp, string? Mac, IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses);

/// <summary>
/// One network interface PoapLab serves or speaks on (a NIC wired to a switch's mgmt0), in the
/// machine's own network namespace or, for tests, in a <see cref="NetworkNamespace"/>. Every
/// socket it makes is bound to the interface (socket(7) SO_BINDTODEVICE), so a server answers
/// only frames that arrived on it and sends only through it, whatever other interfaces the
/// machine has; commands (<c>ip</c>) run where the interface is.
/// </summary>
public sealed partial class InterfaceHost : ISocketFactory
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(15);

    /// <param name="interfaceName">The interface's kernel name (at most 15 characters, no '/', no blanks).</param>
    /// <param name="networkNamespace">The namespace it is in; null for the machine's (PoapLab's own).</param>
    /// <exception cref="ArgumentException">Not a name an interface can have.</exception>
    public InterfaceHost(string interfaceName, NetworkNamespace? networkNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        if (!ValidName().IsMatch(interfaceName))
        {
            throw new ArgumentException($"'{interfaceName}' is not an interface name (netdevice(7): 1 to 15 characters, no '/', ':', blanks or a leading '-')", nameof(interfaceName));
        }
        Interface = interfaceName;
        Namespace = networkNamespace;
    }

    /// <summary>The interface's name.</summary>
    public string Interface { get; }

    /// <summary>The namespace it is in, or null for PoapLab's own.</summary>
    public NetworkNamespace? Namespace { get; }

    /// <summary>A path naming the interface's namespace (for <c>ip link set ... netns</c>, a capture, <c>nsenter</c>).</summary>
    public string NamespacePath => Namespace?.Path ?? $"/proc/{Environment.ProcessId}/ns/net";

    /// <summary>The inode of the interface's namespace (tells two namespaces apart in a record file).</summary>
    public string NamespaceId => new FileInfo(NamespacePath).ResolveLinkTarget(returnFinalTarget: false)?.Name ?? "unknown";

    /// <summary>Runs a short command where the interface is, bounded in time.</summary>
    public Task<CommandResult> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        Namespace is { } ns ? ns.RunAsync(file, arguments, cancellationToken) : CommandRunner.RunAsync(file, arguments, CommandTimeout, cancellationToken);

    /// <summary>Runs a command where the interface is; fails with its error output unless it succeeds.</summary>
    public async Task RunCheckedAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var args = arguments.ToArray();
        var result = await RunAsync(file, args, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', args)}' failed ({result.ExitCode}): {result.Error.Trim()}");
        }
    }

    /// <summary>The arguments that run a program where the interface is (empty for PoapLab's own namespace).</summary>
    public IReadOnlyList<string> CommandPrefix => Namespace?.CommandPrefix ?? [];

    /// <summary>Runs <paramref name="action"/> inside the interface's namespace (to open a socket or a capture handle there).</summary>
    public T Invoke<T>(Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return Namespace is { } ns ? ns.Invoke(action) : action();
    }

    /// <inheritdoc />
    /// <remarks>Bound to the interface (SO_BINDTODEVICE); UDP sockets may share their port (SO_REUSEADDR), as two DHCP servers on one segment do.</remarks>
    public Socket Create(AddressFamily family, SocketType type, ProtocolType protocol)
    {
        var socket = Invoke(() => new Socket(family, type, protocol));
        try
        {
            socket.SetRawSocketOption(NamespaceNative.SolSocket, NamespaceNative.SoBindToDevice, Encoding.ASCII.GetBytes(Interface + "\0"));
            if (type == SocketType.Dgram)
            {
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The interface as the kernel has it now, or null when there is no such interface.</summary>
    public async Task<InterfaceState?> InspectAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync("ip", ["-j", "addr", "show", "dev", Interface], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0 || string.IsNullOrWhiteSpace(result.Output))
        {
            return null;
        }
        using var json = JsonDocument.Parse(result.Output);
        if (json.RootElement.ValueKind != JsonValueKind.Array || json.RootElement.GetArrayLength() == 0)
        {
            return null;
        }
        var link = json.RootElement[0];
        var flags = link.TryGetProperty("flags", out var f) && f.ValueKind == JsonValueKind.Array
            ? f.EnumerateArray().Select(x => x.GetString() ?? "").ToHashSet(StringComparer.Ordinal) : [];
        var addresses = new List<(IPAddress, int)>();
        if (link.TryGetProperty("addr_info", out var info) && info.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in info.EnumerateArray())
            {
                if (a.TryGetProperty("local", out var local) && IPAddress.TryParse(local.GetString(), out var address) && a.TryGetProperty("prefixlen", out var prefix))
                {
                    addresses.Add((address, prefix.GetInt32()));
                }
            }
        }
        var mac = link.TryGetProperty("address", out var m) ? m.GetString() : null;
        var loopback = flags.Contains("LOOPBACK") || (link.TryGetProperty("link_type", out var type) && type.GetString() == "loopback");
        return new InterfaceState(Interface, loopback, flags.Contains("UP"), mac, addresses);
    }

    /// <inheritdoc />
    public override string ToString() => Namespace is { } ns ? $"{Interface} (in namespace {ns.Name})" : Interface;

    [System.Text.RegularExpressions.GeneratedRegex(@"^[A-Za-z0-9_.@+][A-Za-z0-9_.@+\-]{0,14}$")]
    private static partial System.Text.RegularExpressions.Regex ValidName();
}
