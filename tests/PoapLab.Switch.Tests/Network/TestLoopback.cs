using System.Net;

namespace PoapLab.Switch.Tests.Network;

/// <summary>
/// Loopback addresses for tests that build a <see cref="PoapLab.Switch.Network.VirtualNetwork"/>
/// without a lab: 127.77.x.y (hosts) and 127.78.x.y (switches), outside the blocks labs take
/// (127.80.0.0/16 and up), never repeated within the test process.
/// </summary>
internal static class TestLoopback
{
    private static int s_next;

    public static IPAddress Next(bool forSwitch = false)
    {
        var n = Interlocked.Increment(ref s_next);
        return new IPAddress([127, (byte)(forSwitch ? 78 : 77), (byte)(n / 254 % 256), (byte)(n % 254 + 1)]);
    }

    /// <summary>A map whose lab hosts get addresses from <see cref="Next"/>.</summary>
    public static PoapLab.Switch.Network.LabAddressMap Map() => new(() => Next());
}
