using PoapLab.Protocols.Tftp;

namespace PoapLab.Protocols.Tests.Tftp;

public sealed class TftpPacketTests
{
    [Fact]
    public void Encode_ReadRequestWithOptions_GoldenBytes()
    {
        var rrq = new TftpRequest(TftpOpcode.ReadRequest, "poap.py", "octet", TftpOptionList.Of(("blksize", "1468"), ("tsize", "0")));
        var expected = "\0\u0001poap.py\0octet\0blksize\01468\0tsize\00\0"u8.ToArray();
        rrq.Encode().ShouldBe(expected);
        rrq.EncodedLength.ShouldBe(expected.Length);
    }

    [Fact]
    public void Encode_EachPacketKind_GoldenBytes()
    {
        new TftpData(0x0102, new byte[] { 0xAA, 0xBB }).Encode().ShouldBe(new byte[] { 0, 3, 1, 2, 0xAA, 0xBB });
        new TftpAck(65535).Encode().ShouldBe(new byte[] { 0, 4, 0xFF, 0xFF });
        new TftpError(TftpErrorCode.FileNotFound, "File not found").Encode().ShouldBe("\0\u0005\0\u0001File not found\0"u8.ToArray());
        new TftpOptionAck(TftpOptionList.Of(("windowsize", "4"))).Encode().ShouldBe("\0\u0006windowsize\04\0"u8.ToArray());
    }

    public static TheoryData<TftpPacket> Packets() =>
    [
        new TftpRequest(TftpOpcode.ReadRequest, "nxos.9.3.8.bin", "octet"),
        new TftpRequest(TftpOpcode.WriteRequest, "dir/up.log", "NetASCII", TftpOptionList.Of(("timeout", "3"), ("TSIZE", "1234"))),
        new TftpRequest(TftpOpcode.ReadRequest, "f", "octet", TftpOptionList.Of(("blksize", "65464"), ("windowsize", "65535"), ("x-vendor", ""))),
        new TftpData(1, Array.Empty<byte>()),
        new TftpData(65535, Enumerable.Range(0, 512).Select(i => (byte)i).ToArray()),
        new TftpData(7, new byte[TftpLimits.MaxBlockSize]),
        new TftpAck(0),
        new TftpAck(40000),
        new TftpError(TftpErrorCode.OptionNegotiationFailed, ""),
        new TftpError((TftpErrorCode)77, "vendor specific"),
        new TftpOptionAck(TftpOptionList.Of(("blksize", "1468"), ("tsize", "104857600"))),
        new TftpOptionAck(TftpOptionList.Empty),
    ];

    [Theory]
    [MemberData(nameof(Packets))]
    public void Decode_EncodedPacket_RoundTrips(TftpPacket packet)
    {
        var bytes = packet.Encode();
        var decoded = TftpPacket.Decode(bytes);
        decoded.ShouldBe(packet);
        decoded.Opcode.ShouldBe(packet.Opcode);
        var span = new byte[bytes.Length + 10];
        decoded.EncodeTo(span).ShouldBe(bytes.Length);
        span.AsSpan(0, bytes.Length).ToArray().ShouldBe(bytes);
    }

    [Fact]
    public void Decode_OptionNames_CompareWithoutCase()
    {
        var rrq = (TftpRequest)TftpPacket.Decode("\0\u0001a\0octet\0BlkSize\0512\0"u8);
        rrq.Options["blksize"].ShouldBe("512");
        rrq.Options.TryGetInt64("BLKSIZE", out var size).ShouldBeTrue();
        size.ShouldBe(512);
        rrq.Options[0].Key.ShouldBe("BlkSize");
    }

    [Fact]
    public void TftpData_EqualPayloadsInDifferentArrays_AreEqual()
    {
        var a = new TftpData(3, new byte[] { 1, 2, 3 });
        var b = new TftpData(3, new byte[] { 0, 1, 2, 3 }.AsMemory(1));
        a.ShouldBe(b);
        a.GetHashCode().ShouldBe(b.GetHashCode());
        a.ShouldNotBe(new TftpData(3, new byte[] { 1, 2, 4 }));
    }

