using SharpPcap;
using SharpPcap.LibPcap;

namespace PoapLab.Lab.Wire;

/// <summary>Frames of a pcap or pcapng file (tcpdump, Wireshark, PoapLab's own capture.pcapng), read by libpcap.</summary>
public static class CaptureFrames
{
    /// <summary>Every frame of the file, numbered from 1; the file is read as it is enumerated.</summary>
    /// <exception cref="InvalidOperationException">libpcap cannot read the file.</exception>
    public static IEnumerable<WireFrame> Read(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no capture file {path}", path);
        }
        return ReadCore(path, cancellationToken);
    }

    private static IEnumerable<WireFrame> ReadCore(string path, CancellationToken cancellationToken)
    {
        using var device = new CaptureFileReaderDevice(path);
        try
        {
            device.Open();
        }
        catch (PcapException e)
        {
            throw new InvalidOperationException($"{path} is not a capture file libpcap can read: {e.Message.Trim()}", e);
        }
        long number = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status = device.GetNextPacket(out var capture);
            if (status != GetPacketStatus.PacketRead)
            {
                yield break;
            }
            yield return WireFrame.From(++number, capture.GetPacket());
        }
    }

    /// <summary>Judges a whole capture file.</summary>
    public static WireReport Judge(string path, WireJudgeOptions? options = null, CancellationToken cancellationToken = default)
    {
        var judge = new WireJudge(options);
        foreach (var frame in Read(path, cancellationToken))
        {
            judge.Observe(frame);
        }
        return judge.Judge();
    }
}
