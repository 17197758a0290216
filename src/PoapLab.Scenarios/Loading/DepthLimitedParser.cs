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
                if (++_depth > maxDepth)
                {
                    var at = inner.Current.Start;
                    throw new ScenarioException(new SourceLocation(path, (int)Math.Clamp(at.Line, 1, int.MaxValue), (int)Math.Clamp(at.Column, 1, int.MaxValue)),
                        $"mappings and lists nest more than {maxDepth} deep");
                }
                break;
            case MappingEnd or SequenceEnd:
                _depth--;
                break;
        }
        return true;
    }
}
