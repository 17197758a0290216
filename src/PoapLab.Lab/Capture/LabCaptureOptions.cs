namespace PoapLab.Lab.Capture;

/// <summary>Where and how much a <see cref="LabCapture"/> writes.</summary>
public sealed record LabCaptureOptions
{
    /// <summary>The pcapng file to write (e.g. <c>out/&lt;scenario&gt;/capture.pcapng</c>); a one-line summary goes beside it as <c>capture.txt</c>.</summary>
    public required string Path { get; init; }

    /// <summary>The libpcap filter (pcap-filter(7)), e.g. <c>net 127.12.0.0/16</c>; null for everything.</summary>
    public string? Filter { get; init; }

    /// <summary>Once the file holds this many bytes, frames keep only their headers and the first <see cref="PayloadBytesAfterCap"/> bytes of payload (caplen &lt; len).</summary>
    public long PayloadCapBytes { get; init; } = 64L << 20;

    /// <summary>The file never grows past this: frames beyond it are counted, not written.</summary>
    public long MaxFileBytes { get; init; } = 80L << 20;

    /// <summary>Payload bytes a frame keeps once <see cref="PayloadCapBytes"/> is reached.</summary>
    public int PayloadBytesAfterCap { get; init; } = 64;

    /// <summary>The kernel's capture buffer (bursts of a big transfer land here before the capture thread reads them).</summary>
    public int KernelBufferBytes { get; init; } = 32 << 20;

    /// <summary>How long stopping may take to read what the kernel still holds.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Called on the capture thread with every frame as captured (before the file's bounds cut
    /// it), e.g. to judge a segment live; an exception it throws is its own loss, never the capture's.
    /// </summary>
    public Action<SharpPcap.RawCapture>? OnFrame { get; init; }

    /// <summary>The clock that bounds draining.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
