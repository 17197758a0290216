using System.Runtime.InteropServices;

namespace PoapLab.Lab.Tests.Capture;

/// <summary>
/// Linux capabilities are per thread (capabilities(7)), and a thread created by a thread
/// inherits its sets: running code on a thread that dropped CAP_NET_RAW shows what an
/// unprivileged run sees, without a second process.
/// </summary>
internal static class ThreadCapabilities
{
    private const uint Version3 = 0x20080522;
    private const int CapNetRaw = 13;

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Data
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [DllImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static extern int CapGet(ref Header header, [In, Out] Data[] data);

    [DllImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static extern int CapSet(ref Header header, Data[] data);

    /// <summary>Runs <paramref name="action"/> on a new thread whose effective set lacks CAP_NET_RAW.</summary>
    public static T WithoutNetRaw<T>(Func<T> action)
    {
        T result = default!;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                var header = new Header { Version = Version3, Pid = 0 };
                var data = new Data[2];
                if (CapGet(ref header, data) != 0)
                {
                    throw new InvalidOperationException($"capget: errno {Marshal.GetLastPInvokeError()}");
                }
                data[0].Effective &= ~(1u << CapNetRaw);
                data[0].Permitted &= ~(1u << CapNetRaw);
                if (CapSet(ref header, data) != 0)
                {
                    throw new InvalidOperationException($"capset: errno {Marshal.GetLastPInvokeError()}");
                }
                result = action();
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException("the unprivileged thread failed", error);
        }
        return result;
    }
}
