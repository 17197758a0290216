using System.Text.Encodings.Web;
using System.Text.Json;

namespace PoapLab.Scenarios.Reports;

internal static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
