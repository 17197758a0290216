using PacketDotNet;
using SharpPcap;

namespace PoapLab.Lab.Wire;

/// <summary>
/// One frame as a capture file or a live device hands it to the judge.
/// </summary>
/// <param name="Number">Its number, from 1 (Wireshark's numbering).</param>
/// <param name="Time">When it was captured.</param>
/// <param name="LinkType">Its link layer (Ethernet, or Linux cooked capture for <c>tcpdump -i any</c>).</param>
/// <param name="Data">The captured bytes (maybe fewer than were on the wire).</param>
public readonly record struct WireFrame(long Number, DateTimeOffset Time, LinkLayers LinkType, ReadOnlyMemory<byte> Data)
{
    /// <summary>
    /// The frame of a libpcap capture, from a file (<see cref="CaptureFrames"/>) or a live
    /// device's packet-arrival event alike: the judge does not care where frames come from.
    /// </summary>
    public static WireFrame From(long number, RawCapture raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return new WireFrame(number, new DateTimeOffset(raw.Timeval.Date, TimeSpan.Zero), raw.LinkLayerType, raw.Data);
    }
}
