using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PacketDotNet;
using PoapLab.Lab.Capture;
using PoapLab.Testing;

namespace PoapLab.Lab.Tests.Capture;

/// <summary>An address book for tests: a fixed set of server endpoints and a switch block.</summary>
internal sealed class FakeBook(byte switchSecondOctet, byte switchThirdOctet) : ICaptureAddressBook
{
    private readonly Dictionary<IPAddress, IPAddress> _hosts = [];
    private readonly Dictionary<IPEndPoint, int> _ports = [];

    public FakeBook Server(string loopback, string lab, params (int Real, int Lab)[] ports)
    {
        _hosts[IPAddress.Parse(loopback)] = IPAddress.Parse(lab);
        foreach (var (real, labPort) in ports)
        {
            _ports[new IPEndPoint(IPAddress.Parse(loopback), real)] = labPort;
        }
        return this;
    }

    public IPEndPoint? ServerToLab(IPEndPoint real) =>
        _hosts.TryGetValue(real.Address, out var lab) ? new IPEndPoint(lab, _ports.TryGetValue(real, out var p) ? p : real.Port) : null;

    public bool IsSwitch(IPAddress real)
    {
        var b = real.GetAddressBytes();
        return b.Length == 4 && b[0] == 127 && b[1] == switchSecondOctet && b[2] == switchThirdOctet;
    }

    public PhysicalAddress MacOf(IPAddress lab) => CaptureMacs.ForHost(lab);
}

internal static class CaptureTestKit
{
    /// <summary>A frame as it appears on Linux <c>lo</c>: Ethernet with zero MACs, IPv4, UDP.</summary>
    public static byte[] LoopbackUdp(string from, int fromPort, string to, int toPort, byte[] payload)
    {
        var udp = new UdpPacket((ushort)fromPort, (ushort)toPort) { PayloadData = payload };
        var ip = new IPv4Packet(IPAddress.Parse(from), IPAddress.Parse(to)) { PayloadPacket = udp, TimeToLive = 64 };
        var eth = new EthernetPacket(new PhysicalAddress(new byte[6]), new PhysicalAddress(new byte[6]), EthernetType.IPv4) { PayloadPacket = ip };
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();
        return eth.Bytes;
    }

    /// <summary>Starts a capture; skips locally (fails on CI) when this machine cannot capture.</summary>
    public static LabCapture Require(LabCapture capture)
    {
        Requires.That(capture.Unavailable is null, $"a live capture (CAP_NET_RAW): {capture.Unavailable}");
        return capture;
    }

    /// <summary>Sends <paramref name="count"/> datagrams between two loopback addresses, bound to them.</summary>
    public static void SendUdp(string from, string to, int toPort, int count, int size)
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Parse(to), toPort));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        var payload = new byte[size];
        for (var i = 0; i < count; i++)
        {
            payload[0] = (byte)i;
            sender.SendTo(payload, receiver.LocalEndPoint!);
        }
    }

    /// <summary>tshark's one-line-per-frame view of a file (fields given), failing on a file tshark refuses.</summary>
    public static IReadOnlyList<string> Tshark(string file, params string[] extra)
    {
        var tshark = Requires.Tool("tshark", "apt-get install tshark");
        var psi = new ProcessStartInfo(tshark) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-n", "-r", file }.Concat(extra))
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit(TimeSpan.FromSeconds(60)).ShouldBeTrue();
        process.ExitCode.ShouldBe(0, stderr.Result);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Inodes of the AF_PACKET sockets this process holds (a pcap handle on Linux is one).</summary>
    public static HashSet<string> OwnPacketSockets()
    {
        var packet = File.ReadAllLines("/proc/net/packet").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last()).ToHashSet();
        var own = new HashSet<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && packet.Contains(target[8..^1]))
                {
                    own.Add(target);
                }
            }
            catch (IOException)
            {
                // The descriptor closed while listing.
            }
        }
        return own;
    }
}
