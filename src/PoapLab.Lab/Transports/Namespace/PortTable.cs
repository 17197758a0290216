using System.Globalization;

namespace PoapLab.Lab.Transports.Namespace;

/// <summary>Reads the kernel's socket tables (<c>/proc/net/tcp</c>, <c>udp</c>; proc(5)).</summary>
internal static class PortTable
{
    /// <summary>TCP state 0A is LISTEN (include/net/tcp_states.h).</summary>
    private const string Listen = "0A";

    /// <summary>UDP sockets show state 07 (TCP_CLOSE) when bound and unconnected.</summary>
    private const string Unconnected = "07";

    private const int MaxLines = 100_000;

    public static bool Listens(string table, int port, bool tcp)
    {
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadLines(table).Skip(1).Take(MaxLines).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        foreach (var line in lines)
        {
            // "  sl  local_address rem_address   st ...": local is ADDR:PORT in hex.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
            {
                continue;
            }
            var colon = fields[1].LastIndexOf(':');
            if (colon < 0 || !int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var local))
            {
                continue;
            }
            if (local == port && fields[3] == (tcp ? Listen : Unconnected))
            {
                return true;
            }
        }
        return false;
    }
}
