namespace PoapLab.Servers.Tests.Support;

/// <summary>
/// The tree the file-server tests serve: <c>root/images/nxos.bin</c> with seeded random
/// bytes, and <c>root/escape.txt</c>, a symbolic link to <c>secret.txt</c> outside the
/// served root, which a confined server must never follow.
/// </summary>
internal static class ServedTree
{
    /// <summary>The served root inside <paramref name="dir"/>.</summary>
    public static string Root(DirectoryInfo dir) => Path.Combine(dir.FullName, "root");

    /// <summary>Writes the tree into <paramref name="dir"/>; returns the bytes of <c>images/nxos.bin</c>.</summary>
    public static async Task<byte[]> WriteAsync(DirectoryInfo dir, int imageLength, int seed, CancellationToken cancellationToken)
    {
        var root = Root(dir);
        Directory.CreateDirectory(Path.Combine(root, "images"));
        var image = new byte[imageLength];
        new Random(seed).NextBytes(image);
        await File.WriteAllBytesAsync(Path.Combine(root, "images", "nxos.bin"), image, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(dir.FullName, "secret.txt"), "TOP SECRET", cancellationToken);
        File.CreateSymbolicLink(Path.Combine(root, "escape.txt"), Path.Combine(dir.FullName, "secret.txt"));
        return image;
    }
}
