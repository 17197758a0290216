using System.Globalization;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// The small <c>/etc</c> a script sees instead of the host's: the few files a switch's
/// Linux has that Python and the usual helpers read (account names for <c>getpass</c> and
/// <c>pwd</c>, the host name, an empty resolver — the script has no network). Nothing of
/// the host's <c>/etc</c> (shadow, SSH host keys, credentials) is ever bound.
/// </summary>
public static class SyntheticEtc
{
    /// <summary>The account the script runs as: <c>admin</c>, NX-OS's default administrator.</summary>
    public const string ScriptAccount = "admin";

    /// <summary>Writes the files into <paramref name="directory"/> (bound read-only at /etc).</summary>
    /// <param name="uid">The uid the script has inside the sandbox.</param>
    /// <param name="gid">Its gid.</param>
    public static void Write(string directory, uint uid, uint gid)
    {
        Directory.CreateDirectory(directory);
        var u = uid.ToString(CultureInfo.InvariantCulture);
        var g = gid.ToString(CultureInfo.InvariantCulture);
        var accounts = uid == 0
            ? $"root:x:0:0:root:/bootflash:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            : $"root:x:0:0:root:/root:/usr/sbin/nologin\n{ScriptAccount}:x:{u}:{g}:{ScriptAccount}:/bootflash:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
        var groups = gid == 0
            ? "root:x:0:\nnogroup:x:65534:\n"
            : $"root:x:0:\nnetwork-admin:x:{g}:{ScriptAccount}\nnogroup:x:65534:\n";
        File.WriteAllText(Path.Combine(directory, "passwd"), accounts);
        File.WriteAllText(Path.Combine(directory, "group"), groups);
        File.WriteAllText(Path.Combine(directory, "hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tswitch\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        File.WriteAllText(Path.Combine(directory, "hostname"), "switch\n");
        File.WriteAllText(Path.Combine(directory, "resolv.conf"), "# the script has no network of its own: servers are reached through the switch's copy command\n");
        File.WriteAllText(Path.Combine(directory, "nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files\n");
    }
}
