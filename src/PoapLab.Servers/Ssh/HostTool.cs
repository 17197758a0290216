using System.Diagnostics;

namespace PoapLab.Servers.Ssh;

/// <summary>What a short-lived host tool printed and how it ended.</summary>
internal readonly record struct HostToolResult(int ExitCode, string Output, string Error);

/// <summary>Runs a short host tool (ssh-keygen, chpasswd) to completion, bounded in time.</summary>
internal static class HostTool
{
    public static async Task<HostToolResult> RunAsync(string file, IEnumerable<string> arguments, string? input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(bounded.Token);
            var error = process.StandardError.ReadToEndAsync(bounded.Token);
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), bounded.Token).ConfigureAwait(false);
            }
            process.StandardInput.Close();
            await process.WaitForExitAsync(bounded.Token).ConfigureAwait(false);
            return new HostToolResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout.TotalSeconds:0} s.");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
