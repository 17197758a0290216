using System.Text;
using PoapLab.Switch.Cli.Commands;
using PoapLab.Switch.Flash;

namespace PoapLab.Switch.Cli;

/// <summary>Output redirection: <c>command &gt; bootflash:file</c>, <c>&gt;&gt;</c> to append.</summary>
/// <param name="Target">The file, as typed.</param>
/// <param name="Append">True for <c>&gt;&gt;</c>.</param>
/// <param name="Column">Where the redirection starts in the command.</param>
internal sealed record CliRedirect(string Target, bool Append, int Column)
{
    /// <summary>
    /// Takes an unquoted <c>&gt; target</c> / <c>&gt;&gt; target</c> off the end of the
    /// command's last stage (vsh allows it after the filters: <c>show x | grep y &gt; bootflash:f</c>).
    /// </summary>
    /// <param name="stage">The last stage's words; the redirection is removed from it.</param>
    /// <param name="error">The column of a stray word after the target; -1 when the target is missing.</param>
    public static CliRedirect? Take(List<CliToken> stage, out int? error)
    {
        error = null;
        var at = stage.FindIndex(t => !t.Quoted && t.Text.StartsWith('>'));
        if (at < 0)
        {
            return null;
        }
        var token = stage[at];
        var append = token.Text.StartsWith(">>", StringComparison.Ordinal);
        var target = token.Text[(append ? 2 : 1)..];
        var end = at + 1;
        if (target.Length == 0)
        {
            if (end >= stage.Count)
            {
                error = -1;
                return null;
            }
            target = stage[end].Text;
            end++;
        }
        if (end < stage.Count)
        {
            error = stage[end].Column;
            return null;
        }
        stage.RemoveRange(at, stage.Count - at);
        return new CliRedirect(target, append, token.Column);
    }

    /// <summary>Writes the command's output to the target file (in the session's current directory when bare).</summary>
    public CliResult Write(CliDevice device, string text, CliSession session)
    {
        var path = device.Resolve(Target, session);
        var outside = CliFiles.PermissionDenied(Target);
        CommandOutput result;
        if (path is null)
        {
            result = outside;
        }
        else
        {
            try
            {
                result = WriteFile(device, path, text);
            }
            catch (IOException e)
            {
                result = CliFiles.Failure(e, Target, outside);
            }
        }
        return new CliResult(result.Status, result.Text);
    }

    private CommandOutput WriteFile(CliDevice device, NxosPath path, string text)
    {
        var files = path.Filesystem.Files;
        if (files.DirectoryExists(path.Relative))
        {
            return CliFiles.PermissionDenied(Target);
        }
        if (!files.DirectoryExists(path.Parent.Relative))
        {
            return CliFiles.NoSuchFile(Target);
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        var replaced = Append ? 0 : CliFiles.ExistingLength(path);
        if (bytes.Length > path.Filesystem.FreeBytes + replaced)
        {
            return CliFiles.NoSpace();
        }
        using (var file = Append ? files.Append(path.Relative) : files.Create(path.Relative))
        {
            file.Write(bytes);
        }
        device.Touch(path);
        return CommandOutput.Ok("");
    }
}
