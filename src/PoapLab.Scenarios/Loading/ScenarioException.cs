using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Loading;

/// <summary>A scenario file that cannot be used: says which file, where, and what is wrong.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(SourceLocation location, string problem)
        : base($"{location}: {problem}")
    {
        Location = location;
        Problem = problem;
    }

    public SourceLocation Location { get; }

    public string Problem { get; }
}
