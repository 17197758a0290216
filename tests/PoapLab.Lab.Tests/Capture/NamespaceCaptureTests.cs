using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using PoapLab.Lab.Capture;
using PoapLab.Testing;
using static PoapLab.Lab.Tests.Capture.CaptureTestKit;

namespace PoapLab.Lab.Tests.Capture;

/// <summary>
/// The namespace transport's shape: a capture on a named interface inside a network
/// namespace, written as seen. The namespace is held by a child process (killed by PID,
/// and by PDEATHSIG if the test process dies), so its veth pair goes with it.
/// </summary>
[Collection(PoapLab.Testing.LoadSensitive.Name)]
public sealed class NamespaceCaptureTests : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-nscap-").FullName;
    private Process? _holder;

    public void Dispose()
    {
        if (_holder is { } holder)
        {
            try
            {
                holder.Kill();
                holder.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            holder.Dispose();
        }
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task OnInterface_VethInsideNamespace_CapturesItsFramesUntranslated()
    {
        Requires.That(Environment.UserName == "root", "root (to create a network namespace and a veth pair)");
        var ns = StartNamespace();
        Sh("ip", "link", "add", "cap0", "type", "veth", "peer", "name", "cap1");
        Sh("ip", "link", "set", "cap0", "up");
        Sh("ip", "link", "set", "cap1", "up");
        Sh("ip", "addr", "add", "10.77.0.1/24", "dev", "cap0");
        var path = Path.Combine(_dir, "capture.pcapng");

        await using (var capture = Require(LabCapture.OnInterface(new LabCaptureOptions { Path = path, Filter = "udp port 9999" }, "cap1", ns)))
        {
            InNamespace(ns, () =>
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp) { EnableBroadcast = true };
                socket.Bind(new IPEndPoint(IPAddress.Parse("10.77.0.1"), 0));
                for (var i = 0; i < 5; i++)
                {
                    socket.SendTo(new byte[] { (byte)i }, new IPEndPoint(IPAddress.Parse("10.77.0.255"), 9999));
                }
            });
        }

        var lines = Tshark(path, "-T", "fields", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.dstport");
        lines.Count.ShouldBe(5);
        lines.ShouldAllBe(l => l == "10.77.0.1\t10.77.0.255\t9999");
        // The host's own namespace has no such interface: the capture really was inside.
        File.Exists("/sys/class/net/cap1/ifindex").ShouldBeFalse();
    }

    private string StartNamespace()
    {
        var setpriv = Requires.Tool("setpriv", "apt-get install util-linux");
        var unshare = Requires.Tool("unshare", "apt-get install util-linux");
        var psi = new ProcessStartInfo(setpriv) { RedirectStandardInput = true };
        foreach (var a in new[] { "--pdeathsig", "KILL", "--", unshare, "--net", "--", "sleep", "120" })
        {
            psi.ArgumentList.Add(a);
        }
        _holder = Process.Start(psi)!;
        var mine = new FileInfo("/proc/self/ns/net").LinkTarget;
        var ns = $"/proc/{_holder.Id}/ns/net";
        for (var i = 0; i < 200; i++)
        {
            string? theirs = null;
            try
            {
                theirs = new FileInfo(ns).LinkTarget;
            }
            catch (IOException)
            {
                // Not yet readable.
            }
            if (theirs is not null && theirs != mine && ProcessTree.Comm(_holder.Id) == "sleep")
            {
                return ns;
            }
            Thread.Sleep(25);
        }
        throw new InvalidOperationException("the namespace holder did not start within 5 s");
    }

    private void Sh(params string[] args)
    {
        var nsenter = Requires.Tool("nsenter", "apt-get install util-linux");
        var psi = new ProcessStartInfo(nsenter) { RedirectStandardError = true };
        foreach (var a in new[] { "-t", _holder!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "--" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        p.ExitCode.ShouldBe(0, err);
    }

    /// <summary>Runs <paramref name="action"/> on a thread that joined the namespace (setns(2) is per thread).</summary>
    private static void InNamespace(string ns, Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var fd = File.OpenHandle(ns, FileMode.Open, FileAccess.Read);
                if (SetNs(fd, CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns: errno {Marshal.GetLastPInvokeError()}");
                }
                action();
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
            throw new InvalidOperationException("the namespace thread failed", error);
        }
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(SafeFileHandle fd, int nstype);
}
