using System.Globalization;

namespace PoapLab.Switch.Script.Sandbox;

/// <summary>
/// Who the script runs as on the host. When PoapLab runs as root, each script run gets a
/// uid and gid of its own from a range no Debian account uses (<see cref="RangeStart"/>
/// on), with no supplementary groups and no capabilities: it owns the switch's writable
/// trees and nothing else on the host, and its process count (<c>RLIMIT_NPROC</c> is per
/// uid) and kernel keyrings are its own. When PoapLab runs as an ordinary user, the
/// script keeps that user's uid inside a user namespace of its own (bubblewrap's
/// unprivileged mode) and <see cref="HostUid"/> is null.
/// </summary>
/// <param name="HostUid">The host uid the script runs as; null when it keeps PoapLab's own.</param>
/// <param name="HostGid">The host gid, null alike.</param>
public sealed record SandboxIdentity(uint? HostUid, uint? HostGid)
{
    /// <summary>The first uid PoapLab hands out: far above Debian's system (0–999), user (1000–59999) and subordinate-id (100000 + 65536·n for the first thousands of users) ranges.</summary>
    public const uint RangeStart = 1_610_612_736; // 0x60000000

    /// <summary>How many uids one PoapLab process cycles through before reusing one.</summary>
    public const uint PerProcess = 4096;

    private static int s_next = -1;

    /// <summary>Whether scripts get a uid of their own: PoapLab runs as root.</summary>
    public bool Dedicated => HostUid is not null;

    /// <summary>The identity of the next script run on this host.</summary>
    public static SandboxIdentity Next()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return new SandboxIdentity(null, null);
        }
        // Spread over processes by pid so that two PoapLab processes rarely share a uid; when
        // they do, all they share is a process count, never a file (each run's trees are
        // bound into its own mount namespace only).
        var slot = (uint)(Environment.ProcessId % 65536) * PerProcess;
        for (var tries = 0; tries < PerProcess; tries++)
        {
            var index = (uint)Interlocked.Increment(ref s_next) % PerProcess;
            var uid = RangeStart + slot + index;
            if (!TakenOnHost(uid))
            {
                return new SandboxIdentity(uid, uid);
            }
        }
        throw new InvalidOperationException($"no free uid for the script sandbox in {RangeStart + slot}..{RangeStart + slot + PerProcess - 1}: every one is in /etc/passwd or /etc/group");
    }

    /// <summary>True when an account or group of the host already has the id.</summary>
    private static bool TakenOnHost(uint id)
    {
        var text = id.ToString(CultureInfo.InvariantCulture);
        foreach (var file in new[] { "/etc/passwd", "/etc/group" })
        {
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var line in File.ReadLines(file))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[2] == text)
                {
                    return true;
                }
            }
        }
        return false;
    }
}
