using System.Security;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PoapLab.Switch.Cli;

/// <summary>
/// Structured output as NX-OS prints it for <c>clid()</c>, <c>| json</c> and <c>| xml</c>.
/// Tables follow NX-OS's shape: <c>TABLE_x</c> holds <c>ROW_x</c>, which is an object
/// when there is one row and an array when there are several (scripts index
/// <c>['ROW_cdp_neighbor_brief_info']['device_id']</c> and break on a second neighbour).
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions Compact = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    private static readonly JsonSerializerOptions Pretty = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    /// <summary>Adds <c>TABLE_name: { ROW_name: row | [rows] }</c> to <paramref name="target"/>; nothing for no rows.</summary>
    public static void AddTable(JsonObject target, string name, IReadOnlyList<JsonObject> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        JsonNode row = rows.Count == 1 ? rows[0] : new JsonArray([.. rows]);
        target["TABLE_" + name] = new JsonObject { ["ROW_" + name] = row };
    }

    /// <summary>A list value the NX-OS way: one element alone, several as an array.</summary>
    public static JsonNode? OneOrMany(IReadOnlyList<string> values) =>
        values.Count switch
        {
            0 => null,
            1 => JsonValue.Create(values[0]),
            _ => new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]),
        };

    /// <summary>The JSON text: one line, as <c>clid</c> returns it; indented for <c>json-pretty</c>.</summary>
    public static string ToJson(JsonObject data, bool pretty) =>
        data.ToJsonString(pretty ? Pretty : Compact) + "\n";

    /// <summary>The NETCONF-style XML NX-OS prints for <c>| xml</c>.</summary>
    public static string ToXml(JsonObject data, IReadOnlyList<string> keywords)
    {
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n");
        sb.Append("<nf:rpc-reply xmlns=\"http://www.cisco.com/nxos:1.0\" xmlns:nf=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n");
        sb.Append(" <nf:data>\n");
        var depth = 2;
        foreach (var k in keywords)
        {
            sb.Append(' ', depth).Append('<').Append(ElementName(k)).Append(">\n");
            depth++;
        }
        sb.Append(' ', depth).Append("<__readonly__>\n");
        WriteObject(sb, data, depth + 1);
        sb.Append(' ', depth).Append("</__readonly__>\n");
        for (var i = keywords.Count - 1; i >= 0; i--)
        {
            depth--;
            sb.Append(' ', depth).Append("</").Append(ElementName(keywords[i])).Append(">\n");
        }
        sb.Append(" </nf:data>\n");
        sb.Append("</nf:rpc-reply>\n]]>]]>\n");
        return sb.ToString();
    }

    private static void WriteObject(StringBuilder sb, JsonObject obj, int depth)
    {
        foreach (var (key, value) in obj)
        {
            if (value is JsonArray array)
            {
                foreach (var item in array)
                {
                    WriteElement(sb, key, item, depth);
                }
            }
            else
            {
                WriteElement(sb, key, value, depth);
            }
        }
    }

    private static void WriteElement(StringBuilder sb, string name, JsonNode? value, int depth)
    {
        var element = ElementName(name);
        sb.Append(' ', depth).Append('<').Append(element).Append('>');
        if (value is JsonObject child)
        {
            sb.Append('\n');
            WriteObject(sb, child, depth + 1);
            sb.Append(' ', depth);
        }
        else if (value is not null)
        {
            var text = value.GetValueKind() == JsonValueKind.String
                ? value.GetValue<string>()
                : value.ToJsonString();
            sb.Append(SecurityElement.Escape(text));
        }
        sb.Append("</").Append(element).Append(">\n");
    }

    private static string ElementName(string key) => key.Replace('-', '_');
}