    public static TheoryData<byte[], int> Malformed() => new()
    {
        { [], 0 },
        { [0], 0 },
        { [0, 9, 0, 0], 0 },
        { "\0\u0001file"u8.ToArray(), 6 },
        { "\0\u0001\0octet\0"u8.ToArray(), 2 },
        { "\0\u0001f\0\0"u8.ToArray(), 4 },
        { "\0\u0001f\0octet\0blksize\0"u8.ToArray(), 18 },
        { "\0\u0001f\0octet\0\0x\0"u8.ToArray(), 10 },
        { "\0\u0001f\0octet\0a\01\0A\02\0"u8.ToArray(), 14 },
        { "\0\u0001f\u0007x\0octet\0"u8.ToArray(), 3 },
        { [0, 1, 0xC3, 0x28, 0, (byte)'o', 0], 2 },
        { [0, 3, 0], 2 },
        { [0, 4, 0, 1, 0], 4 },
        { [0, 4, 0], 2 },
        { [0, 5, 0, 1, (byte)'x'], 5 },
        { [0, 5, 0, 1, (byte)'x', 0, 1], 6 },
        { "\0\u0006tsize"u8.ToArray(), 7 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Decode_Malformed_ThrowsProtocolExceptionWithOffset(byte[] bytes, int offset)
    {
        var ex = Should.Throw<ProtocolException>(() => TftpPacket.Decode(bytes));
        ex.Protocol.ShouldBe("TFTP");
        ex.Offset.ShouldBe(offset);
    }

    [Fact]
    public void Decode_DataLargerThanLargestBlockSize_Throws()
    {
        var bytes = new byte[TftpLimits.MaxDatagramSize + 1];
        bytes[1] = 3;
        Should.Throw<ProtocolException>(() => TftpPacket.Decode(bytes)).Offset.ShouldBe(4);
    }

    [Fact]
    public void Constructors_Misuse_ThrowArgumentException()
    {
        Should.Throw<ArgumentException>(() => new TftpRequest(TftpOpcode.Data, "f", "octet"));
        Should.Throw<ArgumentException>(() => new TftpRequest(TftpOpcode.ReadRequest, "a\0b", "octet"));
        Should.Throw<ArgumentException>(() => TftpOptionList.Of(("blksize", "1"), ("BLKSIZE", "2")));
        Should.Throw<ArgumentException>(() => new TftpAck(1).EncodeTo(new byte[3]));
    }

    [Fact]
    public void TftpWire_HotPathHelpers_AgreeWithRecords()
    {
        Span<byte> buffer = stackalloc byte[8];
        TftpWire.WriteAck(buffer, 65535).ShouldBe(4);
        buffer[..4].ToArray().ShouldBe(new TftpAck(65535).Encode());
        TftpWire.TryReadAck(buffer[..4], out var block).ShouldBeTrue();
        block.ShouldBe((ushort)65535);
        TftpWire.TryReadAck(buffer[..5], out _).ShouldBeFalse();

        var data = new TftpData(9, new byte[] { 1, 2 }).Encode();
        TftpWire.TryReadData(data, 512, out var dataBlock, out var payload).ShouldBeTrue();
        dataBlock.ShouldBe((ushort)9);
        payload.ToArray().ShouldBe(new byte[] { 1, 2 });
        TftpWire.TryReadData(data, 1, out _, out _).ShouldBeFalse();
        TftpWire.WriteDataHeader(buffer, 0x0203);
        buffer[..4].ToArray().ShouldBe(new byte[] { 0, 3, 2, 3 });
    }

    [Fact]
    public void Decode_MutatedPackets_OnlyDecodeOrThrowProtocolException()
    {
        var random = new Random(20260421);
        var seeds = Packets().Select(row => ((TftpPacket)row.Data).Encode()).ToArray();
        var decoded = 0;
        var rejected = 0;
        for (var i = 0; i < 2000; i++)
        {
            var bytes = seeds[random.Next(seeds.Length)].ToList();
            var mutations = random.Next(1, 6);
            for (var m = 0; m < mutations; m++)
            {
                switch (random.Next(4))
                {
                    case 0 when bytes.Count > 0:
                        bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                        break;
                    case 1 when bytes.Count > 0:
                        bytes.RemoveRange(random.Next(bytes.Count), 1);
                        break;
                    case 2:
                        bytes.Insert(random.Next(bytes.Count + 1), (byte)(random.Next(4) switch { 0 => 0, 1 => 0xFF, _ => random.Next(256) }));
                        break;
                    default:
                        var keep = random.Next(bytes.Count + 1);
                        bytes.RemoveRange(keep, bytes.Count - keep);
                        break;
                }
            }
            try
            {
                var packet = TftpPacket.Decode(bytes.ToArray());
                // Whatever decodes must encode again to the same bytes.
                packet.Encode().ShouldBe(bytes.ToArray());
                decoded++;
            }
            catch (ProtocolException ex)
            {
                ex.Offset.ShouldBeInRange(0, bytes.Count);
                rejected++;
            }
        }
        decoded.ShouldBeGreaterThan(0);
        rejected.ShouldBeGreaterThan(0);
    }
}
