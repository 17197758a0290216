using System.Collections.Immutable;

namespace PoapLab.Servers.Faults;

/// <summary>What a DHCP server does wrong.</summary>
public enum DhcpFaultKind
{
    /// <summary>Stays silent: no OFFER (or ACK).</summary>
    NoAnswer,

    /// <summary>Answers the REQUEST with NAK.</summary>
    Nak,

    /// <summary>Leaves options out of its OFFER and ACK (e.g. 66, 150, 67).</summary>
    OmitOptions,

    /// <summary>Offers a lease of <see cref="DhcpFault.Lease"/>.</summary>
    ShortLease,
}

/// <summary>A DHCP server fault. Attempts are the asking switch's POAP attempts.</summary>
public sealed record DhcpFault(DhcpFaultKind Kind, FaultTrigger When) : IFault
{
    public ImmutableArray<byte> Options { get; init; } = [];

    public TimeSpan Lease { get; init; }

    public string Describe() => Kind switch
    {
        DhcpFaultKind.OmitOptions => $"DHCP leaves out option(s) {string.Join(", ", Options)} ({When})",
        DhcpFaultKind.ShortLease => $"DHCP offers a {Lease.TotalSeconds:0} s lease ({When})",
        DhcpFaultKind.Nak => $"DHCP answers REQUEST with NAK ({When})",
        _ => $"DHCP does not answer ({When})",
    };
}

/// <summary>What a TFTP server does wrong.</summary>
public enum TftpFaultKind
{
    /// <summary>Sends ERROR <see cref="TftpFault.ErrorCode"/> once <see cref="TftpFault.AfterBytes"/> have been sent.</summary>
    ErrorMidTransfer,

    /// <summary>Serves only the first <see cref="TftpFault.AfterBytes"/> bytes, then ends as if the file ended.</summary>
    Truncate,

    /// <summary>Ignores the request's options (an RFC 1350-only server): no OACK, 512-byte blocks.</summary>
    RefuseOptions,

    /// <summary>Stops answering once <see cref="TftpFault.AfterBytes"/> have been sent (the server died).</summary>
    GoneMidTransfer,

    /// <summary>Answers File not found although the file exists (wrong root, wrong name).</summary>
    NotFound,
}

public sealed record TftpFault(TftpFaultKind Kind, FaultTrigger When) : IFault
{
    public long AfterBytes { get; init; }

    public ushort ErrorCode { get; init; }

    public string ErrorMessage { get; init; } = "Injected error";

    public string Describe() => Kind switch
    {
        TftpFaultKind.ErrorMidTransfer => $"TFTP sends ERROR {ErrorCode} '{ErrorMessage}' after {AfterBytes} bytes ({When})",
        TftpFaultKind.Truncate => $"TFTP ends the file after {AfterBytes} bytes ({When})",
        TftpFaultKind.RefuseOptions => $"TFTP ignores option negotiation ({When})",
        TftpFaultKind.GoneMidTransfer => $"TFTP server stops answering after {AfterBytes} bytes ({When})",
        _ => $"TFTP answers File not found ({When})",
    };
}

/// <summary>What an HTTP server does wrong.</summary>
public enum HttpFaultKind
{
    /// <summary>Answers with <see cref="HttpFault.Status"/> instead of the file.</summary>
    Status,

    /// <summary>Resets the connection once <see cref="HttpFault.AfterBytes"/> of the body went out.</summary>
    ResetMidBody,

    /// <summary>Announces a Content-Length <see cref="HttpFault.LengthDelta"/> bytes off.</summary>
    WrongContentLength,

    /// <summary>Sends the body at <see cref="HttpFault.BytesPerSecond"/> (real time: keep such files small).</summary>
    SlowBody,
}

public sealed record HttpFault(HttpFaultKind Kind, FaultTrigger When) : IFault
{
    public int Status { get; init; } = 500;

    public long AfterBytes { get; init; }

    public long LengthDelta { get; init; }

    public long BytesPerSecond { get; init; }

    public string Describe() => Kind switch
    {
        HttpFaultKind.Status => $"HTTP answers {Status} ({When})",
        HttpFaultKind.ResetMidBody => $"HTTP resets the connection after {AfterBytes} bytes ({When})",
        HttpFaultKind.WrongContentLength => $"HTTP announces a Content-Length {LengthDelta:+#;-#;0} bytes off ({When})",
        _ => $"HTTP sends the body at {BytesPerSecond} B/s ({When})",
    };
}
