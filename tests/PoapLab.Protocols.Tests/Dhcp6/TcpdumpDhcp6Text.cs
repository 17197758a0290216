namespace PoapLab.Protocols.Tests.Dhcp6;

/// <summary>
/// tcpdump's one-line DHCPv6 decode as a tree: every parenthesised group is a node whose
/// head is the text before its first nested group, e.g.
/// <c>solicit (xid=d81eb8 (client-ID hwaddr type 1 000102030405) (elapsed-time 0))</c>.
/// </summary>
internal sealed record TcpdumpNode(string Head, IReadOnlyList<TcpdumpNode> Children)
{
    /// <summary>The first word of the head (the option name tcpdump prints).</summary>
    public string Name => Head.Trim().Split(' ', 2)[0];

    /// <summary>The head after the name.</summary>
    public string Rest => Head.Trim().Split(' ', 2) is { Length: 2 } parts ? parts[1].Trim() : "";

    /// <summary>Parses what follows <c>dhcp6 </c> on a tcpdump line: the type word and its group.</summary>
    public static TcpdumpNode ParseMessage(string text)
    {
        var position = 0;
        var node = ParseNode(text, ref position, 0);
        return node;
    }

    private static TcpdumpNode ParseNode(string text, ref int position, int depth)
    {
        if (depth > 64)
        {
            throw new InvalidOperationException("tcpdump text nested too deep");
        }
        var head = new System.Text.StringBuilder();
        var children = new List<TcpdumpNode>();
        while (position < text.Length)
        {
            var c = text[position++];
            if (c == '(')
            {
                children.Add(ParseNode(text, ref position, depth + 1));
            }
            else if (c == ')')
            {
                return new TcpdumpNode(head.ToString(), children);
            }
            else if (children.Count == 0)
            {
                head.Append(c);
            }
        }
        return new TcpdumpNode(head.ToString(), children);
    }
}
