using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// A scenario file that cannot be used: says which file, where, and what is wrong. A file with
/// several problems gives one exception holding all of them (<see cref="Errors"/>, in file
/// order); its <see cref="Location"/> and <see cref="Problem"/> are the first one's.
/// </summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(SourceLocation location, string problem)
        : base($"{location}: {problem}")
    {
        Location = location;
        Problem = problem;
        Errors = [this];
    }

    /// <summary>Several problems of one file, in file order (at least one).</summary>
    public ScenarioException(IReadOnlyList<ScenarioException> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.Message)))
    {
        if (errors.Count == 0)
        {
            throw new ArgumentException("at least one error", nameof(errors));
        }
        Location = errors[0].Location;
        Problem = errors[0].Problem;
        Errors = errors;
    }

    public SourceLocation Location { get; }

    public string Problem { get; }

    /// <summary>Every problem found in the file, each with its own file:line:col (this one alone when there was one).</summary>
    public IReadOnlyList<ScenarioException> Errors { get; }
}
