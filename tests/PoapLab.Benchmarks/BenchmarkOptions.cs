using System.Globalization;

namespace PoapLab.Benchmarks;

/// <summary>The command line of the benchmark.</summary>
internal sealed record BenchmarkOptions
{
    public const string Usage =
        "usage: dotnet run -c Release --project tests/PoapLab.Benchmarks -- [--size 100MB] [--runs 3] [--warmup 1] [--out DIR] [--work DIR] [--scenarios DIR]\n" +
        "  --size       image size (B KB MB GB binary, as NX-OS prints kB; KiB MiB GiB too); default 100MB\n" +
        "  --runs       measured runs per protocol (median reported); default 3\n" +
        "  --warmup     unmeasured runs per protocol with a 1 MiB image first (JIT, page cache); default 1\n" +
        "  --out        directory for benchmark.json\n" +
        "  --work       where the benchmark makes its working folder (scenarios, run outputs, the floors' files; all removed at the end); default the temp directory (TMPDIR)\n" +
        "  --scenarios  directory holding happy-path-tftp.yaml and happy-path-http.yaml; default: found above the program\n" +
        "  --fleet      N,N,...: the fleet mode instead: one scenario of N switches per N (1 MiB image), over HTTP and TFTP, beside N bare python3 runs\n" +
        "  --parallel   switches at once in the fleet mode (as poaplab run --parallel); default 6\n" +
        "  --servers    dhcp,tftp,http or all: the servers mode instead: each embedded server beside Kea (perfdhcp), tftpd-hpa, nginx (curl)";

    public long ImageBytes { get; init; } = 100L * 1024 * 1024;

    public int Runs { get; init; } = 3;

    public int Warmup { get; init; } = 1;

    public string? OutputDirectory { get; init; }

    /// <summary>Where the working folder is made; null for the temp directory.</summary>
    public string? WorkParent { get; init; }

    public string? ScenarioDirectory { get; init; }

    /// <summary>The fleet sizes of the fleet mode; empty for the happy-path benchmark.</summary>
    public IReadOnlyList<int> Fleet { get; init; } = [];

    /// <summary>The servers of the servers mode (dhcp, tftp, http); empty for the happy-path benchmark.</summary>
    public IReadOnlySet<string> Servers { get; init; } = new HashSet<string>();

    /// <summary>Switches at once in the fleet mode.</summary>
    public int Parallel { get; init; } = 6;

    /// <summary>Parses the arguments; returns null and an error message when they are wrong.</summary>
    public static BenchmarkOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new BenchmarkOptions();
        error = null;
        for (int i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                error = "";
                return null;
            }
            if (i + 1 >= args.Count)
            {
                error = $"{name} needs a value";
                return null;
            }
            var value = args[++i];
            switch (name)
            {
                case "--size":
                    if (!TryParseSize(value, out var bytes) || bytes <= 0 || bytes > 8L * 1024 * 1024 * 1024)
                    {
                        error = $"--size {value}: give a size such as 100MB, 512KiB or 1GB (at most 8 GB)";
                        return null;
                    }
                    options = options with { ImageBytes = bytes };
                    break;
                case "--runs":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var runs) || runs is < 1 or > 50)
                    {
                        error = $"--runs {value}: give a number from 1 to 50";
                        return null;
                    }
                    options = options with { Runs = runs };
                    break;
                case "--warmup":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var warmup) || warmup > 10)
                    {
                        error = $"--warmup {value}: give a number from 0 to 10";
                        return null;
                    }
                    options = options with { Warmup = warmup };
                    break;
                case "--out":
                    options = options with { OutputDirectory = value };
                    break;
                case "--work":
                    if (!Directory.Exists(value))
                    {
                        error = $"--work {value}: no such directory";
                        return null;
                    }
                    options = options with { WorkParent = Path.GetFullPath(value) };
                    break;
                case "--fleet":
                    var sizes = new List<int>();
                    foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size is < 1 or > 60_000)
                        {
                            error = $"--fleet {value}: give switch counts from 1 to 60000, such as 10,100,1000";
                            return null;
                        }
                        sizes.Add(size);
                    }
                    if (sizes.Count == 0)
                    {
                        error = $"--fleet {value}: give switch counts such as 10,100,1000";
                        return null;
                    }
                    options = options with { Fleet = sizes };
                    break;
                case "--parallel":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parallel) || parallel is < 1 or > 1000)
                    {
                        error = $"--parallel {value}: give a number from 1 to 1000";
                        return null;
                    }
                    options = options with { Parallel = parallel };
                    break;
                case "--servers":
                    var servers = value == "all" ? ["dhcp", "tftp", "http"] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (servers.Length == 0 || servers.Any(s => s is not ("dhcp" or "tftp" or "http")))
                    {
                        error = $"--servers {value}: give all, or some of dhcp,tftp,http";
                        return null;
                    }
                    options = options with { Servers = servers.ToHashSet(StringComparer.Ordinal) };
                    break;
                case "--scenarios":
                    options = options with { ScenarioDirectory = value };
                    break;
                default:
                    error = $"unknown option {name}";
                    return null;
            }
        }
        return options;
    }

    /// <summary>Sizes as the scenario files write them: binary multiples, as NX-OS prints kB.</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var t = text.Trim();
        int split = 0;
        while (split < t.Length && (char.IsAsciiDigit(t[split]) || t[split] == '.'))
        {
            split++;
        }
        if (split == 0 || !double.TryParse(t[..split], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        long? unit = t[split..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "K" or "KB" or "KIB" => 1024L,
            "M" or "MB" or "MIB" => 1024L * 1024,
            "G" or "GB" or "GIB" => 1024L * 1024 * 1024,
            _ => null,
        };
        if (unit is null)
        {
            return false;
        }
        bytes = (long)Math.Round(number * unit.Value);
        return true;
    }

    public static string FormatSize(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB ({bytes} bytes)" : $"{bytes} bytes";

    /// <summary>
    /// A new private (0700) working folder named <paramref name="prefix"/>… under <see cref="WorkParent"/>,
    /// or in the temp directory.
    /// </summary>
    public string CreateWorkDirectory(string prefix)
    {
        if (WorkParent is null)
        {
            return Directory.CreateTempSubdirectory(prefix).FullName;
        }
        var path = Path.Combine(WorkParent, prefix + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
