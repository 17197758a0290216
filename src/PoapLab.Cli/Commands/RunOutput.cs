using System.Runtime.CompilerServices;
using Spectre.Console;

[assembly: InternalsVisibleTo("PoapLab.Cli.Tests")]

namespace PoapLab.Cli.Commands;

/// <summary>How much <c>run</c> prints: <c>-q</c> only failures and the summary, <c>-v</c> every event.</summary>
internal enum Verbosity
{
    Quiet,
    Normal,
    Verbose,
}

/// <summary>
/// Where <c>run</c> writes: results to stdout, errors and warnings to stderr. On a terminal,
/// colours (unless <c>NO_COLOR</c> is set, https://no-color.org) at the terminal's width
/// (<c>COLUMNS</c> when set); elsewhere (a pipe, a file, CI) plain lines, never wrapped, with
/// no escape codes.
/// </summary>
internal sealed class RunOutput
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly Lock _gate = new();

    public RunOutput(TextWriter output, TextWriter error, bool terminal, Verbosity verbosity)
    {
        _out = output;
        _err = error;
        Verbosity = verbosity;
        IsTerminal = terminal;
        var color = terminal && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        if (terminal)
        {
            Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = AnsiSupport.Yes,
                ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.Yes,
            });
            if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns is > 10 and < 10_000)
            {
                Console.Profile.Width = columns;
            }
        }
    }

    /// <summary>The output as the process has it: a terminal when stdout is one and not redirected.</summary>
    public static RunOutput ForProcess(TextWriter output, TextWriter error, Verbosity verbosity)
    {
        var terminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected
            && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);
        return new RunOutput(output, error, terminal, verbosity);
    }

    public Verbosity Verbosity { get; }

    /// <summary>stdout is a terminal: colours and the live display.</summary>
    public bool IsTerminal { get; }

    /// <summary>The Spectre console on the terminal; null when stdout is not one.</summary>
    public IAnsiConsole? Console { get; }

    /// <summary>A line of results on stdout. <paramref name="markup"/> is Spectre markup (every outside text escaped), shown plain off a terminal.</summary>
    public void Line(string markup)
    {
        lock (_gate)
        {
            if (Console is not null)
            {
                Console.MarkupLine(markup);
            }
            else
            {
                _out.WriteLine(Markup.Remove(markup));
                _out.Flush();
            }
        }
    }

    /// <summary>An error or a warning on stderr, plain (it may be parsed: <c>file:line:col: ...</c>).</summary>
    public void Error(string text)
    {
        lock (_gate)
        {
            _err.WriteLine(text);
            _err.Flush();
        }
    }
}
