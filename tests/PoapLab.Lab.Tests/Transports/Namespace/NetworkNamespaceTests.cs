using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PoapLab.Lab.Transports.Namespace;

namespace PoapLab.Lab.Tests.Transports.Namespace;

public sealed class NetworkNamespaceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateAsync_AsRoot_HolderInANewNamespaceWithLoopbackUp()
    {
        NamespaceRequirements.Check();
        await using var ns = await NetworkNamespace.CreateAsync("test", Ct);

        new FileInfo($"/proc/{ns.HolderPid}/ns/net").LinkTarget.ShouldNotBe(new FileInfo("/proc/self/ns/net").LinkTarget);
        var lo = await ns.RunAsync("ip", ["-o", "link", "show", "lo"], Ct);
        lo.ExitCode.ShouldBe(0);
        lo.Output.ShouldContain("UP");
        // Nothing named under /run/netns: the namespace lives only as long as its holder.
        (await ns.RunAsync("ip", ["-o", "link"], Ct)).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1);
    }

    [Fact]
    public async Task DisposeAsync_Created_HolderKilledAndReaped()
    {
        NamespaceRequirements.Check();
        var ns = await NetworkNamespace.CreateAsync("test", Ct);
        var pid = ns.HolderPid;
        NamespaceRequirements.Exists(pid).ShouldBeTrue();

        await ns.DisposeAsync();
        await ns.DisposeAsync();

        // Reaped too: a zombie would keep its /proc entry.
        NamespaceRequirements.Exists(pid).ShouldBeFalse();
        Should.Throw<ObjectDisposedException>(() => ns.Create(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
    }

    [Fact]
    public async Task Create_SocketBoundInside_ListensInTheNamespaceOnly()
    {
        NamespaceRequirements.Check();
        await using var ns = await NetworkNamespace.CreateAsync("test", Ct);
        using var listener = ns.Create(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        ns.IsListening(ProtocolType.Tcp, port).ShouldBeTrue();
        using var outside = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var refused = await Should.ThrowAsync<SocketException>(async () => await outside.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Ct));
        refused.SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
        using var inside = ns.Create(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await inside.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), Ct);
        inside.Connected.ShouldBeTrue();
    }

    [Fact]
    public async Task Invoke_ActionThrows_ExceptionReachesTheCaller()
    {
        NamespaceRequirements.Check();
        await using var ns = await NetworkNamespace.CreateAsync("test", Ct);
        Should.Throw<InvalidOperationException>(() => ns.Invoke<int>(() => throw new InvalidOperationException("inside")));
        // The namespace's thread survives it.
        ns.Invoke(() => 42).ShouldBe(42);
    }

    [Fact]
    public async Task Holder_ParentKilledWithSigkill_HolderDiesToo()
    {
        NamespaceRequirements.Check();
        // The holder's command line under a shell we kill -9, as PoapLab would be: its
        // parent-death signal must end it (nothing holds the namespace afterwards).
        var start = new ProcessStartInfo("sh") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(string.Join(' ', NetworkNamespace.HolderCommand) + " & echo $!; wait");
        using var shell = PoapLab.Core.Processes.ChildProcessLauncher.Start(start);
        var holder = int.Parse((await shell.StandardOutput.ReadLineAsync(Ct))!, System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            // Once it sleeps, setpriv has set the signal (before, its parent's death would go unnoticed:
            // PoapLab likewise waits for this before it uses a namespace).
            (await NamespaceRequirementsExtensions.EventuallyAsync(() => Comm(holder) == "sleep")).ShouldBeTrue();

            shell.Kill();
            await shell.WaitForExitAsync(Ct);

            (await NamespaceRequirements.GoneAsync(holder, TimeSpan.FromSeconds(10))).ShouldBeTrue($"holder {holder} outlived its parent");
        }
        finally
        {
            if (Comm(holder) == "sleep")
            {
                Process.GetProcessById(holder).Kill();
            }
        }
    }

    private static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
