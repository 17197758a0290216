using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using PoapLab.Core.Processes;

namespace PoapLab.Lab.Hardware;

public static partial class SwitchProbe
{
    private const int MaxSshErrorBytes = 64 * 1024;

    /// <summary>
    /// The askpass program: prints the password it finds in its environment (never on disk nor on
    /// a command line, where <c>ps</c> would show it). ssh(1) runs it for the password prompt when
    /// <c>SSH_ASKPASS_REQUIRE=force</c>.
    /// </summary>
    internal const string AskpassScript = "#!/bin/sh\nprintf '%s\\n' \"$POAPLAB_PROBE_SECRET\"\n";

    /// <summary>
    /// ssh(1)'s options for a probe: no configuration file, no host key trusted on first use nor
    /// written anywhere (known hosts are /dev/null: a switch at day 0 has a new key each time), no
    /// keys or agent, one password try, bounded connection and keep-alives (ssh_config(5)).
    /// </summary>
    internal static IReadOnlyList<string> SshArguments(SwitchProbeOptions options, IPAddress address) =>
    [
        "-F", "/dev/null",
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "UpdateHostKeys=no",
        "-o", "CheckHostIP=no",
        "-o", "PubkeyAuthentication=no",
        "-o", "IdentityAgent=none",
        "-o", "PreferredAuthentications=keyboard-interactive,password",
        "-o", "NumberOfPasswordPrompts=1",
        "-o", "ConnectionAttempts=1",
        "-o", $"ConnectTimeout={Math.Max(1, (int)options.TryTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)}",
        "-o", "ServerAliveInterval=5",
        "-o", "ServerAliveCountMax=2",
        "-o", "LogLevel=ERROR",
        "-T",
        "-p", options.SshPort.ToString(CultureInfo.InvariantCulture),
        "-l", options.Credentials.User,
        "--", address.ToString(), "show version | json",
    ];

    private static async Task<ProbeFacts> SshAsync(SwitchProbeOptions options, IPAddress address, IReadOnlyList<string> commandPrefix, TimeProvider time, CancellationToken cancellationToken)
    {
        var target = $"ssh {options.Credentials.User}@{address}:{options.SshPort.ToString(CultureInfo.InvariantCulture)}";
        // The askpass program lives in a private folder of its own (0700), removed when the probe ends.
        var folder = Directory.CreateTempSubdirectory("poaplab-probe-");
        try
        {
            var askpass = Path.Combine(folder.FullName, "askpass");
            await File.WriteAllTextAsync(askpass, AskpassScript, cancellationToken).ConfigureAwait(false);
            File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            return await RetryAsync("ssh", target, options, time, ct => SshOnceAsync(options, address, commandPrefix, askpass, folder.FullName, target, ct), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static async Task<ProbeFacts> SshOnceAsync(
        SwitchProbeOptions options, IPAddress address, IReadOnlyList<string> commandPrefix, string askpass, string home, string target, CancellationToken cancellationToken)
    {
        var command = new List<string>(commandPrefix) { "ssh" };
        command.AddRange(SshArguments(options, address));
        var start = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = home,
        };
        foreach (var a in command.Skip(1))
        {
            start.ArgumentList.Add(a);
        }
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
        start.Environment["HOME"] = home;
        start.Environment["SSH_ASKPASS"] = askpass;
        start.Environment["SSH_ASKPASS_REQUIRE"] = "force";
        start.Environment["DISPLAY"] = "poaplab-probe:0";
        start.Environment["POAPLAB_PROBE_SECRET"] = options.Credentials.Password;
        Process process;
        try
        {
            process = ChildProcessLauncher.Start(start);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return new ProbeFacts("ssh", target, ProbeOutcome.Failed, null, null, null, null, $"ssh could not be started (apt-get install openssh-client): {Clean(e.Message)}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var output = ReadBoundedAsync(process.StandardOutput.BaseStream, options.MaxAnswerBytes, CancellationToken.None);
            var error = ReadBoundedAsync(process.StandardError.BaseStream, MaxSshErrorBytes, CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                throw;
            }
            var stdout = await output.ConfigureAwait(false);
            var stderr = Encoding.UTF8.GetString(await error.ConfigureAwait(false) ?? []);
            var firstError = Clean(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(l => !l.StartsWith("Warning:", StringComparison.Ordinal)) ?? "");
            if (process.ExitCode == 255)
            {
                if (stderr.Contains("Permission denied", StringComparison.Ordinal) || stderr.Contains("Too many authentication failures", StringComparison.Ordinal))
                {
                    return new ProbeFacts("ssh", target, ProbeOutcome.AuthRefused, null, null, null, null, $"the login of {options.Credentials.User} was refused ({firstError})");
                }
                if (stderr.Contains("timed out", StringComparison.OrdinalIgnoreCase))
                {
                    return new ProbeFacts("ssh", target, ProbeOutcome.Timeout, null, null, null, null, $"ssh: {firstError}");
                }
                if (stderr.Contains("Connection refused", StringComparison.Ordinal) || stderr.Contains("No route to host", StringComparison.Ordinal)
                    || stderr.Contains("Network is unreachable", StringComparison.Ordinal) || stderr.Contains("Connection closed", StringComparison.Ordinal)
                    || stderr.Contains("Connection reset", StringComparison.Ordinal))
                {
                    return new ProbeFacts("ssh", target, ProbeOutcome.Unreachable, null, null, null, null, $"ssh: {firstError}");
                }
                return new ProbeFacts("ssh", target, ProbeOutcome.Failed, null, null, null, null, $"ssh: {(firstError.Length > 0 ? firstError : "exit 255")}");
            }
            if (stdout is null)
            {
                return new ProbeFacts("ssh", target, ProbeOutcome.Malformed, null, null, null, null, $"the answer is more than the {options.MaxAnswerBytes} bytes a show version can take: not read");
            }
            if (process.ExitCode != 0)
            {
                return new ProbeFacts("ssh", target, ProbeOutcome.Failed, null, null, null, null, $"show version over ssh ended with exit status {process.ExitCode}: {firstError}");
            }
            try
            {
                using var json = JsonDocument.Parse(stdout, new JsonDocumentOptions { MaxDepth = 32 });
                return FromShowVersion("ssh", target, json.RootElement);
            }
            catch (JsonException e)
            {
                return new ProbeFacts("ssh", target, ProbeOutcome.Malformed, null, null, null, null, $"show version | json did not answer JSON ({Clean(e.Message)})");
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill();
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
