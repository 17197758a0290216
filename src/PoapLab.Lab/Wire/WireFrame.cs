using PacketDotNet;

namespace PoapLab.Lab.Wire;

/// <summary>
/// One frame as a capture file or a live device hands it to the judge.
/// </summary>
/// <param name="Number">Its number, from 1 (Wireshark's numbering).</param>
/// <param name="Time">When it was captured.</param>
/// <param name="LinkType">Its link layer (Ethernet, or Linux cooked capture for <c>tcpdump -i any</c>).</param>
/// <param name="Data">The captured bytes (maybe fewer than were on the wire).</param>
public readonly record struct WireFrame(long Number, DateTimeOffset Time, LinkLayers LinkType, ReadOnlyMemory<byte> Data);
