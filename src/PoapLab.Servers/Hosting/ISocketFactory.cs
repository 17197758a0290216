using System.Net.Sockets;

namespace PoapLab.Servers.Hosting;

/// <summary>
/// Makes the sockets an embedded server listens and answers on. The default makes plain
/// sockets in this process's network namespace; a lab host's factory makes them inside the
/// host's own network namespace (a socket stays in the namespace it was created in, see
/// network_namespaces(7)), so the same server code listens on a loopback map or on a real
/// veth segment.
/// </summary>
public interface ISocketFactory
{
    /// <summary>Creates an unbound socket.</summary>
    Socket Create(AddressFamily family, SocketType type, ProtocolType protocol);
}

/// <summary>Plain sockets in this process's network namespace.</summary>
public sealed class SystemSocketFactory : ISocketFactory
{
    /// <summary>The one instance.</summary>
    public static SystemSocketFactory Instance { get; } = new();

    private SystemSocketFactory()
    {
    }

    /// <inheritdoc />
    public Socket Create(AddressFamily family, SocketType type, ProtocolType protocol) => new(family, type, protocol);
}
