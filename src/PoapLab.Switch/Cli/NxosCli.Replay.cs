using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Cli;

public sealed partial class NxosCli
{
    /// <summary>
    /// Replays configuration at boot (the startup-config, or the scheduled-config after a
    /// POAP reload, the post-installation reload phase of Cisco's POAP chapter): every line in one config session, as the switch does.
    /// Unlike <c>copy ... running-config</c> a rejected line does not stop the replay.
    /// </summary>
    /// <returns>The lines that were rejected, with what the CLI said.</returns>
    public async Task<IReadOnlyList<(string Line, CliResult Result)>> ReplayConfigAsync(IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var session = new CliSession(_state.Filesystems.Home) { ConfigMode = true, DontAsk = true };
        var rejected = new List<(string, CliResult)>();
        foreach (var line in lines)
        {
            var result = await ApplyConfigLineAsync(session, line, "replay", cancellationToken).ConfigureAwait(false);
            if (result is not null && result.Status != CliStatus.Ok)
            {
                rejected.Add((line, new CliResult(result.Status, result.Text)));
            }
        }
        return rejected;
    }
}
