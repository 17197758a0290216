using System.Net;

namespace PoapLab.Lab.Services;

/// <summary>The kinds of service a lab host can run.</summary>
public enum ServiceKind
{
    Dhcp,
    Dhcp6,
    DhcpRelay,
    Tftp,
    Http,
    Ssh,
    Ftp,
}

/// <summary>
/// One running lab service: a server of one kind at one lab address, embedded (in this
/// process) or real (a Debian package's daemon started by PoapLab). Disposing stops it and
/// everything it started, whatever state it is in; disposing twice does nothing.
/// </summary>
public interface ILabService : IAsyncDisposable
{
    /// <summary>The name events and the report use, e.g. <c>dhcp:10.0.0.1</c>.</summary>
    string Name { get; }

    /// <summary>What it serves.</summary>
    ServiceKind Kind { get; }

    /// <summary>Its lab address (the address switches reach it at).</summary>
    IPAddress Address { get; }

    /// <summary>The file its own log goes to (a real server's stderr/log), or null for an embedded one.</summary>
    string? LogPath { get; }
}
