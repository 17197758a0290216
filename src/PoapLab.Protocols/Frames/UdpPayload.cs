using System.Net;

namespace PoapLab.Protocols.Frames;

/// <summary>A UDP datagram taken out of a link-layer frame.</summary>
public readonly record struct UdpPayload(IPAddress Source, int SourcePort, IPAddress Destination, int DestinationPort, ReadOnlyMemory<byte> Payload);
