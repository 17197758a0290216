using System.Buffers.Binary;

namespace PoapLab.Protocols.Dhcp6;

/// <summary>One option as it sits on the wire.</summary>
internal readonly ref struct Dhcp6WireOption
{
    public Dhcp6WireOption(Dhcp6Option code, ReadOnlySpan<byte> data, int offset)
    {
        Code = code;
        Data = data;
        Offset = offset;
    }

    public Dhcp6Option Code { get; }

    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Offset of the option code in the whole message.</summary>
    public int Offset { get; }

    /// <summary>Offset of the option data in the whole message.</summary>
    public int DataOffset => Offset + 4;
}

/// <summary>
/// Walks the options of one area: a message's options field, or the options encapsulated
/// in an IA, an address, a relay message, ... Every option is a 2-byte code, a 2-byte
/// length and that many bytes (RFC 8415 §21.1); there is no padding and no end marker,
/// so the area must be consumed exactly.
/// </summary>
internal ref struct Dhcp6OptionReader
{
    private readonly ReadOnlySpan<byte> _area;
    private readonly int _baseOffset;
    private int _position;

    /// <param name="area">The option bytes.</param>
    /// <param name="baseOffset">Offset of <paramref name="area"/> in the message, for errors.</param>
    public Dhcp6OptionReader(ReadOnlySpan<byte> area, int baseOffset)
    {
        _area = area;
        _baseOffset = baseOffset;
        _position = 0;
        Current = default;
    }

    public Dhcp6WireOption Current { get; private set; }

    public bool MoveNext()
    {
        if (_position >= _area.Length)
        {
            return false;
        }
        // RFC 8415 §21.1: option-code (2), option-len (2), option-data (option-len).
        if (_area.Length - _position < 4)
        {
            throw new ProtocolException("DHCPv6", _baseOffset + _position, $"{_area.Length - _position} bytes left, too few for an option header");
        }
        var code = BinaryPrimitives.ReadUInt16BigEndian(_area[_position..]);
        int length = BinaryPrimitives.ReadUInt16BigEndian(_area[(_position + 2)..]);
        if (length > _area.Length - _position - 4)
        {
            throw new ProtocolException("DHCPv6", _baseOffset + _position + 2, $"option {code} length {length} runs past its area ({_area.Length - _position - 4} bytes left)");
        }
        Current = new Dhcp6WireOption((Dhcp6Option)code, _area.Slice(_position + 4, length), _baseOffset + _position);
        _position += 4 + length;
        return true;
    }
}
