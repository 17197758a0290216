using System.Text.RegularExpressions;
using PoapLab.Core.Events;

namespace PoapLab.Scenarios.Assertions;

/// <summary>
/// Names a file server's mistake in plain words, with its fix, from what the switch observed of
/// its transfers: the protocol, the path it asked for, and the server's answer (a TFTP error
/// packet, an HTTP status, an FTP reply code, sshd's refusal). Each line concerns one mistake
/// and one path; nothing is said when every transfer worked.
/// </summary>
public static partial class TransferDiagnosis
{
    /// <summary>At most this many lines: one per distinct mistake and path.</summary>
    private const int MaxLines = 4;

    /// <summary>The lines explaining <paramref name="run"/>'s failed transfers (none when there were none).</summary>
    public static IReadOnlyList<string> Explain(SwitchRunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var lines = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var completed = run.Events.Where(e => e.Kind == EventKinds.TransferCompleted).Select(e => (e.Get("protocol"), e.Get("path"))).ToHashSet();
        foreach (var e in run.Events.Where(e => e.Kind == EventKinds.TransferFailed))
        {
            var protocol = e.Get("protocol") ?? "";
            var path = e.Get("path") ?? "";
            var error = e.Get("error") ?? "";
            // A path or user comes from the script (untrusted): one line, bounded, no control characters.
            if (completed.Contains((protocol, path)) || Explain(protocol, Shown(path), error, UserOf(e.Message) is { } u ? Shown(u) : null) is not { } line || !seen.Add(line))
            {
                continue;
            }
            lines.Add("  " + line);
            if (lines.Count == MaxLines)
            {
                break;
            }
        }
        return lines;
    }

    /// <summary>One failed transfer's mistake and fix, or null when its answer names none this knows.</summary>
    internal static string? Explain(string protocol, string path, string error, string? user)
    {
        switch (protocol)
        {
            case "Tftp" when error.Contains("File not found", StringComparison.Ordinal) && path.StartsWith('/') && path.Count(c => c == '/') > 1:
                return $"the switch asked the TFTP server for the absolute path {path} and was told \"File not found\". A TFTP server that serves one folder " +
                    $"(tftpd-hpa with --secure, Debian's default) takes every name relative to that folder, so it looked for {path.TrimStart('/')} inside it. " +
                    $"Fix: name the file relative to the TFTP root (in DHCP option 67 or the script's paths), e.g. {path[(path.LastIndexOf('/') + 1)..]}.";
            case "Tftp" when error.Contains("Timed out waiting for", StringComparison.Ordinal):
                return $"the TFTP server never answered the request for {path}: it is not running, or UDP port 69 is blocked between the switch and it. Fix: start the server (tftpd-hpa) or open UDP 69 (and the ports it answers from).";
            case "Http" or "Https" or "Ftp" when error.Contains("was interrupted", StringComparison.Ordinal):
                return $"the connection broke off in the middle of {path}: the server stopped or crashed mid-transfer (its log says when), or something between cut the connection. Fix: the server's stability, then POAP again.";
            case "Tftp" when error.Contains("File not found", StringComparison.Ordinal):
                return $"the TFTP server has no {path} under the folder it serves (\"File not found\"). Fix: put the file in the TFTP root, or point the server's root at the folder that holds it.";
            case "Http" or "Https" when StatusOf(error) == 404:
                return $"the HTTP server answered 404 Not Found for {path}: the URL does not map to the file. When the files are on the server, its web root is off " +
                    $"by a folder (nginx reads {path} as <root>{path}). Fix: set root (nginx) to the folder that holds {path.TrimStart('/')}.";
            case "Http" or "Https" when StatusOf(error) is 401 or 403:
                return $"the HTTP server refused {path} ({StatusOf(error)}): the file or a folder above it is not readable by the server's worker user, or the location requires a login the script does not give. Fix: make the files world-readable (folders 0755, files 0644) or change the access rules.";
            case "Ftp" when error.Contains("FTP login failed: 530", StringComparison.Ordinal) && user is "anonymous" or "ftp":
                return $"the FTP server answered 530 to the anonymous login: it does not let anonymous users in (vsftpd: anonymous_enable=NO, Debian's default). " +
                    "Fix: anonymous_enable=YES with anon_root at the POAP files, or give the script a real account's username and password.";
            case "Ftp" when error.Contains("FTP login failed: 530", StringComparison.Ordinal):
                return $"the FTP server answered 530 to the login of '{user}': it does not know that user or password (vsftpd with local_enable=NO accepts no local account at all). Fix: the script's username and password, or the server's accounts.";
            case "Ftp" when error.Contains(": 550 ", StringComparison.Ordinal):
                return $"the FTP login worked but the server has no {path} (550) in the folder the login lands in. The folder users are put in (vsftpd: anon_root for anonymous, " +
                    $"local_root or the home for accounts) is not the one holding the files. Fix: point it at the folder that holds {path.TrimStart('/')}, or prefix the script's paths.";
            case "Scp" or "Sftp" when error.Contains("Permission denied", StringComparison.Ordinal) && error.Contains("(password)", StringComparison.Ordinal):
                return $"sshd refused the password of '{user}' ({protocol.ToLowerInvariant()} of {path}): the password is wrong, or the server refuses password logins " +
                    "(PasswordAuthentication no in sshd_config). Fix: the script's password, or allow password logins for that user (a Match User block).";
            default:
                return null;
        }
    }

    private static string Shown(string text) =>
        new([.. text.Take(200).Select(c => char.IsControl(c) ? '?' : c)]);

    private static int? StatusOf(string error) =>
        StatusPattern().Match(error) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    private static string? UserOf(string message) =>
        UserPattern().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"returned error: (\d{3})")]
    private static partial Regex StatusPattern();

    [GeneratedRegex(@"^copy [a-z]+://([^@/\s]+)@")]
    private static partial Regex UserPattern();
}
