using PoapLab.Switch.Script;

namespace PoapLab.Benchmarks.Reference;

/// <summary>The reference programs this machine has, and what is missing.</summary>
internal sealed record ReferenceTools(string? Curl, string? Md5sum, string? Nginx, string? Tftpd, PythonInterpreter? Python, IReadOnlyList<string> Missing)
{
    public static ReferenceTools Detect()
    {
        var missing = new List<string>();
        string? Need(string name, string package)
        {
            var path = TimedProcess.Find(name);
            if (path is null)
            {
                missing.Add($"{name} (apt-get install {package})");
            }
            return path;
        }
        var curl = Need("curl", "curl");
        var md5sum = Need("md5sum", "coreutils");
        var nginx = Need("nginx", "nginx");
        string? tftpd = ReferenceServer.TftpdPath;
        if (!File.Exists(tftpd))
        {
            missing.Add($"{tftpd} (apt-get install tftpd-hpa)");
            tftpd = null;
        }
        PythonInterpreter? python = null;
        try
        {
            // The interpreter the switch runs the script with: the comparison is like for like.
            python = PythonLocator.Resolve(null);
        }
        catch (Exception e) when (e is PythonNotFoundException or ArgumentException)
        {
            missing.Add($"python3 ({e.Message})");
        }
        return new ReferenceTools(curl, md5sum, nginx, tftpd, python, missing);
    }
}
