using System.Net;
using PoapLab.Protocols.Dhcp;
using PoapLab.Servers.Dhcp;

namespace PoapLab.Servers.Tests.Dhcp;

// The reply's message type, read without decoding the whole reply again (routing a reply).
public sealed partial class EmbeddedDhcpServerTests
{
    [Theory]
    [InlineData(DhcpMessageType.Offer)]
    [InlineData(DhcpMessageType.Ack)]
    [InlineData(DhcpMessageType.Nak)]
    public void MessageTypeOf_EncodedReply_TheTypeTheDecoderReads(DhcpMessageType type)
    {
        var reply = new DhcpMessage
        {
            Operation = BootpOperation.Reply,
            Options =
            [
                DhcpOptionValue.FromAddress(DhcpOption.SubnetMask, IPAddress.Parse("255.255.255.0")),
                DhcpOptionValue.FromString(DhcpOption.BootfileName, "poap.py"),
                DhcpOptionValue.FromByte(DhcpOption.MessageType, (byte)type),
            ],
        }.WithClientMac(SwitchMac).Encode();

        EmbeddedDhcpServer.MessageTypeOf(reply).ShouldBe(type);
        EmbeddedDhcpServer.MessageTypeOf(reply).ShouldBe(DhcpMessage.Decode(reply).MessageType);
    }

    [Fact]
    public void MessageTypeOf_HostileBytes_NullWithoutReadingPastTheEnd()
    {
        var header = new byte[DhcpMessage.FixedHeaderLength + 4];
        // No options at all; an option whose length runs past the end; a type option cut short;
        // a wrong-length type option; pads only; a type only after End.
        EmbeddedDhcpServer.MessageTypeOf([]).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf(header).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf([.. header, 12, 200, 1, 2]).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf([.. header, 53, 1]).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf([.. header, 53]).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf([.. header, 53, 2, 6, 6]).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf([.. header, .. new byte[5000]]).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf([.. header, 255, 53, 1, 6]).ShouldBeNull();
        EmbeddedDhcpServer.MessageTypeOf([.. header, 0, 0, 53, 1, 6]).ShouldBe(DhcpMessageType.Nak);
    }
}
