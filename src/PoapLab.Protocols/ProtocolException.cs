namespace PoapLab.Protocols;

/// <summary>
/// Malformed wire data: the one exception every decoder in this assembly raises for
/// bytes it cannot accept. Misuse of an API raises the standard argument exceptions.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string protocol, int offset, string message)
        : base($"{protocol}: {message} (at byte {offset})")
    {
        Protocol = protocol;
        Offset = offset;
    }

    /// <summary>The protocol whose decoder refused the input, e.g. <c>DHCPv4</c>, <c>TFTP</c>.</summary>
    public string Protocol { get; }

    /// <summary>Byte offset in the input where the problem was found.</summary>
    public int Offset { get; }
}
