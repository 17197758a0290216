namespace PoapLab.Protocols.Dhcp;

/// <summary>One option as it sits on the wire, before RFC 3396 concatenation.</summary>
internal readonly ref struct DhcpWireOption
{
    public DhcpWireOption(DhcpOption code, ReadOnlySpan<byte> data, int offset)
    {
        Code = code;
        Data = data;
        Offset = offset;
    }

    public DhcpOption Code { get; }

    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Offset of the code byte in the whole message.</summary>
    public int Offset { get; }
}

/// <summary>
/// Walks the code/length/value options of one option area (the options field, or
/// <c>file</c>/<c>sname</c> when overloaded), skipping Pad and stopping at End
/// (RFC 2132 §2, §3.1, §3.2). Every length is checked against the area.
/// </summary>
internal ref struct DhcpOptionReader
{
    private readonly ReadOnlySpan<byte> _area;
    private readonly int _baseOffset;
    private int _position;
    private bool _done;

    /// <param name="area">The option bytes.</param>
    /// <param name="baseOffset">Offset of <paramref name="area"/> in the message, for errors.</param>
    public DhcpOptionReader(ReadOnlySpan<byte> area, int baseOffset)
    {
        _area = area;
        _baseOffset = baseOffset;
        _position = 0;
        _done = false;
        Current = default;
        SawEnd = false;
    }

    public DhcpWireOption Current { get; private set; }

    /// <summary>True once the End option was met (as opposed to running out of bytes).</summary>
    public bool SawEnd { get; private set; }

    public bool MoveNext()
    {
        while (!_done && _position < _area.Length)
        {
            var code = (DhcpOption)_area[_position];
            if (code == DhcpOption.Pad)
            {
                // RFC 2132 §3.1: Pad is a single byte without a length.
                _position++;
                continue;
            }
            if (code == DhcpOption.End)
            {
                // RFC 2132 §3.2: End is a single byte; what follows is padding.
                _done = true;
                SawEnd = true;
                return false;
            }
            if (_position + 1 >= _area.Length)
            {
                throw new ProtocolException("DHCPv4", _baseOffset + _position, $"option {(byte)code} has no length byte");
            }
            int length = _area[_position + 1];
            if (length > _area.Length - _position - 2)
            {
                throw new ProtocolException("DHCPv4", _baseOffset + _position + 1, $"option {(byte)code} length {length} runs past the option area ({_area.Length - _position - 2} bytes left)");
            }
            Current = new DhcpWireOption(code, _area.Slice(_position + 2, length), _baseOffset + _position);
            _position += 2 + length;
            return true;
        }
        _done = true;
        return false;
    }
}
