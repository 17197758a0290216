using PoapLab.Cli;

namespace PoapLab.Cli.Tests.Commands;

/// <summary>Runs a <c>poaplab</c> command in-process and keeps what it wrote to stdout and stderr.</summary>
internal static class CliTestRun
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await Program.BuildRoot().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }
}
