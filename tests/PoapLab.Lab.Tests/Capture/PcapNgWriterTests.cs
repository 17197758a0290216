using System.Diagnostics;
using PoapLab.Lab.Capture;
using PoapLab.Testing;
using SharpPcap;
using SharpPcap.LibPcap;
using static PoapLab.Lab.Tests.Capture.CaptureTestKit;

namespace PoapLab.Lab.Tests.Capture;

/// <summary>Our pcapng output, read back by libpcap, tshark, tcpdump and capinfos.</summary>
public sealed class PcapNgWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-pcapng-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteSample()
    {
        var path = Path.Combine(_dir, "sample.pcapng");
        var stamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_560);
        using (var writer = new PcapNgWriter(File.Create(path), 1, "lab0", 262144))
        {
            writer.WritePacket(stamp, LoopbackUdp("10.0.0.2", 68, "10.0.0.1", 67, [1, 2, 3]), 45);
            var big = LoopbackUdp("10.0.0.1", 69, "10.0.0.2", 50000, new byte[1000]);
            // Cut to headers + 10 bytes, as beyond the payload cap: caplen < len.
            writer.WritePacket(stamp.AddSeconds(1), big.AsSpan(0, 14 + 20 + 8 + 10), big.Length);
            writer.WriteStatistics(stamp.AddSeconds(2), 2, 0, "1 cut");
            writer.SetComment("capture.pcapng: 2 frames written, 1 cut");
        }
        return path;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(65550)]
    public void WritePacket_AnyLength_BlockAsDraftSection43Lays(int length)
    {
        // draft-ietf-opsawg-pcapng §4.3: type 6, total length, interface 0, timestamp high and
        // low (microseconds), captured and original length, data padded to 32 bits, total length.
        var data = Enumerable.Range(0, length).Select(i => (byte)(i * 7 + 1)).ToArray();
        var stamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_560);
        var micros = (ulong)((stamp - DateTimeOffset.UnixEpoch).Ticks / 10);
        var padded = (length + 3) & ~3;
        var total = 32 + padded;
        var expected = new List<byte>();
        void U32(uint v) => expected.AddRange(BitConverter.GetBytes(v));
        U32(6);
        U32((uint)total);
        U32(0);
        U32((uint)(micros >> 32));
        U32((uint)micros);
        U32((uint)length);
        U32((uint)length + 9);
        expected.AddRange(data);
        expected.AddRange(new byte[padded - length]);
        U32((uint)total);
        using var stream = new MemoryStream();
        using var writer = new PcapNgWriter(stream, 1, "lo", 262144);
        var before = stream.Length;

        writer.WritePacket(stamp, data, length + 9);

        stream.ToArray()[(int)before..].ShouldBe(expected.ToArray());
        writer.Length.ShouldBe(stream.Length);
        PcapNgWriter.EnhancedPacketSize(length).ShouldBe(total);
    }

    [Fact]
    public void WritePacket_ReadByLibpcap_SameFramesLengthsAndTimes()
    {
        var path = WriteSample();

        using var reader = new CaptureFileReaderDevice(path);
        reader.Open();
        reader.GetNextPacket(out var first).ShouldBe(GetPacketStatus.PacketRead);
        var one = first.GetPacket();
        one.Data.ShouldBe(LoopbackUdp("10.0.0.2", 68, "10.0.0.1", 67, [1, 2, 3]));
        one.Timeval.Seconds.ShouldBe(1_700_000_000ul);
        one.Timeval.MicroSeconds.ShouldBe(123_456ul);
        reader.GetNextPacket(out var second).ShouldBe(GetPacketStatus.PacketRead);
        var two = second.GetPacket();
        two.Data.Length.ShouldBe(52);
        ((PcapHeader)second.Header).PacketLength.ShouldBe(14u + 20 + 8 + 1000);
        reader.GetNextPacket(out _).ShouldNotBe(GetPacketStatus.PacketRead);
    }

    [Fact]
    public void WritePacket_ReadByTsharkTcpdumpCapinfos_DissectedWithCommentAndCut()
    {
        var path = WriteSample();

        var lines = Tshark(path, "-T", "fields", "-e", "ip.src", "-e", "udp.dstport", "-e", "frame.len", "-e", "frame.cap_len");
        lines.ShouldBe(["10.0.0.2\t67\t45\t45", "10.0.0.1\t50000\t1042\t52"]);
        Run(Requires.Tool("tcpdump", "apt-get install tcpdump"), "-n", "-r", path).ShouldContain("10.0.0.2.68 > 10.0.0.1.67");
        var info = Run(Requires.Tool("capinfos", "apt-get install tshark"), path);
        info.ShouldContain("capture.pcapng: 2 frames written, 1 cut");
        info.ShouldContain("Number of stat entries = 1");
    }

    private static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit(TimeSpan.FromSeconds(60)).ShouldBeTrue();
        p.ExitCode.ShouldBe(0, err.Result);
        return output;
    }
}
