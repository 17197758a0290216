using System.CommandLine;
using PoapLab.Cli.Commands;

namespace PoapLab.Cli;

/// <summary>The <c>poaplab</c> command.</summary>
public static class Program
{
    /// <summary>
    /// Runs the command. Termination signals are the commands' business (<c>run</c> stops its
    /// scenarios and still writes its reports), so System.CommandLine's own handling, which
    /// would end the process after a grace period, is off.
    /// </summary>
    public static Task<int> Main(string[] args) =>
        BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

    /// <summary>The command tree (also used by the tests).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("PoapLab: a Cisco Nexus POAP simulator and test harness. Runs your POAP script on simulated switches against real DHCP/TFTP/HTTP servers, and says what happened.");
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(Md5Command.Build());
        root.Subcommands.Add(ValidateCommand.Build());
        root.Subcommands.Add(LintCommand.Build());
        return root;
    }
}
