namespace PoapLab.Protocols.Tftp;

/// <summary>TFTP opcodes: RFC 1350 §5 (1..5) and RFC 2347 (6, option acknowledgment).</summary>
public enum TftpOpcode : ushort
{
    ReadRequest = 1,
    WriteRequest = 2,
    Data = 3,
    Ack = 4,
    Error = 5,
    OptionAck = 6,
}

/// <summary>TFTP error codes: RFC 1350 appendix "Error Codes" (0..7) and RFC 2347 (8).</summary>
public enum TftpErrorCode : ushort
{
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTransferId = 5,
    FileExists = 6,
    NoSuchUser = 7,
    OptionNegotiationFailed = 8,
}

/// <summary>Names and limits of the negotiated TFTP options.</summary>
public static class TftpOptionNames
{
    /// <summary>RFC 2348 block size option.</summary>
    public const string BlockSize = "blksize";

    /// <summary>RFC 2349 timeout interval option, whole seconds.</summary>
    public const string Timeout = "timeout";

    /// <summary>RFC 2349 transfer size option.</summary>
    public const string TransferSize = "tsize";

    /// <summary>RFC 7440 window size option.</summary>
    public const string WindowSize = "windowsize";
}

/// <summary>Protocol constants and option ranges.</summary>
public static class TftpLimits
{
    /// <summary>RFC 1350 §2: the block size when no option is negotiated.</summary>
    public const int DefaultBlockSize = 512;

    /// <summary>RFC 2348: smallest valid blksize.</summary>
    public const int MinBlockSize = 8;

    /// <summary>RFC 2348: largest valid blksize (65535 minus IP and UDP headers).</summary>
    public const int MaxBlockSize = 65464;

    /// <summary>RFC 2349 §"Timeout Interval Option": smallest timeout in seconds.</summary>
    public const int MinTimeoutSeconds = 1;

    /// <summary>RFC 2349: largest timeout in seconds.</summary>
    public const int MaxTimeoutSeconds = 255;

    /// <summary>RFC 7440 §3: smallest windowsize.</summary>
    public const int MinWindowSize = 1;

    /// <summary>RFC 7440 §3: largest windowsize.</summary>
    public const int MaxWindowSize = 65535;

    /// <summary>Opcode plus block number: the header of DATA and ACK (RFC 1350 §5).</summary>
    public const int DataHeaderSize = 4;

    /// <summary>The largest datagram any TFTP packet of a negotiated transfer needs.</summary>
    public const int MaxDatagramSize = DataHeaderSize + MaxBlockSize;
}
