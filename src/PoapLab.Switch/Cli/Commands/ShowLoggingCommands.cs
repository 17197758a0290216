using System.Globalization;
using System.Text;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>
/// <c>show logging</c>, <c>show logging last N</c>, <c>show logging logfile</c>: the switch's
/// own log file, POAP's <c>%POAP-2-POAP_INFO</c> lines included (ZTP scripts find their
/// server by parsing <c>Script Server: </c> out of it). Layout after the Cisco Nexus 9000
/// Series NX-OS System Management Configuration Guide, "Configuring System Message Logging"
/// (<c>show logging last</c>, <c>show logging logfile</c>).
/// </summary>
internal sealed class ShowLoggingCommands(CliDevice device) : ICommandFamily
{
    /// <summary>NX-OS's bound on <c>last</c> (<c>&lt;1-9999&gt;</c>).</summary>
    public const int MaxLast = 9999;

    /// <summary>The log is read from its end up to this much: what a script sees is bounded, whatever it logged.</summary>
    public const int MaxLogBytes = 1 << 20;

    public void Register(CommandTable table)
    {
        table.Exec("show logging", ShowLogging);
        table.Exec("show logging last", ShowLast);
        table.Exec("show logging logfile", ShowLogfile);
    }

    private Task<CommandOutput> ShowLogging(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        var text = new StringBuilder()
            .Append("Logging console:                enabled (Severity: critical)\n")
            .Append("Logging monitor:                enabled (Severity: notifications)\n")
            .Append("Logging linecard:               enabled (Severity: notifications)\n")
            .Append("Logging timestamp:              Seconds\n")
            .Append("Logging source-interface :      disabled\n")
            .Append("Logging rate-limit:             enabled\n")
            .Append("Logging server:                 disabled\n")
            .Append("Logging logflash:              enabled (Severity: notifications)\n")
            .Append("Logging logfile:                enabled\n")
            .Append("        Name - messages: Severity - notifications Size - 4194304\n")
            .Append('\n')
            .Append("Log File: \n");
        foreach (var line in Lines())
        {
            text.Append(line).Append('\n');
        }
        return CommandOutput.Ok(text.ToString()).AsTask();
    }

    private Task<CommandOutput> ShowLast(CommandContext context, CancellationToken cancellationToken)
    {
        var args = context.Args;
        if (args.Count != 1)
        {
            return context.InvalidArg(args.Count == 0 ? 0 : 1).AsTask();
        }
        if (!int.TryParse(args[0].Text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count is < 1 or > MaxLast)
        {
            return context.InvalidArg(0).AsTask();
        }
        var lines = Lines();
        var text = new StringBuilder();
        foreach (var line in lines.Skip(Math.Max(0, lines.Count - count)))
        {
            text.Append(line).Append('\n');
        }
        return CommandOutput.Ok(text.ToString()).AsTask();
    }

    private Task<CommandOutput> ShowLogfile(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Args.Count > 0)
        {
            return context.InvalidArg(0).AsTask();
        }
        var text = new StringBuilder();
        foreach (var line in Lines())
        {
            text.Append(line).Append('\n');
        }
        return CommandOutput.Ok(text.ToString()).AsTask();
    }

    /// <summary>The log's lines, oldest first: the last <see cref="MaxLogBytes"/> of it at most.</summary>
    private List<string> Lines()
    {
        if (device.SyslogPath is not { } path || !File.Exists(path))
        {
            return [];
        }
        byte[] tail;
        // The switch appends to its log while we read: share it, read its end.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            var start = Math.Max(0, stream.Length - MaxLogBytes);
            stream.Position = start;
            tail = new byte[stream.Length - start];
            stream.ReadExactly(tail);
            if (start > 0)
            {
                // Drop the partial first line.
                var newline = Array.IndexOf(tail, (byte)'\n');
                tail = newline < 0 ? [] : tail[(newline + 1)..];
            }
        }
        return [.. Encoding.UTF8.GetString(tail).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }
}
