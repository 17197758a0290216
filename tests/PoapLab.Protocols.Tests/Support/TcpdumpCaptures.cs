using System.Globalization;
using System.Text.RegularExpressions;

namespace PoapLab.Protocols.Tests.Support;

/// <summary>
/// Finds the real captures (<c>fixtures/captures</c> of the repository: tcpdump's test suite,
/// see its README; <c>POAPLAB_CAPTURES</c> names another folder) and reads tcpdump's decodes
/// that come with each capture.
/// </summary>
internal static partial class TcpdumpCaptures
{
    private static readonly Lazy<string?> Found = new(Locate);

    /// <summary>The capture directory; skips locally (fails on CI) when it is absent.</summary>
    public static string Directory
    {
        get
        {
            Testing.Requires.That(Found.Value is not null, "the capture directory (fixtures/captures of the repository, or POAPLAB_CAPTURES)");
            return Found.Value!;
        }
    }

    public static string PathOf(string name) => System.IO.Path.Combine(Directory, name);

    /// <summary>tcpdump's decode split per packet: number, timestamp and the text lines of that packet.</summary>
    public static IReadOnlyList<TcpdumpPacket> ReadOut(string outFile)
    {
        var packets = new List<TcpdumpPacket>();
        List<string>? lines = null;
        var number = 0;
        DateTimeOffset stamp = default;
        foreach (var line in File.ReadAllLines(PathOf(outFile)))
        {
            var m = PacketStart().Match(line);
            if (m.Success)
            {
                if (lines is not null)
                {
                    packets.Add(new TcpdumpPacket(number, stamp, lines));
                }
                number = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                stamp = DateTimeOffset.ParseExact(m.Groups[2].Value + "Z", "yyyy-MM-dd HH:mm:ss.ffffffK", CultureInfo.InvariantCulture);
                lines = [line[m.Length..]];
            }
            else
            {
                lines?.Add(line);
            }
        }
        if (lines is not null)
        {
            packets.Add(new TcpdumpPacket(number, stamp, lines));
        }
        return packets;
    }

    private static string? Locate() =>
        Environment.GetEnvironmentVariable("POAPLAB_CAPTURES") is { Length: > 0 } given
            ? (System.IO.Directory.Exists(given) ? given : null)
            : Locate(AppContext.BaseDirectory) ?? Locate(SourceDirectory());

    private static string? Locate(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "fixtures", "captures");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    // Build output may live outside the repository (--artifacts-path), so also walk up
    // from where this source file was compiled.
    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        System.IO.Path.GetDirectoryName(path) ?? "/";

    // tcpdump -n -tttt style: "    1  2014-12-01 15:36:12.905633 IP ..." (the test suite runs in GMT).
    [GeneratedRegex(@"^\s*(\d+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) ")]
    private static partial Regex PacketStart();
}

/// <summary>One packet of a tcpdump decode.</summary>
internal sealed record TcpdumpPacket(int Number, DateTimeOffset Timestamp, IReadOnlyList<string> Lines)
{
    public string Text => string.Join('\n', Lines);
}
