using System.Text;

namespace PoapLab.Switch.Cli;

/// <summary>What a token of a command line is.</summary>
internal enum CliTokenKind
{
    /// <summary>A word, with its quotes removed.</summary>
    Word,

    /// <summary>An unquoted <c>|</c>: the start of an output filter.</summary>
    Pipe,
}

/// <summary>One token of a command, with the column it starts at (for the <c>^</c> marker).</summary>
internal readonly record struct CliToken(string Text, int Column, CliTokenKind Kind = CliTokenKind.Word, bool Quoted = false);

/// <summary>
/// Splits what a script hands to <c>cli()</c>: first into commands at unquoted <c>;</c>
/// (vsh runs them in one session), then each command into words and pipes. Quotes
/// group words and are removed, as vsh does before a filter such as
/// <c>grep 'Name servers'</c> sees its pattern; a newline inside quotes stays (scripts
/// pass <c>tr '&lt;newline&gt;' ' '</c> with a literal newline).
/// </summary>
internal static class CommandSplitter
{
    /// <summary>The commands of a line, trimmed, empty ones dropped.</summary>
    public static IReadOnlyList<string> SplitCommands(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var commands = new List<string>();
        var start = 0;
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == ';')
            {
                Add(line[start..i]);
                start = i + 1;
            }
        }
        Add(line[start..]);
        return commands;

        void Add(string part)
        {
            var trimmed = part.Trim();
            if (trimmed.Length > 0)
            {
                commands.Add(trimmed);
            }
        }
    }

    /// <summary>The words and pipes of one command.</summary>
    public static IReadOnlyList<CliToken> Tokenize(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var tokens = new List<CliToken>();
        var current = new StringBuilder();
        var start = -1;
        var quoted = false;
        char quote = '\0';
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
                continue;
            }
            if (c is '\'' or '"')
            {
                if (start < 0)
                {
                    start = i;
                }
                quote = c;
                quoted = true;
                continue;
            }
            if (char.IsWhiteSpace(c) || c == '|')
            {
                Flush();
                if (c == '|')
                {
                    tokens.Add(new CliToken("|", i, CliTokenKind.Pipe));
                }
                continue;
            }
            if (start < 0)
            {
                start = i;
            }
            current.Append(c);
        }
        // An unterminated quote runs to the end of the line, as vsh reads it.
        Flush();
        return tokens;

        void Flush()
        {
            if (start >= 0)
            {
                tokens.Add(new CliToken(current.ToString(), start, CliTokenKind.Word, quoted));
            }
            current.Clear();
            start = -1;
            quoted = false;
        }
    }
}
