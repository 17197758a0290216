using System.Net;
using System.Net.Sockets;

namespace PoapLab.Switch.Transfer;

/// <summary>
/// What the parts of a <c>copy</c> URL may hold. NX-OS takes a user name that starts with a
/// letter or digit and then holds letters, digits and <c>+ = . _ -</c> (at most 32 characters:
/// Cisco's "Configuring User Accounts and RBAC" guidelines), a host that is an IPv4 or IPv6
/// address or a DNS name (RFC 1123 §2.1), a port from 1 to 65535, and a path of ordinary file
/// name characters. Anything else is a syntax error of the URL, as on the switch — and it is
/// also what keeps URL parts from ever reading as a client option (<c>-o...</c>), a second
/// sftp command, an FTP or HTTP header line (CR/LF) or a TFTP option (NUL).
/// </summary>
public static class TransferUrl
{
    /// <summary>NX-OS's longest user name.</summary>
    public const int MaxUserLength = 32;

    /// <summary>The longest path the switch sends (Linux PATH_MAX is 4096; NX-OS URLs stay far below).</summary>
    public const int MaxPathLength = 1024;

    /// <summary>The longest DNS name (RFC 1035 §2.3.4).</summary>
    public const int MaxHostLength = 253;

    /// <summary>A user name NX-OS accepts.</summary>
    public static bool IsValidUser(string user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Length is 0 or > MaxUserLength || !char.IsAsciiLetterOrDigit(user[0]))
        {
            return false;
        }
        foreach (var c in user)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '=' or '.' or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>An IPv4 address, an IPv6 address (without brackets) or a DNS name.</summary>
    public static bool IsValidHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host.Length is 0 or > MaxHostLength)
        {
            return false;
        }
        if (host.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(host, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 && !host.Contains('%', StringComparison.Ordinal);
        }
        // RFC 1123 §2.1: labels of letters, digits and hyphens, never starting or ending with a hyphen.
        foreach (var label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }
            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// A remote path of file name characters (letters, digits, <c>/ . _ - + ~ , = : @ %</c>), no
    /// <c>.</c> or <c>..</c> segment, and something to fetch at the end.
    /// </summary>
    public static bool IsValidPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length is 0 or > MaxPathLength || path[0] == '-')
        {
            return false;
        }
        foreach (var c in path)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('/' or '.' or '_' or '-' or '+' or '~' or ',' or '=' or ':' or '@' or '%'))
            {
                return false;
            }
        }
        var segments = path.Split('/');
        if (segments.Any(s => s is "." or ".."))
        {
            return false;
        }
        return path.Trim('/').Length > 0;
    }

    /// <summary>True when a password can be sent at all: no control character (CR, LF, NUL...) in it.</summary>
    public static bool IsValidPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return !password.Any(char.IsControl);
    }

    /// <summary>Why <paramref name="request"/> is not a URL the switch would send, or null when it is.</summary>
    public static string? Problem(TransferRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsValidHost(request.Host))
        {
            return "host";
        }
        if (request.Port is { } port && port is < 1 or > 65535)
        {
            return "port";
        }
        if (request.User is { } user && !IsValidUser(user))
        {
            return "user";
        }
        if (request.Password is { } password && !IsValidPassword(password))
        {
            return "password";
        }
        var path = request.Path.StartsWith('/') ? request.Path : "/" + request.Path;
        if (!IsValidPath(path))
        {
            return "path";
        }
        return null;
    }
}
