using System.Globalization;
using PoapLab.Benchmarks.Reference;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Model;
using PoapLab.Scenarios.Running;

namespace PoapLab.Benchmarks;

/// <summary>Everything measured for one protocol: per-run values of each phase, both sides.</summary>
internal sealed class ProtocolFigures(string protocol, string scenario)
{
    public string Protocol { get; } = protocol;

    public string Scenario { get; } = scenario;

    public Dictionary<Phase, List<double>> PoapLab { get; } = [];

    public Dictionary<Phase, List<double>> Reference { get; } = [];

    /// <summary>Real time of each whole <see cref="ScenarioRunner.RunAsync"/> (image generation, servers, artifacts included).</summary>
    public List<double> RunAsyncMs { get; } = [];

    /// <summary>What each reference row ran (or why it was skipped).</summary>
    public Dictionary<Phase, string> ReferenceHow { get; } = [];

    public List<string> Notes { get; } = [];

    public static void Add(Dictionary<Phase, List<double>> into, Phase phase, double ms)
    {
        if (!into.TryGetValue(phase, out var list))
        {
            into[phase] = list = [];
        }
        list.Add(ms);
    }
}

/// <summary>
/// Runs one protocol's happy path through <see cref="ScenarioRunner"/> and the reference tools
/// doing the same parts, alternating run by run so drift on the machine hits both alike.
/// </summary>
internal sealed class ProtocolBenchmark(ScenarioRunner runner, ReferenceTools tools, BenchmarkOptions options, string workDirectory)
{
    private static readonly TimeSpan ScenarioLimit = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan TransferLimit = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ShortLimit = TimeSpan.FromMinutes(1);

    public async Task<ProtocolFigures> RunAsync(string protocol, Scenario scenario, CancellationToken cancellationToken)
    {
        var figures = new ProtocolFigures(protocol, scenario.Name);
        var imageFile = scenario.Files.SingleOrDefault(f => f.ImageVersion is not null)
            ?? throw new InvalidOperationException($"{scenario.FilePath}: the happy path serves no generated image");
        var scriptFile = scenario.Files.SingleOrDefault(f => f.Script is not null)
            ?? throw new InvalidOperationException($"{scenario.FilePath}: the happy path serves no script");
        var sized = WithImage(scenario, options.ImageBytes);

        for (int i = 0; i < options.Warmup; i++)
        {
            Console.Error.WriteLine($"[{protocol}] warm-up {i + 1}/{options.Warmup} (1 MiB image)");
            var warm = await RunPoapLabAsync(WithImage(scenario, 1024 * 1024), cancellationToken).ConfigureAwait(false);
            if (!warm.Passed)
            {
                figures.Notes.Add($"warm-up run did not pass: {string.Join("; ", warm.Failures)}");
            }
        }

        var root = Path.Combine(workDirectory, protocol + "-root");
        var downloads = Path.Combine(workDirectory, protocol + "-downloads");
        var stub = Path.Combine(workDirectory, protocol + "-stub");
        // tftpd-hpa chroots here and then drops to an unprivileged user: it must be able to read it.
        if (OperatingSystem.IsWindows())
        {
            throw new InvalidOperationException("the reference servers (tftpd-hpa, nginx) need Linux");
        }
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        Directory.CreateDirectory(downloads);
        Directory.CreateDirectory(stub);
        Console.Error.WriteLine($"[{protocol}] materialising the reference files ({BenchmarkOptions.FormatSize(options.ImageBytes)} image)");
        ScenarioFiles.Materialise(sized.Files, root, null, sized.Seed);
        // Materialise leaves the root private (0700): tftpd-hpa reads it as the user it drops to.
        OpenToRead(root);
        var imageHash = ReadCompanionHash(Path.Combine(root, imageFile.Path));
        var scriptCopy = Path.Combine(stub, Path.GetFileName(scriptFile.Path));
        File.Copy(Path.Combine(root, scriptFile.Path), scriptCopy, overwrite: true);
        await File.WriteAllTextAsync(Path.Combine(stub, "cli.py"), StubCli.ModuleText, cancellationToken).ConfigureAwait(false);

        ReferenceServer? server = null;
        try
        {
            server = await StartServerAsync(protocol, root, scriptFile.Path, figures, cancellationToken).ConfigureAwait(false);
            for (int run = 1; run <= options.Runs; run++)
            {
                Console.Error.WriteLine($"[{protocol}] run {run}/{options.Runs}: PoapLab");
                var result = await RunPoapLabAsync(sized, cancellationToken).ConfigureAwait(false);
                figures.RunAsyncMs.Add(result.RealDuration.TotalMilliseconds);
                if (!result.Passed)
                {
                    figures.Notes.Add($"run {run}: the scenario did not pass: {string.Join("; ", result.Failures)}");
                }
                try
                {
                    foreach (var (phase, ms) in PhaseTimes.Compute(result.Timeline, imageFile.Path))
                    {
                        ProtocolFigures.Add(figures.PoapLab, phase, ms);
                    }
                }
                catch (InvalidOperationException e)
                {
                    figures.Notes.Add($"run {run}: PoapLab phases not measurable: {e.Message}");
                }
                Console.Error.WriteLine($"[{protocol}] run {run}/{options.Runs}: reference tools");
                await RunReferenceAsync(protocol, server, root, downloads, stub, scriptCopy, scriptFile.Path, imageFile.Path, imageHash, sized, figures, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            server?.Dispose();
            Directory.Delete(root, recursive: true);
            Directory.Delete(downloads, recursive: true);
            Directory.Delete(stub, recursive: true);
        }
        return figures;
    }

    private async Task<ScenarioResult> RunPoapLabAsync(Scenario scenario, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(ScenarioLimit);
        var outDir = Path.Combine(workDirectory, "poaplab-out");
        try
        {
            return await runner.RunAsync(scenario, new RunOptions(outDir), limit.Token).ConfigureAwait(false);
        }
        finally
        {
            if (Directory.Exists(outDir))
            {
                Directory.Delete(outDir, recursive: true);
            }
        }
    }

    /// <summary>Every directory under <paramref name="root"/> 0755 and every file 0644, for a reference server that reads them as another user.</summary>
    internal static void OpenToRead(string root)
    {
        const UnixFileMode File644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Dir755 = File644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        // The root too: tftpd-hpa chroots into it before it drops to its user.
        File.SetUnixFileMode(root, Dir755);
        foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(dir, Dir755);
        }
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(file, File644);
        }
    }

