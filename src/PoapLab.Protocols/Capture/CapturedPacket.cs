namespace PoapLab.Protocols.Capture;

/// <summary>One packet read from a capture file.</summary>
/// <param name="Index">Position in the file, from 1 (the numbering tcpdump prints).</param>
/// <param name="Timestamp">Capture time as the file records it.</param>
/// <param name="LinkType">Link-layer header type of the interface the packet was captured on.</param>
/// <param name="Data">The captured bytes (possibly fewer than <paramref name="OriginalLength"/>).</param>
/// <param name="OriginalLength">Length of the packet on the wire.</param>
public sealed record CapturedPacket(int Index, DateTimeOffset Timestamp, LinkType LinkType, byte[] Data, int OriginalLength)
{
    /// <summary>True when the capture kept fewer bytes than the packet had on the wire.</summary>
    public bool IsTruncated => Data.Length < OriginalLength;
}
