using System.CommandLine;
using PoapLab.Cli.Commands;
using PoapLab.Core.Threading;
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
        // Before any socket exists (the runtime reads it once): see IoThreads.
        if (InlineCompletionsFor(args))
        {
            IoThreads.EnableInlineCompletions();
        }
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

    /// <summary>
    /// Whether the command runs socket completions inline (<see cref="IoThreads"/>): <c>run</c>,
    /// whose lab has many switches' and servers' exchanges in this one process (a 1,000-switch
    /// TFTP fleet took 10–20 % less time). Not <c>serve</c> and the others: an embedded TFTP
    /// server answering one client measured slower with them (curl, 100 MiB at blksize 512:
    /// 9.1–11.4 s against 6.4–9.2 s), and that is what a real switch in front of <c>serve</c> is.
    /// </summary>
    internal static bool InlineCompletionsFor(IReadOnlyList<string> args) => args is ["run", ..];

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
