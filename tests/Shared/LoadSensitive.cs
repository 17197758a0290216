namespace PoapLab.Testing;

/// <summary>
/// Tests that either load the machine hard (fork and CPU bombs, hundreds of switches) or
/// compare switch-time timelines whose real-time waits are capped (a loaded machine turns a
/// late answer into a modelled timeout): they run in this collection, after the parallel
/// tests and one at a time, so neither kind disturbs the other. (`run-tests.sh` also runs
/// the test assemblies one after another, for the same reason across assemblies.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadSensitive
{
    public const string Name = "load-sensitive";
}
