using System.Diagnostics;
using System.Globalization;
using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>
/// Feeds 10,000 seeded mutants of the catalogue to the loader (what <c>poaplab validate</c>
/// runs): each must load or fail with a <see cref="ScenarioException"/> — no other exception,
/// no hang, no stack overflow (the loop runs on a 1 MiB stack, an eighth of the main
/// thread's). Reproduce a failure with <c>POAPLAB_FUZZ_SEED=&lt;seed&gt;</c>; the message
/// names the seed, the mutant's index and its source file, and shows the mutant.
/// </summary>
public sealed class ScenarioLoaderFuzzTests : IDisposable
{
    public const int DefaultSeed = 20260101;

    private const int Mutants = 10_000;

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("POAPLAB_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;

    [Fact]
    public void Parse_TenThousandMutants_OnlyScenarioExceptionsNoHang()
    {
        var fifo = Path.Combine(_dir, "fifo");
        using (var p = Process.Start("mkfifo", [fifo]))
        {
            p.WaitForExit(10_000).ShouldBeTrue();
        }
        var mutator = new ScenarioMutator(fifo);
        var seed = Seed;
        var current = -1;
        string? failure = null;
        int loaded = 0, refused = 0;
        var slowest = TimeSpan.Zero;
        var thread = new Thread(() =>
        {
            for (int i = 0; i < Mutants && failure is null; i++)
            {
                Volatile.Write(ref current, i);
                var (path, text) = mutator.Mutant(seed, i);
                var watch = Stopwatch.StartNew();
                try
                {
                    ScenarioLoader.Parse(text, path);
                    loaded++;
                }
                catch (ScenarioException e)
                {
                    refused++;
                    if (e.Location.Line < 1 || e.Location.Column < 1)
                    {
                        failure = Describe(seed, i, path, text, $"an error without a usable position: {e.Message}");
                    }
                }
                catch (Exception e)
                {
                    failure = Describe(seed, i, path, text, e.ToString());
                }
                if (watch.Elapsed > TimeSpan.FromSeconds(5))
                {
                    failure ??= Describe(seed, i, path, text, $"took {watch.Elapsed.TotalSeconds:0.0} s");
                }
                slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            }
        }, maxStackSize: 1 << 20) { IsBackground = true };
        var total = Stopwatch.StartNew();

        thread.Start();
        var ended = thread.Join(TimeSpan.FromSeconds(120));

        if (!ended)
        {
            var i = Volatile.Read(ref current);
            var (path, text) = mutator.Mutant(seed, i);
            Assert.Fail(Describe(seed, i, path, text, "still running after 120 s (a hang)"));
        }
        failure.ShouldBeNull();
        TestContext.Current.TestOutputHelper?.WriteLine($"fuzz seed {seed}: {loaded} mutants loaded, {refused} refused with file:line errors, in {total.Elapsed.TotalSeconds:0.0} s; slowest {slowest.TotalMilliseconds:0} ms");
        (loaded + refused).ShouldBe(Mutants);
        refused.ShouldBeGreaterThan(Mutants / 2);
        loaded.ShouldBeGreaterThan(100, "the mutants should not all be broken: some must reach the deeper checks");
    }

    internal static string Describe(int seed, int index, string path, string text, string what) =>
        $"fuzz seed {seed}, mutant {index} of {Path.GetFileName(path)}: {what}\n(reproduce: POAPLAB_FUZZ_SEED={seed}; the mutant follows)\n{ScenarioMutator.Show(text)}";
}
