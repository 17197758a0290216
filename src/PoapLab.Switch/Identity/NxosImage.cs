using System.Buffers;
using System.Text;

namespace PoapLab.Switch.Identity;

/// <summary>What a file on bootflash is as an NX-OS image.</summary>
/// <param name="Version">The release it boots into.</param>
/// <param name="Flavour"><c>cs</c> or <c>msll</c> for 64-bit images; null for 32-bit ones.</param>
/// <param name="FromHeader">True when read from a PoapLab image header, false when inferred from the file name.</param>
public sealed record NxosImageInfo(NxosVersion Version, string? Flavour, bool FromHeader);

/// <summary>
/// NX-OS images in the lab. Real images are hundreds of megabytes and not ours to ship,
/// so scenarios generate stand-ins: a one-line header that names the release, then
/// deterministic filler up to the requested size. A file without the header counts as an
/// image when its name carries a release (<c>nxos.9.3.8.bin</c>), so a user's real image
/// works too; anything else does not boot.
/// </summary>
public static class NxosImage
{
    /// <summary>The first bytes of a generated image.</summary>
    public const string Magic = "POAPLAB-NXOS-IMAGE";

    private const int HeaderLimit = 256;

    /// <summary>The header line of a generated image.</summary>
    public static string Header(NxosVersion version, string? flavour) =>
        $"{Magic} version={version.Display}{(version.ReleaseType is { } t && version.Major >= 10 ? t.ToString() : "")} flavour={flavour ?? "none"}\n";

    /// <summary>Writes a generated image of <paramref name="sizeBytes"/> bytes to <paramref name="path"/>.</summary>
    public static void Generate(string path, NxosVersion version, string? flavour, long sizeBytes, int seed = 0)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Generate(file, version, flavour, sizeBytes, seed);
    }

    /// <summary>Writes a generated image of <paramref name="sizeBytes"/> bytes to an open, empty file.</summary>
    public static void Generate(FileStream file, NxosVersion version, string? flavour, long sizeBytes, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(file);
        var header = Encoding.ASCII.GetBytes(Header(version, flavour));
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeBytes, header.Length);
        file.SetLength(sizeBytes);
        file.Write(header);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            // xorshift filler: deterministic for a seed, not compressible, no allocation per block.
            ulong x = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed ^ (ulong)sizeBytes;
            long remaining = sizeBytes - header.Length;
            while (remaining > 0)
            {
                int n = (int)Math.Min(remaining, 1 << 16) & ~7;
                if (n == 0)
                {
                    n = (int)remaining;
                }
                for (int i = 0; i + 8 <= n; i += 8)
                {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    BitConverter.TryWriteBytes(buffer.AsSpan(i, 8), x);
                }
                for (int i = n & ~7; i < n; i++)
                {
                    buffer[i] = (byte)(x >> (8 * (i & 7)));
                }
                file.Write(buffer, 0, n);
                remaining -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads what image a file is; null when it is not one the switch would boot.</summary>
    public static NxosImageInfo? TryRead(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        using var f = File.OpenRead(path);
        return TryRead(f, path);
    }

    /// <summary>
    /// Reads what image a file of a switch's flash is (<paramref name="path"/> relative to the
    /// flash); null when it is not one, is not a regular file, or cannot be reached inside the flash.
    /// </summary>
    public static NxosImageInfo? TryRead(Flash.FileTree flash, string path)
    {
        ArgumentNullException.ThrowIfNull(flash);
        try
        {
            using var f = flash.OpenRead(path);
            return TryRead(f, path);
        }
        catch (Flash.SwitchFileException)
        {
            return null;
        }
    }

    /// <summary>Reads what image an open file is; <paramref name="name"/> is its name, for images without a header.</summary>
    public static NxosImageInfo? TryRead(Stream file, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        var path = name;
        Span<byte> head = stackalloc byte[HeaderLimit];
        var read = file.ReadAtLeast(head, HeaderLimit, throwOnEndOfStream: false);
        var text = Encoding.ASCII.GetString(head[..read]);
        if (text.StartsWith(Magic, StringComparison.Ordinal))
        {
            var line = text.Split('\n', 2)[0];
            string? version = null, flavour = null;
            foreach (var part in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part.StartsWith("version=", StringComparison.Ordinal))
                {
                    version = part["version=".Length..];
                }
                else if (part.StartsWith("flavour=", StringComparison.Ordinal))
                {
                    flavour = part["flavour=".Length..];
                }
            }
            if (version is null)
            {
                return null;
            }
            try
            {
                return new NxosImageInfo(NxosVersion.Parse(version), flavour is null or "none" ? null : flavour, FromHeader: true);
            }
            catch (FormatException)
            {
                return null;
            }
        }
        var fromName = NxosVersion.FromImageName(path);
        return fromName is null ? null : new NxosImageInfo(fromName, NxosVersion.FlavourOf(path), FromHeader: false);
    }
}
