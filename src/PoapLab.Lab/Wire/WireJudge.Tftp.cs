using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using PoapLab.Protocols.Tftp;

namespace PoapLab.Lab.Wire;

public sealed partial class WireJudge
{
    private readonly Dictionary<(IPAddress Address, ushort Port), TftpTransfer> _tftp = [];

    /// <summary>
    /// TFTP (RFC 1350; options RFC 2347/2348/2349): a read request to port 69 starts a
    /// transfer keyed by the client's address and port; the server answers from a port of
    /// its own (the TID). DATA blocks are counted once each; the first shorter than the block
    /// size ends the file; an ERROR ends it with its code and message.
    /// </summary>
    private void ObserveTftp(WireFrame frame, ReadOnlySpan<byte> payload, in ParsedFrame p)
    {
        if (payload.Length < 2 || p.Source is null || p.Destination is null)
        {
            return;
        }
        var opcode = (TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (p.DestinationPort == 69 && opcode == TftpOpcode.ReadRequest)
        {
            ObserveReadRequest(frame, payload, in p);
            return;
        }
        if (_tftp.TryGetValue((p.Destination, p.DestinationPort), out var toClient))
        {
            ObserveFromServer(frame, payload, opcode, toClient, p.SourcePort);
        }
        else if (_tftp.TryGetValue((p.Source, p.SourcePort), out var fromClient) && opcode == TftpOpcode.Error)
        {
            var error = (TftpError)TftpPacket.Decode(payload);
            Finish(fromClient, frame, false, $"the switch stopped it: TFTP error {(int)error.Code} ({Printable(error.Message)})", (int)error.Code);
        }
    }

    private void ObserveReadRequest(WireFrame frame, ReadOnlySpan<byte> payload, in ParsedFrame p)
    {
        if (ClientOf(in p, out var fromClient) is not { } client || !fromClient)
        {
            return;
        }
        var request = (TftpRequest)TftpPacket.Decode(payload);
        var key = (p.Source!, p.SourcePort);
        if (!_tftp.ContainsKey(key) && _tftp.Count >= _options.MaxFlows)
        {
            _flowsLeftOut++;
            return;
        }
        var file = Printable(request.FileName);
        var download = AddDownload(client, "tftp", p.Destination!, file, frame);
        foreach (var (name, value) in request.Options)
        {
            if (download.Details.Count < 16)
            {
                download.Details[Printable(name)] = Printable(value);
            }
        }
        var options = request.Options.Count == 0 ? "" : $" ({Printable(request.Options.ToString())})";
        _tftp[key] = new TftpTransfer(client, download);
        AddFact(client, frame, "tftp.read", $"TFTP read request for {file} to {p.Destination}{options} [{download.Role}]");
    }

    private void ObserveFromServer(WireFrame frame, ReadOnlySpan<byte> payload, TftpOpcode opcode, TftpTransfer transfer, ushort serverPort)
    {
        var d = transfer.Download;
        if (d.Completed is not null)
        {
            return;
        }
        switch (opcode)
        {
            case TftpOpcode.Data when payload.Length >= 4:
                var block = BinaryPrimitives.ReadUInt16BigEndian(payload[2..]);
                var length = payload.Length - 4;
                transfer.BlockSize ??= 512;
                if (block == unchecked((ushort)(transfer.LastBlock + 1)))
                {
                    d.Bytes += length;
                    transfer.LastBlock = block;
                    d.EndFrame = frame.Number;
                    d.EndTime = frame.Time;
                    TouchAttempt(d, frame);
                    if (length < transfer.BlockSize)
                    {
                        Finish(transfer, frame, true, null, null);
                    }
                }
                break;
            case TftpOpcode.OptionAck:
                var oack = (TftpOptionAck)TftpPacket.Decode(payload);
                transfer.BlockSize = oack.Options.TryGetInt64("blksize", out var size) && size is >= 8 and <= 65464 ? (int)size : 512;
                if (oack.Options.TryGetInt64("tsize", out var tsize) && tsize >= 0)
                {
                    d.Expected = tsize;
                }
                AddFact(transfer.Client, frame, "tftp.oack", $"TFTP {d.File}: server {d.Server} port {serverPort} accepts options {Printable(oack.Options.ToString())}");
                break;
            case TftpOpcode.Error:
                var error = (TftpError)TftpPacket.Decode(payload);
                Finish(transfer, frame, false, $"TFTP error {(int)error.Code} ({Printable(error.Message)})", (int)error.Code);
                break;
        }
    }

    private void Finish(TftpTransfer transfer, WireFrame frame, bool completed, string? error, int? code)
    {
        var d = transfer.Download;
        d.Completed = completed;
        d.Error = error;
        d.Status = code;
        d.EndFrame = frame.Number;
        d.EndTime = frame.Time;
        TouchAttempt(d, frame);
        var size = d.Expected is { } e && e != d.Bytes ? $" (announced {e})" : "";
        AddFact(transfer.Client, frame, completed ? "tftp.complete" : "tftp.error",
            completed ? $"TFTP {d.File}: complete, {d.Bytes} bytes{size}" : $"TFTP {d.File}: {error} after {d.Bytes} bytes");
        foreach (var key in _tftp.Where(kv => ReferenceEquals(kv.Value, transfer)).Select(kv => kv.Key).ToList())
        {
            _tftp.Remove(key);
        }
    }

    /// <summary>Drops the flows of a switch whose attempt ended (their downloads were marked abandoned).</summary>
    private void AbandonFlows(Client client)
    {
        foreach (var key in _tftp.Where(kv => ReferenceEquals(kv.Value.Client, client)).Select(kv => kv.Key).ToList())
        {
            _tftp.Remove(key);
        }
    }

    private Download AddDownload(Client client, string protocol, IPAddress server, string file, WireFrame frame)
    {
        var attempt = client.Current ?? StartAttempt(client, frame);
        var role = RoleOf(file, attempt);
        var download = new Download(protocol, server, file, role, frame.Number, attempt) { EndTime = frame.Time };
        if (attempt is not null && attempt.Downloads.Count < 256)
        {
            attempt.Downloads.Add(download);
            attempt.LastActivity = frame.Time;
        }
        return download;
    }

    private static void TouchAttempt(Download d, WireFrame frame)
    {
        if (d.Attempt is { } a)
        {
            a.LastActivity = frame.Time;
        }
    }

    /// <summary>
    /// What a file is to POAP, from its name alone: the attempt's first download of the DHCP
    /// script name is the script; a <c>.md5</c> is the companion of the file it names; an
    /// NX-OS image ends in <c>.bin</c>; a configuration names the serial or "conf".
    /// </summary>
    private static string RoleOf(string file, Attempt? attempt)
    {
        var name = file.TrimEnd('/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var md5 = name.EndsWith(".md5", StringComparison.OrdinalIgnoreCase);
        var bare = md5 ? name[..^4] : name;
        var script = attempt?.Script is { } s ? s[(s.LastIndexOf('/') + 1)..] : null;
        string role;
        if (script is not null && string.Equals(bare, script, StringComparison.Ordinal))
        {
            role = "script";
        }
        else if (bare.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            role = "image";
        }
        else if (bare.Contains("conf", StringComparison.OrdinalIgnoreCase) || (attempt is null ? false : LooksLikeSerialFile(bare)))
        {
            role = "config";
        }
        else if (attempt is not null && attempt.Downloads.Count == 0 && !md5)
        {
            role = "script";
        }
        else
        {
            role = "other";
        }
        return md5 && role != "other" ? role + "-md5" : role;
    }

    private static bool LooksLikeSerialFile(string name) =>
        name.Length >= 8 && name.Split('.').Any(part => part.Length is >= 8 and <= 14 && part.All(char.IsAsciiLetterOrDigit) && part.Any(char.IsAsciiDigit) && part.Any(char.IsAsciiLetterUpper));

    private sealed class TftpTransfer(Client client, Download download)
    {
        public Client Client { get; } = client;
        public Download Download { get; } = download;
        public ushort LastBlock { get; set; }
        public int? BlockSize { get; set; }
    }

    private static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
}
