using System.Security.Cryptography;
using System.Text;
using PoapLab.Protocols.Integrity;
using PoapLab.Scenarios.Model;
using PoapLab.Switch.Identity;

namespace PoapLab.Scenarios.Files;

/// <summary>
/// Puts a scenario's files in place: scripts with their options edited and <c>#md5sum</c>
/// handled as the scenario says, generated NX-OS images (never committed: made at run
/// time), literal content, copies; and the <c>.md5</c> companions.
/// </summary>
public static class ScenarioFiles
{
    /// <summary>Writes <paramref name="files"/> under <paramref name="root"/>.</summary>
    /// <param name="scriptOverride">A user's script to serve in place of every scenario script (<c>--script</c>).</param>
    public static void Materialise(IEnumerable<FileModel> files, string root, string? scriptOverride, int seed)
    {
        Directory.CreateDirectory(root);
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
                var source = scriptOverride ?? file.Script;
                var text = File.ReadAllText(source);
                var edited = ScriptOptionsEditor.Apply(text, file.ScriptOptions, source);
                var bytes = Encoding.UTF8.GetBytes(edited);
                if (file.ScriptMd5 == ScriptMd5Handling.Fix && (edited != text || ScriptMd5.Check(bytes).Status is not ScriptMd5Status.Missing))
                {
                    bytes = ScriptMd5.Fix(bytes);
                }
                File.WriteAllBytes(target, bytes);
            }
            else if (file.ImageVersion is not null)
            {
                var version = NxosVersion.Parse(file.ImageVersion);
                NxosImage.Generate(target, version, file.ImageFlavour ?? (version.Is64Bit ? NxosVersion.FlavourOf(file.Path) ?? "cs" : null), file.ImageBytes, seed);
            }
            else if (file.Content is not null)
            {
                File.WriteAllText(target, file.Content);
            }
            else if (file.Source is not null)
            {
                File.Copy(file.Source, target, overwrite: true);
            }
            WriteCompanion(file, target);
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

    private static void WriteCompanion(FileModel file, string target)
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
        File.WriteAllText(target + ".md5", text);
    }
}
