using System.Net;
using System.Net.NetworkInformation;

namespace PoapLab.Lab.Capture;

/// <summary>
/// What a capture of the virtual transport needs to know to write the frames the lab
/// would have carried instead of the loopback frames it really saw: which real (loopback)
/// endpoints are this lab's servers and which lab endpoints they stand for, which real
/// addresses are this lab's switches, and a stable MAC per lab host. A switch's own lab
/// address is not asked for: the capture learns it from the DHCPACK it sees (yiaddr for
/// the client's chaddr, RFC 2131 §3.1), as a Wireshark user reading the exchange would.
/// </summary>
public interface ICaptureAddressBook
{
    /// <summary>
    /// The lab endpoint (e.g. 10.0.0.1:69) a server's real endpoint (e.g. 127.77.0.3:41234)
    /// stands for; null when the address is no server of this lab.
    /// </summary>
    IPEndPoint? ServerToLab(IPEndPoint real);

    /// <summary>True when a real address is one of this lab's switches.</summary>
    bool IsSwitch(IPAddress real);

    /// <summary>A stable Ethernet address for a lab host (the same for every frame of a run).</summary>
    PhysicalAddress MacOf(IPAddress lab);
}
