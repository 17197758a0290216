using System.CommandLine;
using PoapLab.Cli.Commands;
using PoapLab.Switch.Flash;

namespace PoapLab.Cli;

/// <summary>The <c>poaplab</c> command.</summary>
public static class Program
{
    /// <summary>
    /// Runs the command. Termination signals are the commands' business (<c>run</c> stops its
    /// scenarios and still writes its reports), so System.CommandLine's own handling, which
    /// would end the process after a grace period, is off.
    /// </summary>
    public static Task<int> Main(string[] args)
    {
        // As root, run in a mount namespace of our own (execve: same pid, same signals), so the
        // switches' filesystems can be bounded tmpfs mounts that nobody else sees and that die
        // with us (README: the script sandbox).
        if (PrivateMounts.ReexecArguments() is { } again)
        {
            var why = PrivateMounts.Reexec(again);
            Console.Error.WriteLine($"poaplab: could not enter a private mount namespace ({why}); the switches' flash is then bounded per file only");
        }
        return BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>The command tree (also used by the tests).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("PoapLab: a Cisco Nexus POAP simulator and test harness. Runs your POAP script on simulated switches against real DHCP/TFTP/HTTP servers, and says what happened.");
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(Md5Command.Build());
        root.Subcommands.Add(ValidateCommand.Build());
        root.Subcommands.Add(LintCommand.Build());
        root.Subcommands.Add(SchemaCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(AnalyzeCommand.Build());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(DeviceCommand.Build());
        return root;
    }
}
