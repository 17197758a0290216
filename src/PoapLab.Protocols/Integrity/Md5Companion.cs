namespace PoapLab.Protocols.Integrity;

/// <summary>How a <c>.md5</c> companion file is written (the formats public POAP scripts read: md5sum output, key=value, a bare hash).</summary>
public enum Md5CompanionFormat
{
    /// <summary><c>&lt;hash&gt;  &lt;file&gt;</c> or <c>&lt;hash&gt; *&lt;file&gt;</c>, as md5sum prints.</summary>
    Md5sumOutput,
    /// <summary>A line <c>md5sum=&lt;hash&gt;</c>.</summary>
    KeyValue,
    /// <summary>Only the hash: the reference script skips the config check and aborts the image step.</summary>
    BareHash,
    /// <summary>Anything else.</summary>
    Invalid,
}

/// <summary>What a <c>.md5</c> file says.</summary>
/// <param name="Format">Which form it is written in.</param>
/// <param name="Hash">The hash in lower case, or null when <see cref="Md5CompanionFormat.Invalid"/>.</param>
/// <param name="FileName">The file name of the md5sum form, else null.</param>
public sealed record Md5CompanionContent(Md5CompanionFormat Format, string? Hash, string? FileName);

/// <summary>Reads and writes the <c>&lt;file&gt;.md5</c> files the POAP script fetches before each file.</summary>
public static class Md5Companion
{
    /// <summary>Parses the first non-empty line of a <c>.md5</c> file.</summary>
    public static Md5CompanionContent Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = text.Split('\n').Select(l => l.TrimEnd('\r')).FirstOrDefault(l => l.Trim().Length > 0)?.Trim();
        if (line is null)
        {
            return new(Md5CompanionFormat.Invalid, null, null);
        }
        if (line.StartsWith("md5sum=", StringComparison.Ordinal))
        {
            var value = line["md5sum=".Length..].Trim().Trim('"');
            return ScriptMd5.IsHex32(value)
                ? new(Md5CompanionFormat.KeyValue, value.ToLowerInvariant(), null)
                : new(Md5CompanionFormat.Invalid, null, null);
        }
        if (line.Length == 32)
        {
            return ScriptMd5.IsHex32(line)
                ? new(Md5CompanionFormat.BareHash, line.ToLowerInvariant(), null)
                : new(Md5CompanionFormat.Invalid, null, null);
        }
        // md5sum(1): hash, a space, then ' ' (text mode) or '*' (binary mode), then the name.
        if (line.Length > 34 && ScriptMd5.IsHex32(line[..32]) && line[32] == ' ' && line[33] is ' ' or '*')
        {
            return new(Md5CompanionFormat.Md5sumOutput, line[..32].ToLowerInvariant(), line[34..]);
        }
        return new(Md5CompanionFormat.Invalid, null, null);
    }

    /// <summary>The md5sum form, <c>"&lt;hash&gt;  &lt;file&gt;\n"</c>.</summary>
    public static string Format(string hash, string fileName)
    {
        ArgumentNullException.ThrowIfNull(hash);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (!ScriptMd5.IsHex32(hash))
        {
            throw new ArgumentException("an MD5 is 32 hex digits", nameof(hash));
        }
        if (fileName.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("file name must be one line", nameof(fileName));
        }
        return $"{hash.ToLowerInvariant()}  {fileName}\n";
    }
}
