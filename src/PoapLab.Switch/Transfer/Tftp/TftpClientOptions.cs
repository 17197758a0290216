using PoapLab.Protocols.Tftp;

namespace PoapLab.Switch.Transfer.Tftp;

/// <summary>What the switch's TFTP client asks for, and how its time is modelled.</summary>
public sealed record TftpClientOptions
{
    /// <summary>RFC 2348 blksize to request (8..65464); 512 sends no option.</summary>
    public int BlockSize { get; init; } = TftpLimits.DefaultBlockSize;

    /// <summary>RFC 7440 windowsize to request (1..65535); 1 sends no option.</summary>
    public int WindowSize { get; init; } = 1;

    /// <summary>Ask the server for the file size (RFC 2349 tsize 0).</summary>
    public bool RequestTransferSize { get; init; } = true;

    /// <summary>
    /// Virtual retransmission timeout; sent as the RFC 2349 timeout option (whole seconds,
    /// 1..255) only when it differs from the default of one second.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Retransmissions of one packet before the download counts as timed out.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Modelled round trip: the virtual cost of the first answer after each packet sent.</summary>
    public TimeSpan RoundTripTime { get; init; } = TimeSpan.FromMilliseconds(0.5);

    /// <summary>Modelled link speed: every received datagram also costs its serialization time.</summary>
    public long LinkBitsPerSecond { get; init; } = 1_000_000_000;
}

/// <summary>How a TFTP download ended. A timeout is not a cancellation: cancellation throws.</summary>
public enum TftpOutcome
{
    Completed,
    ServerError,
    TimedOut,
    OptionsRefused,
    DestinationFailed,
}

/// <summary>The end of a TFTP download.</summary>
/// <param name="Bytes">Bytes written to the destination.</param>
/// <param name="ServerErrorCode">The code of the server's ERROR packet, when it sent one.</param>
/// <param name="ServerMessage">The message of the server's ERROR packet, or why the client refused an OACK.</param>
/// <param name="Retransmissions">Packets the client sent again after a timeout.</param>
public sealed record TftpDownloadResult(TftpOutcome Outcome, long Bytes, TftpErrorCode? ServerErrorCode, string? ServerMessage, int Retransmissions)
{
    /// <summary>For <see cref="TftpOutcome.DestinationFailed"/>: the destination's error, e.g. <c>No space left on device</c>.</summary>
    public string? DestinationError { get; init; }

    /// <summary>The file size the server announced through tsize, when it did.</summary>
    public long? AnnouncedSize { get; init; }

    /// <summary>Virtual time the download took: the sum of its modelled round trips, packet times and timeouts.</summary>
    public TimeSpan ModelledDuration { get; init; }
}
