namespace PoapLab.Switch.Cli;

/// <summary>How a CLI command ended; maps to what the script's <c>cli</c> module raises.</summary>
public enum CliStatus
{
    /// <summary>The command ran; <c>cli()</c> returns the output.</summary>
    Ok = 0,

    /// <summary>The parser rejected it; <c>cli()</c> raises <c>cli_syntax_error</c>.</summary>
    SyntaxError = 1,

    /// <summary>It ran and failed; <c>cli()</c> raises <c>cmd_exec_error</c> with the output as message.</summary>
    ExecError = 2,

    /// <summary>
    /// <c>run bash</c>: the output is a command line for the switch's shell, which is the
    /// script's sandbox; the script's side of the bridge runs it there and returns what it printed.
    /// </summary>
    Shell = 3,
}

/// <summary>The outcome of one command line (which may chain several with <c> ; </c>).</summary>
public sealed record CliResult(CliStatus Status, string Output)
{
    public static CliResult Ok(string output) => new(CliStatus.Ok, output);

    public static CliResult Syntax(string output) => new(CliStatus.SyntaxError, output);

    public static CliResult Exec(string output) => new(CliStatus.ExecError, output);

    /// <summary>NX-OS's answer to a command it does not know.</summary>
    public static CliResult InvalidCommand(string command, int markerColumn = 0) =>
        Syntax($"{command}\n{new string(' ', Math.Max(0, markerColumn))}^\n% Invalid command at '^' marker.\n");
}