    private async Task<ReferenceServer?> StartServerAsync(string protocol, string root, string scriptPath, ProtocolFigures figures, CancellationToken cancellationToken)
    {
        var need = protocol == "tftp" ? tools.Tftpd : tools.Nginx;
        if (tools.Curl is null || need is null)
        {
            figures.Notes.Add($"reference transfers skipped: {(tools.Curl is null ? "curl" : protocol == "tftp" ? "tftpd-hpa" : "nginx")} is not installed");
            return null;
        }
        try
        {
            var server = protocol == "tftp"
                ? await ReferenceServer.StartTftpdAsync(root, tools.Curl, scriptPath, cancellationToken).ConfigureAwait(false)
                : await ReferenceServer.StartNginxAsync(need, root, cancellationToken).ConfigureAwait(false);
            figures.Notes.Add($"reference server: {server.Description}");
            return server;
        }
        catch (InvalidOperationException e)
        {
            figures.Notes.Add($"reference transfers skipped: {e.Message}");
            return null;
        }
    }

    private async Task RunReferenceAsync(string protocol, ReferenceServer? server, string root, string downloads, string stub, string scriptCopy,
        string scriptPath, string imagePath, string? imageHash, Scenario scenario, ProtocolFigures figures, CancellationToken cancellationToken)
    {
        var imageOut = Path.Combine(downloads, Path.GetFileName(imagePath));
        if (server is not null && tools.Curl is not null)
        {
            var scriptOut = Path.Combine(downloads, Path.GetFileName(scriptPath));
            await CurlAsync(protocol, server, scriptPath, scriptOut, Path.Combine(root, scriptPath), Phase.ScriptDownload, ShortLimit, figures, cancellationToken).ConfigureAwait(false);
            await CurlAsync(protocol, server, imagePath, imageOut, Path.Combine(root, imagePath), Phase.ImageTransfer, TransferLimit, figures, cancellationToken).ConfigureAwait(false);
        }
        if (tools.Md5sum is not null)
        {
            // md5sum reads the copy curl just wrote, as the switch hashes the copy it just wrote;
            // without curl it hashes the served file.
            var target = File.Exists(imageOut) ? imageOut : Path.Combine(root, imagePath);
            var md5 = await TimedProcess.RunAsync(tools.Md5sum, [target], null, null, TransferLimit, cancellationToken).ConfigureAwait(false);
            var got = md5.Stdout.Split(' ', 2)[0];
            Record(figures, Phase.Md5, md5, $"md5sum FILE ({Path.GetFileName(target)})",
                md5.Succeeded && imageHash is not null && got != imageHash ? $"md5sum printed {got}, the image's .md5 says {imageHash}" : null);
        }
        else
        {
            figures.ReferenceHow[Phase.Md5] = "skipped: md5sum is not installed";
        }
        File.Delete(imageOut);

        if (tools.Python is { } python)
        {
            var fakeRoot = Path.Combine(stub, "root");
            if (Directory.Exists(fakeRoot))
            {
                Directory.Delete(fakeRoot, recursive: true);
            }
            Directory.CreateDirectory(Path.Combine(fakeRoot, "bootflash"));
            Directory.CreateDirectory(Path.Combine(fakeRoot, "tmp"));
            await File.WriteAllTextAsync(Path.Combine(fakeRoot, "tmp", "first_setup.log"), "START: first setup\n", cancellationToken).ConfigureAwait(false);
            var sw = scenario.Switches[0];
            var env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [StubCli.RootVariable] = fakeRoot,
                ["POAP_SERIAL"] = sw.Serial,
                ["POAP_MAC"] = sw.Mac.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant(),
                ["POAP_PID"] = "4242",
                ["POAP_VRF"] = "management",
                ["POAP_INTF"] = sw.Interface,
                ["POAP_PHASE"] = "DHCP",
            };
            var run = await TimedProcess.RunAsync(python.Executable, [scriptCopy], stub, env, ShortLimit, cancellationToken).ConfigureAwait(false);
            Record(figures, Phase.ScriptRun, run,
                $"{python.Executable} {Path.GetFileName(scriptCopy)} ({python.Version}) with a stub cli module that answers at once: interpreter start + the script's own work",
                null);
        }
        else
        {
            figures.ReferenceHow[Phase.ScriptRun] = "skipped: no Python interpreter";
        }
    }

    private async Task CurlAsync(string protocol, ReferenceServer server, string path, string output, string served, Phase phase, TimeSpan limit, ProtocolFigures figures, CancellationToken cancellationToken)
    {
        var url = $"{protocol}://127.0.0.1:{server.Port}/{path.TrimStart('/')}";
        // The switch sends a plain RFC 1350 RRQ (no options: 512-byte blocks, one in flight);
        // --tftp-no-options makes curl ask the same.
        List<string> args = protocol == "tftp"
            ? ["-s", "--tftp-no-options", "--max-time", ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-o", output, url]
            : ["-s", "--fail", "--max-time", ((int)limit.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-o", output, url];
        var run = await TimedProcess.RunAsync(tools.Curl!, args, null, null, limit + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var want = new FileInfo(served).Length;
        var got = File.Exists(output) ? new FileInfo(output).Length : -1;
        var how = protocol == "tftp" ? $"curl -s --tftp-no-options -o FILE {url}" : $"curl -s --fail -o FILE {url}";
        Record(figures, phase, run, how,
            run.Succeeded && got != want ? $"curl wrote {got} bytes of {want}" : null);
    }

    private static void Record(ProtocolFigures figures, Phase phase, TimedRun run, string how, string? problem)
    {
        figures.ReferenceHow[phase] = how;
        if (!run.Succeeded || problem is not null)
        {
            figures.Notes.Add($"reference {phase}: {problem ?? run.Problem} ({how}); this run does not count");
            return;
        }
        ProtocolFigures.Add(figures.Reference, phase, run.Milliseconds);
    }

    private static string? ReadCompanionHash(string imagePath)
    {
        var companion = imagePath + ".md5";
        return File.Exists(companion) ? File.ReadAllText(companion).Split([' ', '\n', '='], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => w.Length == 32) : null;
    }

    /// <summary>The scenario with its generated image resized, and time for the script to move it.</summary>
    internal static Scenario WithImage(Scenario scenario, long bytes) => scenario with
    {
        Files = [.. scenario.Files.Select(f => f.ImageVersion is null ? f : f with { ImageBytes = bytes })],
        // The catalogue's 2-minute script timeout is real time: a slow machine at a large size
        // must not turn the benchmark into a timeout.
        Switches = [.. scenario.Switches.Select(s => s with { ScriptTimeout = TimeSpan.FromMinutes(15) })],
    };
}
