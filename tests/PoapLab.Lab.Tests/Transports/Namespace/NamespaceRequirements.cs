using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Transports.Namespace;

/// <summary>What every namespace test needs from the machine: root and iproute2/util-linux.</summary>
internal static class NamespaceRequirements
{
    public static void Check()
    {
        Requires.That(OperatingSystem.IsLinux() && Environment.IsPrivilegedProcess, "root on Linux (network namespaces)");
        Requires.Tool("ip", "apt-get install iproute2");
        Requires.Tool("unshare", "apt-get install util-linux");
        Requires.Tool("nsenter", "apt-get install util-linux");
        Requires.Tool("setpriv", "apt-get install util-linux");
    }

    /// <summary>Whether a process id is still in use (neither running nor a zombie).</summary>
    public static bool Exists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Waits (bounded) until the process is gone.</summary>
    public static async Task<bool> GoneAsync(int pid, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (DateTime.UtcNow < until)
        {
            if (!Exists(pid))
            {
                return true;
            }
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return !Exists(pid);
    }
}

/// <summary>Bounded polling for conditions the kernel reaches asynchronously.</summary>
internal static class NamespaceRequirementsExtensions
{
    public static async Task<bool> EventuallyAsync(Func<bool> condition, int seconds = 10)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return condition();
    }
}
