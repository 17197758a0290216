using System.Text;
using PoapLab.Switch.Flash;

using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

/// <summary>Output redirection (<c>command &gt; bootflash:file</c>, <c>&gt;&gt;</c> to append).</summary>
public sealed partial class NxosCli
{
    /// <summary>Where a command's output goes instead of back to the script.</summary>
    private sealed record Redirect(string Target, bool Append, int Column);

    /// <summary>
    /// Takes an unquoted <c>&gt; target</c> / <c>&gt;&gt; target</c> off the end of the
    /// command's last stage (vsh allows it after the filters: <c>show x | grep y &gt; bootflash:f</c>).
    /// </summary>
    /// <param name="error">The column of a stray word after the target; -1 when the target is missing.</param>
    private static Redirect? TakeRedirect(List<CliToken> stage, out int? error)
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
        return new Redirect(target, append, token.Column);
    }

    private CliResult WriteRedirect(Redirect redirect, string text, CliSession session)
    {
        var path = ResolvePath(redirect.Target, session);
        var outside = PermissionDenied(redirect.Target);
        CommandOutput failure;
        if (path is null)
        {
            failure = outside;
        }
        else
        {
            try
            {
                failure = WriteRedirectFile(redirect, path, text);
            }
            catch (IOException e)
            {
                failure = FileFailure(e, redirect.Target, outside);
            }
        }
        return new CliResult(failure.Status, failure.Text);
    }

    private CommandOutput WriteRedirectFile(Redirect redirect, NxosPath path, string text)
    {
        var files = path.Filesystem.Files;
        if (files.DirectoryExists(path.Relative))
        {
            return PermissionDenied(redirect.Target);
        }
        if (!files.DirectoryExists(path.Parent.Relative))
        {
            return NoSuchFile(redirect.Target);
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        var replaced = redirect.Append ? 0 : CliFiles.ExistingLength(path);
        if (bytes.Length > path.Filesystem.FreeBytes + replaced)
        {
            return NoSpace();
        }
        using (var file = redirect.Append ? files.Append(path.Relative) : files.Create(path.Relative))
        {
            file.Write(bytes);
        }
        Touch(path);
        return CommandOutput.Ok("");
    }
}
