using System.Globalization;
using System.Text.RegularExpressions;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>How the NX-OS parser reads words and lays out columns, shared by every family.</summary>
internal static partial class CliText
{
    /// <summary>True when <paramref name="word"/> abbreviates <paramref name="keyword"/> to at least <paramref name="minLength"/> characters.</summary>
    public static bool Abbreviates(string word, string keyword, int minLength = 1) =>
        word.Length >= minLength && keyword.StartsWith(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>NX-OS's answer to a command that stops before its required words.</summary>
    public static CliResult Incomplete(string command) =>
        CliResult.Syntax($"{command}\n{new string(' ', command.Length + 1)}^\n% Incomplete command at '^' marker.\n");

    /// <summary>A column: padded to <paramref name="width"/>, or followed by one space when it does not fit.</summary>
    public static string Pad(string text, int width) => text.Length < width ? text.PadRight(width) : text + " ";

    /// <summary><c>ethernet1/1</c> for <c>Eth1/1</c>, <c>e1/1</c>, <c>Ethernet1/1</c>; other names lower-cased.</summary>
    public static string NormaliseInterface(string name)
    {
        var lower = name.ToLowerInvariant();
        var m = EthernetPattern().Match(lower);
        return m.Success ? "ethernet" + m.Groups[1].Value : lower;
    }

    /// <summary>The ifindex NX-OS gives an interface (<c>0x1a000000</c> for Ethernet1/1, <c>0x5000000</c> for mgmt0).</summary>
    public static long InterfaceIndex(string name)
    {
        var normal = NormaliseInterface(name);
        if (normal.StartsWith("mgmt", StringComparison.Ordinal))
        {
            return 0x5000000;
        }
        var m = SlotPortPattern().Match(normal);
        return m.Success
            ? 0x1A000000L + ((long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 1) << 12) + ((long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) - 1) << 9)
            : 0;
    }

    [GeneratedRegex(@"^e[a-z]*(\d.*)$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex EthernetPattern();

    [GeneratedRegex(@"^ethernet(\d+)/(\d+)", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SlotPortPattern();
}
