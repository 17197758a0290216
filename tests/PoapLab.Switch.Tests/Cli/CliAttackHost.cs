using PoapLab.Switch.Cli;
using PoapLab.Switch.Tests.Flash;

namespace PoapLab.Switch.Tests.Cli;

/// <summary>
/// A CLI test switch whose bootflash holds what a hostile script plants: <c>b</c> → the host's
/// canary directory, <c>a</c> → <c>b/..</c> (a two-step link out), <c>abs</c> → a host file.
/// </summary>
internal sealed class CliAttackHost : IDisposable
{
    /// <summary>No CLI command may take longer than this, whatever stands in the flash.</summary>
    public static readonly TimeSpan NoHang = TimeSpan.FromSeconds(20);

    public CliAttackHost()
    {
        Switch = new CliTestSwitch();
        Host = new HostedTree();
        File.CreateSymbolicLink(Switch.FlashFile("b"), Host.CanaryDir);
        File.CreateSymbolicLink(Switch.FlashFile("a"), "b/..");
        File.CreateSymbolicLink(Switch.FlashFile("abs"), Host.Secret);
    }

    public CliTestSwitch Switch { get; }

    public HostedTree Host { get; }

    public Task<CliResult> Run(string command) =>
        Switch.Cli.ExecuteAsync(command, false, TestContext.Current.CancellationToken).WaitAsync(NoHang, TestContext.Current.CancellationToken);

    public void Fifo(string name) => HostedTree.FifoAt(Switch.FlashFile(name));

    public void Dispose()
    {
        Switch.Dispose();
        Host.Dispose();
    }
}
