using PoapLab.Scenarios.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// Hands YamlDotNet's event stream on and fails as soon as mappings and lists nest deeper
/// than a limit: the node builder recurses once per level, so 20,000 nested brackets would
/// otherwise overflow the stack and end the process, not just the load.
/// </summary>
internal sealed class DepthLimitedParser(IParser inner, string path, int maxDepth) : IParser
{
    private int _depth;

    /// <summary>The mappings and lists open now: where each began, and whether it is a flow one (<c>{</c> or <c>[</c>).</summary>
    private readonly Stack<(Mark Start, bool Flow, bool Mapping)> _open = new();

    /// <summary>The innermost <c>{</c> or <c>[</c> not closed yet, when the parser gives up: its position and its bracket.</summary>
    public (SourceLocation Location, char Bracket)? UnclosedFlow =>
        _open.Where(o => o.Flow).Select(o => ((SourceLocation, char)?)(Locate(o.Start), o.Mapping ? '{' : '[')).FirstOrDefault();

    private SourceLocation Locate(Mark at) =>
        new(path, (int)Math.Clamp(at.Line, 1, int.MaxValue), (int)Math.Clamp(at.Column, 1, int.MaxValue));

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }
        switch (inner.Current)
        {
            case MappingStart or SequenceStart:
                _open.Push((inner.Current.Start, inner.Current is MappingStart { Style: MappingStyle.Flow } or SequenceStart { Style: SequenceStyle.Flow }, inner.Current is MappingStart));
                if (++_depth > maxDepth)
                {
                    var at = inner.Current.Start;
                    throw new ScenarioException(new SourceLocation(path, (int)Math.Clamp(at.Line, 1, int.MaxValue), (int)Math.Clamp(at.Column, 1, int.MaxValue)),
                        $"mappings and lists nest more than {maxDepth} deep");
                }
                break;
            case MappingEnd or SequenceEnd:
                _open.TryPop(out _);
                _depth--;
                break;
        }
        return true;
    }
}
