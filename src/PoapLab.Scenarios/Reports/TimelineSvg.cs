using System.Globalization;
using System.Text;
using PoapLab.Core.Events;

namespace PoapLab.Scenarios.Reports;

/// <summary>
/// One switch's timeline as an inline SVG: a lane per phase (<see cref="PhaseLane"/>), spans as
/// bars, CLI calls as ticks, attempts as dashed lines, failures as red diamonds, on the switch's
/// own clock. Details are in each shape's <c>&lt;title&gt;</c> (the browser's tooltip, no script).
/// Bounded: at most <see cref="MaxShapes"/> shapes; beyond, CLI ticks are merged and the picture says so.
/// </summary>
public static class TimelineSvg
{
    /// <summary>The most spans and marks drawn in one picture.</summary>
    public const int MaxShapes = 400;

    private const int Width = 1000;
    private const int LabelWidth = 120;
    private const int LaneHeight = 22;
    private const int Top = 8;
    private const int AxisHeight = 22;

    /// <summary>The picture of <paramref name="events"/> (one switch's, in order), whose clock ended at <paramref name="switchTime"/>.</summary>
    public static string Render(IReadOnlyList<LabEvent> events, TimeSpan switchTime)
    {
        var (spans, marks) = PhaseLanes.Build(events, switchTime);
        var end = new[] { switchTime, spans.Count > 0 ? spans.Max(s => s.End) : TimeSpan.Zero, marks.Count > 0 ? marks.Max(m => m.At) : TimeSpan.Zero }.Max();
        if (end <= TimeSpan.Zero)
        {
            end = TimeSpan.FromSeconds(1);
        }
        var lanes = Enum.GetValues<PhaseLane>();
        var plot = Width - LabelWidth - 10;
        double X(TimeSpan t) => LabelWidth + plot * Math.Clamp(t.TotalMilliseconds / end.TotalMilliseconds, 0, 1);
        double Y(PhaseLane l) => Top + (int)l * LaneHeight;
        var height = Top + lanes.Length * LaneHeight + AxisHeight;

        var svg = new StringBuilder(8 * 1024);
        svg.Append(Inv($"<svg class=\"tl\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {height}\" width=\"100%\" role=\"img\" aria-label=\"phases of this switch on its own clock\">"));
        foreach (var lane in lanes)
        {
            var y = Y(lane);
            svg.Append(Inv($"<rect class=\"lane{((int)lane % 2 == 0 ? " alt" : "")}\" x=\"0\" y=\"{y}\" width=\"{Width}\" height=\"{LaneHeight}\"/>"));
            svg.Append(Inv($"<text class=\"lname\" x=\"6\" y=\"{y + 15}\">{PhaseLanes.Name(lane)}</text>"));
        }
        // The axis: 5 to 10 ticks at a round step of switch time.
        var step = Step(end);
        var axisY = Top + lanes.Length * LaneHeight;
        for (var t = TimeSpan.Zero; t <= end; t += step)
        {
            var x = X(t);
            svg.Append(Inv($"<line class=\"grid\" x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{axisY}\"/><text class=\"axis\" x=\"{x:0.#}\" y=\"{axisY + 15}\">{Label(t)}</text>"));
        }
        var shapes = 0;
        foreach (var m in marks.Where(m => m.Kind == PhaseMarkKind.Attempt))
        {
            if (shapes++ >= MaxShapes)
            {
                break;
            }
            var x = X(m.At);
            svg.Append(Inv($"<line class=\"attempt\" x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{axisY}\"><title>{HtmlReport.H(Label(m.At) + " " + m.Label)}</title></line>"));
        }
        foreach (var s in spans)
        {
            if (shapes++ >= MaxShapes)
            {
                break;
            }
            var x1 = X(s.Start);
            var w = Math.Max(3, X(s.End) - x1);
            var cls = s.Failed ? "span failed" : s.Open ? "span open" : "span " + s.Lane.ToString().ToLowerInvariant();
            var title = $"{PhaseLanes.Name(s.Lane)} {Label(s.Start)} → {Label(s.End)} ({Label(s.End - s.Start)}){(s.Failed ? " FAILED" : s.Open ? " never finished" : "")}: {s.Label}";
            svg.Append(Inv($"<rect class=\"{cls}\" x=\"{x1:0.#}\" y=\"{Y(s.Lane) + 4}\" width=\"{w:0.#}\" height=\"{LaneHeight - 8}\" rx=\"3\"><title>{HtmlReport.H(title)}</title></rect>"));
        }
        // CLI ticks: one per call while there is room; beyond, one per pixel column with the count.
        var cli = marks.Where(m => m.Kind == PhaseMarkKind.Cli).ToList();
        var room = Math.Max(0, MaxShapes - shapes - marks.Count(m => m.Kind == PhaseMarkKind.Failure));
        var merged = cli.Count > room;
        foreach (var group in cli.GroupBy(m => (m.Lane, Column: merged ? (int)X(m.At) / 4 : (int)m.At.Ticks)).Take(room))
        {
            shapes++;
            var first = group.First();
            var x = X(first.At);
            var y = Y(first.Lane);
            var text = group.Count() == 1 ? $"{Label(first.At)} {first.Label}" : $"{Label(first.At)}: {group.Count()} CLI calls, first {first.Label}";
            svg.Append(Inv($"<line class=\"cli\" x1=\"{x:0.#}\" y1=\"{y + 3}\" x2=\"{x:0.#}\" y2=\"{y + LaneHeight - 3}\"><title>{HtmlReport.H(text)}</title></line>"));
        }
        foreach (var m in marks.Where(m => m.Kind == PhaseMarkKind.Failure).Take(Math.Max(0, MaxShapes - shapes + 50)))
        {
            var x = X(m.At);
            var y = Y(m.Lane) + LaneHeight / 2.0;
            svg.Append(Inv($"<path class=\"fail\" d=\"M{x:0.#} {y - 6:0.#} l6 6 l-6 6 l-6 -6 z\"><title>{HtmlReport.H(Label(m.At) + " " + m.Label)}</title></path>"));
        }
        svg.Append("</svg>");
        if (merged || spans.Count + marks.Count > MaxShapes)
        {
            svg.Append(Inv($"<p class=\"limit\">{cli.Count} CLI calls and {spans.Count} spans: merged to fit the picture; timeline.txt lists every event.</p>"));
        }
        return svg.ToString();
    }

    private static TimeSpan Step(TimeSpan end)
    {
        TimeSpan[] steps = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10),
            TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
            TimeSpan.FromHours(6), TimeSpan.FromDays(1), TimeSpan.FromDays(7), TimeSpan.FromDays(30), TimeSpan.FromDays(365)];
        return steps.FirstOrDefault(s => end / s <= 10, TimeSpan.FromDays(Math.Ceiling(end.TotalDays / 10)));
    }

    private static string Label(TimeSpan t) =>
        t.TotalDays >= 1 ? Inv($"{(int)t.TotalDays}d{t.Hours}h")
        : t.TotalHours >= 1 ? Inv($"{(int)t.TotalHours}h{t.Minutes:00}m")
        : t.TotalMinutes >= 1 ? Inv($"{(int)t.TotalMinutes}m{t.Seconds:00}s")
        : t.TotalSeconds >= 10 || t.Milliseconds == 0 ? Inv($"{t.TotalSeconds:0}s")
        : Inv($"{t.TotalSeconds:0.###}s");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
