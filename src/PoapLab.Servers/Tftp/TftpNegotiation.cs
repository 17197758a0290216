using System.Globalization;
using PoapLab.Protocols.Tftp;

namespace PoapLab.Servers.Tftp;

/// <summary>The transfer parameters both sides agreed on, and the OACK that says so.</summary>
/// <param name="Acknowledged">Options to put in the OACK; empty means no OACK (RFC 2347: plain RFC 1350 start).</param>
internal sealed record TftpAgreement(int BlockSize, int WindowSize, TimeSpan Timeout, long? TransferSize, TftpOptionList Acknowledged);

/// <summary>Server-side option negotiation (RFC 2347 §"Negotiation Protocol").</summary>
internal static class TftpNegotiation
{
    /// <param name="fileSize">For a read, the size to announce through tsize; for a write, null.</param>
    /// <param name="maxWindowSize">The largest window this server sends (RFC 7440); 0: the windowsize option is not taken at all.</param>
    public static TftpAgreement Negotiate(TftpRequest request, long? fileSize, TimeSpan defaultTimeout, int maxWindowSize)
    {
        var blockSize = TftpLimits.DefaultBlockSize;
        var windowSize = 1;
        var timeout = defaultTimeout;
        long? transferSize = null;
        var acknowledged = new List<(string, string)>();
        var isRead = request.Opcode == TftpOpcode.ReadRequest;

        // RFC 2347: unknown or unacceptable options are simply left out of the OACK;
        // an OACK lists the accepted ones, in any order — we keep the request's.
        foreach (var (name, _) in request.Options)
        {
            if (!request.Options.TryGetInt64(name, out var value))
            {
                continue;
            }
            switch (name.ToLowerInvariant())
            {
                case TftpOptionNames.BlockSize when value >= TftpLimits.MinBlockSize:
                    // RFC 2348: the server may answer with a smaller block size than asked.
                    blockSize = (int)Math.Min(value, TftpLimits.MaxBlockSize);
                    acknowledged.Add((name, blockSize.ToString(CultureInfo.InvariantCulture)));
                    break;
                case TftpOptionNames.Timeout when value is >= TftpLimits.MinTimeoutSeconds and <= TftpLimits.MaxTimeoutSeconds:
                    // RFC 2349: the server acknowledges the timeout with the same value or not at all.
                    timeout = TimeSpan.FromSeconds(value);
                    acknowledged.Add((name, value.ToString(CultureInfo.InvariantCulture)));
                    break;
                case TftpOptionNames.TransferSize when isRead && fileSize is not null:
                    // RFC 2349: a read request carries tsize 0; the OACK carries the file size.
                    transferSize = fileSize;
                    acknowledged.Add((name, fileSize.Value.ToString(CultureInfo.InvariantCulture)));
                    break;
                case TftpOptionNames.TransferSize when !isRead:
                    // RFC 2349: a write request announces the size; the OACK echoes it.
                    transferSize = value;
                    acknowledged.Add((name, value.ToString(CultureInfo.InvariantCulture)));
                    break;
                case TftpOptionNames.WindowSize when maxWindowSize > 0 && value is >= TftpLimits.MinWindowSize and <= TftpLimits.MaxWindowSize:
                    // RFC 7440 §3: the server may accept the window size or answer with a smaller
                    // one: a client cannot make it send more blocks unacknowledged than it chose.
                    windowSize = (int)Math.Min(value, maxWindowSize);
                    acknowledged.Add((name, windowSize.ToString(CultureInfo.InvariantCulture)));
                    break;
                default:
                    break;
            }
        }
        var list = acknowledged.Count == 0 ? TftpOptionList.Empty : TftpOptionList.Of([.. acknowledged]);
        return new TftpAgreement(blockSize, windowSize, timeout, transferSize, list);
    }
}
