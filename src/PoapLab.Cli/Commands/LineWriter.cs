using System.Text;

namespace PoapLab.Cli.Commands;

/// <summary>A writer that hands each whole line it is given to an action (a command's error or log lines), thread-safe.</summary>
internal sealed class LineWriter(Action<string> line) : TextWriter
{
    private readonly Action<string> _line = line;
    private readonly StringBuilder _pending = new();
    private readonly Lock _gate = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        string? done = null;
        lock (_gate)
        {
            if (value == '\n')
            {
                done = _pending.ToString().TrimEnd('\r');
                _pending.Clear();
            }
            else
            {
                _pending.Append(value);
            }
        }
        if (done is not null)
        {
            _line(done);
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "")
        {
            Write(c);
        }
    }

    public override void WriteLine(string? value)
    {
        string text;
        lock (_gate)
        {
            text = _pending.Append(value).ToString();
            _pending.Clear();
        }
        _line(text);
    }
}
