using System.Security.Cryptography;
using System.Text;

namespace PoapLab.Protocols.Integrity;

/// <summary>What <see cref="ScriptMd5.Check"/> found about a script's <c>#md5sum</c> line.</summary>
public enum ScriptMd5Status
{
    /// <summary><c>#md5sum="&lt;32 hex&gt;"</c> present and equal to the computed value.</summary>
    Valid,
    /// <summary>No line starts with <c>#md5sum</c>.</summary>
    Missing,
    /// <summary>Well-formed, quoted, but a different value: the usual stale-after-edit case.</summary>
    Mismatch,
    /// <summary><c>#md5sum=&lt;32 hex&gt;</c> without the double quotes NX-OS 9K insists on.</summary>
    Unquoted,
    /// <summary>A <c>#md5sum</c> line whose value is not 32 hex digits.</summary>
    Malformed,
}

/// <summary>Result of checking a POAP script's embedded MD5.</summary>
/// <param name="Status">The verdict.</param>
/// <param name="Declared">The value on the <c>#md5sum</c> line, without quotes; null when missing.</param>
/// <param name="Computed">The MD5 the switch computes (lower-case hex).</param>
/// <param name="LineNumber">1-based line of the first <c>#md5sum</c> line; null when missing.</param>
public sealed record ScriptMd5Check(ScriptMd5Status Status, string? Declared, string Computed, int? LineNumber);

/// <summary>
/// The POAP script integrity rule (the "Creating md5 Files" section of Cisco's NX-OS Fundamentals Configuration Guide, "Using PowerOn Auto Provisioning"): the MD5 of the script with every
/// line that starts with <c>#md5sum</c> removed, exactly as <c>sed '/^#md5sum/d'</c>
/// removes them (a last line without a newline is still a line; CR is ordinary data).
/// </summary>
public static class ScriptMd5
{
    private static readonly byte[] Marker = "#md5sum"u8.ToArray();
    private static readonly byte[] MarkerWithEquals = "#md5sum="u8.ToArray();

    /// <summary>Lower-case hex MD5 of the script without its <c>#md5sum</c> lines.</summary>
    public static string Compute(ReadOnlySpan<byte> script)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        foreach (var (start, length) in Lines(script))
        {
            var line = script.Slice(start, length);
            if (!line.StartsWith(Marker))
            {
                md5.AppendData(line);
            }
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset());
    }

    /// <summary>Checks the declared value against the computed one.</summary>
    public static ScriptMd5Check Check(ReadOnlySpan<byte> script)
    {
        var computed = Compute(script);
        var number = 0;
        foreach (var (start, length) in Lines(script))
        {
            number++;
            var line = script.Slice(start, length);
            if (!line.StartsWith(Marker))
            {
                continue;
            }
            var text = Encoding.Latin1.GetString(line).TrimEnd('\n', '\r', ' ', '\t');
            if (!text.StartsWith("#md5sum=", StringComparison.Ordinal))
            {
                return new ScriptMd5Check(ScriptMd5Status.Malformed, text["#md5sum".Length..], computed, number);
            }
            var value = text["#md5sum=".Length..];
            if (value.Length == 34 && value[0] == '"' && value[^1] == '"' && IsHex32(value[1..^1]))
            {
                var declared = value[1..^1];
                var status = string.Equals(declared, computed, StringComparison.OrdinalIgnoreCase) ? ScriptMd5Status.Valid : ScriptMd5Status.Mismatch;
                return new ScriptMd5Check(status, declared, computed, number);
            }
            if (IsHex32(value))
            {
                return new ScriptMd5Check(ScriptMd5Status.Unquoted, value, computed, number);
            }
            return new ScriptMd5Check(ScriptMd5Status.Malformed, value.Trim('"'), computed, number);
        }
        return new ScriptMd5Check(ScriptMd5Status.Missing, null, computed, null);
    }

    /// <summary>
    /// The script with a current <c>#md5sum="..."</c> line: like the guide's
    /// <c>sed -i "s/^#md5sum=.*/#md5sum=\"$hash\"/"</c> (which also drops a CR on that
    /// line); when no <c>#md5sum=</c> line exists, one is added after the first line.
    /// </summary>
    public static byte[] Fix(ReadOnlySpan<byte> script)
    {
        var output = new List<byte>(script.Length + 48);
        var replaced = new List<int>();
        var lineCount = 0;
        foreach (var (start, length) in Lines(script))
        {
            lineCount++;
            var line = script.Slice(start, length);
            if (line.StartsWith(MarkerWithEquals))
            {
                replaced.Add(output.Count);
                output.AddRange(Placeholder());
                if (line[^1] == (byte)'\n')
                {
                    output.Add((byte)'\n');
                }
            }
            else
            {
                output.AddRange(line);
            }
        }
        if (replaced.Count == 0)
        {
            var insertAt = 0;
            foreach (var (start, length) in Lines(script))
            {
                insertAt = start + length;
                break;
            }
            if (lineCount > 0 && script[insertAt - 1] != (byte)'\n')
            {
                // A one-line script without a newline: the first line gets one, which is
                // part of what the hash covers, so the hash is computed afterwards.
                output.Insert(insertAt++, (byte)'\n');
            }
            replaced.Add(insertAt);
            output.InsertRange(insertAt, [.. Placeholder(), (byte)'\n']);
        }
        var result = output.ToArray();
        var hash = Encoding.ASCII.GetBytes(Compute(result));
        foreach (var at in replaced)
        {
            hash.CopyTo(result, at + MarkerWithEquals.Length + 1);
        }
        return result;
    }

    /// <summary>(start, length) of each line including its '\n'; the last may lack one.</summary>
    private static List<(int Start, int Length)> Lines(ReadOnlySpan<byte> script)
    {
        var lines = new List<(int, int)>();
        var start = 0;
        while (start < script.Length)
        {
            var newline = script[start..].IndexOf((byte)'\n');
            var length = newline < 0 ? script.Length - start : newline + 1;
            lines.Add((start, length));
            start += length;
        }
        return lines;
    }

    private static byte[] Placeholder() => Encoding.ASCII.GetBytes("#md5sum=\"" + new string('0', 32) + "\"");

    internal static bool IsHex32(string value)
    {
        if (value.Length != 32)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
