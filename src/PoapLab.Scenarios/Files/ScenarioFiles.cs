using System.Security.Cryptography;
using System.Text;
using PoapLab.Protocols.Integrity;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Identity;

namespace PoapLab.Scenarios.Files;

/// <summary>
/// Puts a scenario's files in place: scripts with their options edited and <c>#md5sum</c>
/// handled as the scenario says, generated NX-OS images (never committed: made at run
/// time), literal content, copies; and the <c>.md5</c> companions. Scripts and sources are
/// read only as bounded regular files (<see cref="RegularFile"/>).
/// </summary>
public static class ScenarioFiles
{
    /// <summary>The served-file area: a scenario may serve any file its user can read, so its copies are the user's alone.</summary>
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The folder of the served-file area.</summary>
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>A switch's bootflash files: the switch's script reads them.</summary>
    public const UnixFileMode SwitchFile = PrivateFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>The bytes <paramref name="files"/> take once written (an upper bound: sources and scripts at their current size).</summary>
    public static long RequiredBytes(IEnumerable<FileModel> files, string? scriptOverride)
    {
        long total = 0;
        foreach (var f in files)
        {
            var bytes = f.ImageVersion is not null ? f.ImageBytes
                : f.Content is not null ? System.Text.Encoding.UTF8.GetMaxByteCount(f.Content.Length)
                : f.Script is not null ? SizeOf(scriptOverride ?? f.Script) + 4096
                : f.Source is not null ? SizeOf(f.Source)
                : 0;
            total += bytes + (f.Md5Companion == Md5CompanionKind.None ? 0 : 4096);
        }
        return total;
    }

    private static long SizeOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Writes <paramref name="files"/> under <paramref name="root"/>.</summary>
    /// <param name="scriptOverride">A user's script to serve in place of every scenario script (<c>--script</c>).</param>
    /// <param name="mode">The mode of every file written: <see cref="PrivateFile"/> for served files, <see cref="SwitchFile"/> for a bootflash.</param>
    public static void Materialise(IEnumerable<FileModel> files, string root, string? scriptOverride, int seed, UnixFileMode mode = PrivateFile)
    {
        if (mode == PrivateFile)
        {
            Directory.CreateDirectory(root, PrivateDirectory);
            File.SetUnixFileMode(root, PrivateDirectory);
        }
        else
        {
            Directory.CreateDirectory(root);
        }
        foreach (var file in files)
        {
            var target = Path.GetFullPath(Path.Combine(root, file.Path));
            if (!target.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{file.Location}: '{file.Path}' leaves the file area");
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (file.Script is not null)
            {
                var bytes = ServedScript(file, scriptOverride);
                using var output = RegularFile.CreatePrivate(target, mode);
                output.Write(bytes);
            }
            else if (file.ImageVersion is not null)
            {
                var version = NxosVersion.Parse(file.ImageVersion);
                RegularFile.CreatePrivate(target, mode).Dispose();
                NxosImage.Generate(target, version, file.ImageFlavour ?? (version.Is64Bit ? NxosVersion.FlavourOf(file.Path) ?? "cs" : null), file.ImageBytes, seed);
            }
            else if (file.Content is not null)
            {
                using var output = RegularFile.CreatePrivate(target, mode);
                output.Write(new UTF8Encoding(false).GetBytes(file.Content));
            }
            else if (file.Source is not null)
            {
                RegularFile.CopyTo(file.Source, target, RegularFile.MaxSourceBytes, mode, namedByScenario: true);
            }
            WriteCompanion(file, target, mode);
            if (file.Corrupt)
            {
                Corrupt(target);
            }
        }
    }

    /// <summary>Damages a few bytes in the middle of a file, keeping its size (what bad media or a bad copy does).</summary>
    private static void Corrupt(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var at = f.Length / 2;
        var buffer = new byte[Math.Min(16, f.Length - at)];
        f.Position = at;
        f.ReadExactly(buffer);
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] ^= 0xA5;
        }
        f.Position = at;
        f.Write(buffer);
    }

    /// <summary>Text as <c>File.ReadAllText</c> reads it: UTF-8, or the encoding a byte-order mark names.</summary>
    /// <summary>
    /// The bytes a script file is served as: its source (or <paramref name="scriptOverride"/>) with
    /// its <c>edit:</c> replacements made, the options edited as the scenario says, and its
    /// <c>#md5sum</c> fixed or kept.
    /// </summary>
    public static byte[] ServedScript(FileModel file, string? scriptOverride)
    {
        var source = scriptOverride ?? file.Script ?? throw new ArgumentException("not a script file", nameof(file));
        var text = Decode(RegularFile.ReadAll(source, RegularFile.MaxScriptBytes, namedByScenario: scriptOverride is null));
        var edited = ScriptOptionsEditor.Apply(ScriptEdits.Apply(text, file.ScriptEdits, source), file.ScriptOptions, source);
        var bytes = Encoding.UTF8.GetBytes(edited);
        if (file.ScriptMd5 == ScriptMd5Handling.Fix && (edited != text || ScriptMd5.Check(bytes).Status is not ScriptMd5Status.Missing))
        {
            bytes = ScriptMd5.Fix(bytes);
        }
        return bytes;
    }

    private static string Decode(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static void WriteCompanion(FileModel file, string target, UnixFileMode mode)
    {
        if (file.Md5Companion == Md5CompanionKind.None)
        {
            return;
        }
        string hash;
        using (var stream = File.OpenRead(target))
        {
            hash = Convert.ToHexStringLower(MD5.HashData(stream));
        }
        var name = Path.GetFileName(target);
        var text = file.Md5Companion switch
        {
            Md5CompanionKind.Md5sum => Md5Companion.Format(hash, name),
            Md5CompanionKind.KeyValue => $"md5sum={hash}\n",
            Md5CompanionKind.Bare => hash + "\n",
            Md5CompanionKind.Wrong => Md5Companion.Format(new string('0', 32) == hash ? new string('1', 32) : new string('0', 32), name),
            _ => throw new InvalidOperationException(file.Md5Companion.ToString()),
        };
        using var output = RegularFile.CreatePrivate(target + ".md5", mode);
        output.Write(Encoding.UTF8.GetBytes(text));
    }
}
