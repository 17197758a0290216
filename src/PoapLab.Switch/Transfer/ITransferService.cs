namespace PoapLab.Switch.Transfer;

/// <summary>The protocols of NX-OS <c>copy</c>.</summary>
public enum TransferProtocol
{
    Tftp,
    Http,
    Https,
    Scp,
    Sftp,
    Ftp,
}

/// <summary>A download as <c>copy &lt;proto&gt;://[user@]host[:port]/path ... vrf X</c> asks for it.</summary>
/// <param name="Host">A lab address or name (never a loopback address: the network maps it).</param>
public sealed record TransferRequest(
    TransferProtocol Protocol,
    string Host,
    int? Port,
    string Path,
    string? User,
    string? Password,
    string Vrf,
    bool IgnoreCertificate = false)
{
    /// <summary>
    /// HTTPS only: trust exactly these CA certificates for this request (Secure POAP's CA list)
    /// instead of the switch's trust store; null: the store.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? TrustOnly { get; init; }
}

/// <summary>How a transfer ended.</summary>
/// <param name="Error">On failure, the NX-OS error text the CLI prints (scripts match substrings of it).</param>
/// <param name="ModelledDuration">Switch-clock time the transfer took.</param>
public sealed record TransferResult(bool Success, long Bytes, string? Error, TimeSpan ModelledDuration)
{
    public static TransferResult Failed(string error, long bytes = 0) => new(false, bytes, error, TimeSpan.Zero);
}

/// <summary>The switch's transfer clients: the <c>copy</c> command's side of the network.</summary>
public interface ITransferService
{
    /// <summary>
    /// Downloads to <paramref name="destination"/>. The size, when the protocol announces it
    /// (TFTP tsize, HTTP Content-Length), is passed to <paramref name="announcedSize"/>
    /// before the first byte so the caller can refuse a file that will not fit.
    /// </summary>
    Task<TransferResult> DownloadAsync(TransferRequest request, Stream destination, Action<long>? announcedSize, CancellationToken cancellationToken);
}
