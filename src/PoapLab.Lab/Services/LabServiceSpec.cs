using System.Net;
using PoapLab.Servers.Dhcp;
using PoapLab.Servers.Dhcp6;
using PoapLab.Servers.Ftp;
using PoapLab.Servers.Http;
using PoapLab.Servers.Ssh;
using PoapLab.Servers.Tftp;

namespace PoapLab.Lab.Services;

/// <summary>
/// What a lab service is to be: its kind, the lab address and port switches reach it at, and
/// what its implementation needs. The embedded specs below carry the embedded server's
/// options; a real server's spec (a Debian daemon with the user's configuration) derives from
/// this record too and is started by a factory that <see cref="ILabServiceFactory.CanStart"/> it.
/// </summary>
/// <param name="Kind">What it serves.</param>
/// <param name="Address">Its lab address (10.0.0.1).</param>
/// <param name="Port">Its lab port (67, 547, 69, 80, 443, 22, 21).</param>
public abstract record LabServiceSpec(ServiceKind Kind, IPAddress Address, int Port)
{
    /// <summary>The name events and the report use, e.g. <c>dhcp:10.0.0.1</c>.</summary>
    public virtual string Name => $"{Kind.ToString().ToLowerInvariant()}:{Address}";
}

/// <summary>The embedded DHCPv4 server (RFC 2131) on udp/67. Its fault context is the lab's.</summary>
public sealed record DhcpServiceSpec(IPAddress Address, DhcpServerOptions Options) : LabServiceSpec(ServiceKind.Dhcp, Address, 67);

/// <summary>The embedded DHCPv6 server (RFC 8415) on udp/547.</summary>
public sealed record Dhcp6ServiceSpec(IPAddress Address, Dhcp6ServerOptions Options) : LabServiceSpec(ServiceKind.Dhcp6, Address, 547);

/// <summary>The embedded TFTP server. Its fault context is the lab's.</summary>
public sealed record TftpServiceSpec(IPAddress Address, int Port, TftpServerOptions Options) : LabServiceSpec(ServiceKind.Tftp, Address, Port);

/// <summary>
/// The embedded HTTP server, or HTTPS with <paramref name="Tls"/>: then a certificate for the
/// lab address is made when it starts (switches trust it only with ignore-certificate).
/// Its fault context is the lab's.
/// </summary>
public sealed record HttpServiceSpec(IPAddress Address, int Port, bool Tls, HttpServerOptions Options) : LabServiceSpec(ServiceKind.Http, Address, Port)
{
    /// <inheritdoc />
    public override string Name => Tls ? $"https:{Address}" : $"http:{Address}";
}

/// <summary>
/// Debian's sshd in its own namespaces (scp/sftp). Scripts log in as <paramref name="User"/>;
/// the lab maps that login to the sshd's one lab account.
/// </summary>
public sealed record SshServiceSpec(IPAddress Address, int Port, string User, SshServerOptions Options) : LabServiceSpec(ServiceKind.Ssh, Address, Port);

/// <summary>The embedded FTP server; its passive data ports become ports of its lab host.</summary>
public sealed record FtpServiceSpec(IPAddress Address, int Port, FtpServerOptions Options) : LabServiceSpec(ServiceKind.Ftp, Address, Port);
