using System.Collections.Immutable;
using PoapLab.Servers.Faults;
using PoapLab.Servers.Hosting;

namespace PoapLab.Servers.Tftp;

/// <summary>How an <see cref="EmbeddedTftpServer"/> serves files.</summary>
public sealed record TftpServerOptions
{
    /// <summary>The directory served; request names are taken relative to it.</summary>
    public required string RootPath { get; init; }

    /// <summary>Accept write requests (WRQ); refused with ERROR 2 otherwise.</summary>
    public bool AllowWrite { get; init; }

    /// <summary>Retransmissions of one packet before a transfer is abandoned.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Real time to wait for an answer before retransmitting; a client's RFC 2349 timeout option overrides it.</summary>
    public TimeSpan RetransmitTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Retransmits a read's window at once when the client acknowledges again the block before
    /// it — the client timed out — instead of waiting for the server's own timer. For the
    /// virtual lab only, where the client's timeouts are in switch time and end after
    /// microseconds of real time: there the client's repeated ACK stands for the moment the
    /// server's timer (the same length, RFC 2349) runs out too, so a lost DATA is sent again in
    /// step with the client and never at a moment the host's load decides. Off by default and
    /// never for a link that duplicates or delays datagrams: a duplicate ACK that is not a
    /// timeout would double every later packet (the Sorcerer's Apprentice, RFC 1123 §4.2.3.1).
    /// </summary>
    public bool RetransmitOnClientTimeout { get; init; }

    /// <summary>
    /// Transfers in flight at once; more requests are refused with a busy ERROR 0. The default
    /// holds a fleet booting together. A transfer holds one socket, one open file with a
    /// 16 KiB read buffer, and its block buffers (about 18 KiB at the 512-byte default block
    /// size, under 100 KiB at the largest RFC 2348 block size), on Linux a read-only view of the
    /// file (1 MiB, or two windows when larger: page cache shared with every other reader), and
    /// for the first transfers (one per processor) a thread, so the cap bounds the memory too.
    /// </summary>
    public int MaxConcurrentTransfers { get; init; } = DefaultMaxConcurrentTransfers;

    /// <summary>The default of <see cref="MaxConcurrentTransfers"/>: a fleet of a thousand switches fetching at once.</summary>
    public const int DefaultMaxConcurrentTransfers = 1024;

    /// <summary>
    /// The largest window (RFC 7440 windowsize) a read is served with: a client asking for more
    /// is answered with this (RFC 7440 §3 lets the server lower it). A window is sent from one
    /// block buffer, or on Linux from the file's mapping, so memory barely grows with it; the cap
    /// bounds the burst a client can ask for (64 blocks of the largest RFC 2348 size are 4 MiB
    /// unacknowledged).
    /// </summary>
    public int MaxWindowSize { get; init; } = DefaultMaxWindowSize;

    /// <summary>The default of <see cref="MaxWindowSize"/>.</summary>
    public const int DefaultMaxWindowSize = 64;

    /// <summary>
    /// Sends the DATA packets of a window (windowsize above 1) several at a time in one call,
    /// cut into datagrams by the kernel (UDP generic segmentation offload, UDP_SEGMENT in
    /// udp(7), Linux 4.18+): far less processor time per block. On the wire and at the client
    /// these are the same datagrams; a packet capture on the sending host (loopback, a veth)
    /// shows each batch as one large datagram, hence off by default. Not used for a transfer
    /// with an injected fault, nor where the kernel refuses it.
    /// </summary>
    public bool SegmentationOffload { get; init; }

    /// <summary>
    /// Reads with the portable path only: each block read(2) into a buffer and sent on its own,
    /// as on a system other than Linux. By default, on Linux, a windowed read (RFC 7440) maps the
    /// served file and sends a window's DATA packets in one sendmmsg(2), straight from the page cache. The
    /// datagrams are the same either way; this is for comparing the two.
    /// </summary>
    public bool PortableSend { get; init; }

    /// <summary>Faults to inject into read requests, first match wins (empty: a correct server).</summary>
    public ImmutableArray<TftpFault> Faults { get; init; } = [];

    /// <summary>Seed of the generator behind probabilistic faults, so a run is reproducible.</summary>
    public int FaultSeed { get; init; } = 1;

    /// <summary>Tells the POAP attempt of a client for attempt-keyed faults (null: none known).</summary>
    public IFaultContext? FaultContext { get; init; }

    /// <summary>Where the server's sockets are made (default: this process's network namespace; a lab host's namespace in the namespace transport).</summary>
    public ISocketFactory Sockets { get; init; } = SystemSocketFactory.Instance;
}
