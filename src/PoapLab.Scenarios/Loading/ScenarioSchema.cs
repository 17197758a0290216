using System.Text.Json;
using System.Text.Json.Nodes;

namespace PoapLab.Scenarios.Loading;

/// <summary>
/// The JSON Schema (draft-07, what yaml-language-server and most editors read) of scenario
/// files, generated from <see cref="ScenarioKeys"/>: <c>poaplab schema</c> writes it, and
/// <c>schema/scenario.schema.json</c> in the repository is checked to be what it writes.
/// It helps an editor complete and check keys; the loader stays the judge (ranges that
/// depend on other keys, files on disk).
/// </summary>
public static class ScenarioSchema
{
    /// <summary>The schema, as indented JSON ending with a newline.</summary>
    public static string Generate()
    {
        var definitions = new JsonObject();
        foreach (var shape in ScenarioKeys.Shapes.Values.Where(s => s.Name != ScenarioKeys.Root).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            definitions[shape.Name] = Object(shape);
        }
        var root = Object(ScenarioKeys.Shapes[ScenarioKeys.Root]);
        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "PoapLab scenario",
        };
        foreach (var (k, v) in root.ToList())
        {
            root.Remove(k);
            schema[k] = v;
        }
        schema["definitions"] = definitions;
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>The README's key reference: every mapping and every key it takes, as a Markdown table.</summary>
    public static string KeyReference()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("| mapping | key | value | what it is |\n|---|---|---|---|\n");
        foreach (var shape in ScenarioKeys.Shapes.Values)
        {
            foreach (var key in shape.Keys)
            {
                sb.Append("| ").Append(shape.Name).Append(" | `").Append(key.Name).Append("`").Append(key.Required ? " (required)" : "")
                    .Append(" | ").Append(TypeText(key)).Append(" | ").Append(key.Description.Replace("|", "\\|", StringComparison.Ordinal)).Append(" |\n");
            }
        }
        return sb.ToString();
    }

    private static string TypeText(KeySpec key) => key.Type switch
    {
        KeyType.Choice => string.Join(" \\| ", key.Values!),
        KeyType.Integer => key.Min is { } min && key.Max is { } max ? $"whole number {min} to {max}" : key.Min is { } m ? $"whole number from {m}" : "whole number",
        KeyType.Number => "number",
        KeyType.Boolean => "true or false",
        KeyType.Duration => "duration",
        KeyType.Size => "size",
        KeyType.Percent => "probability (30% or 0.3)",
        KeyType.Share => "count (950) or share (95%)",
        KeyType.Address => "IP address",
        KeyType.DateTime => "date and time",
        KeyType.Map => $"mapping ({key.Shape})",
        KeyType.ListOfMaps => key.Values is { } words ? $"list of {key.Shape}, or {string.Join(" \\| ", words)}" : $"list of {key.Shape}",
        KeyType.OneOrMany => $"{key.Shape}, or a list of them",
        KeyType.Values => key.Values is { } v ? $"list of {string.Join(" \\| ", v)}" : "list of values",
        KeyType.Integers => "list of whole numbers",
        KeyType.FreeMap => "mapping of your keys to values",
        KeyType.DataMap => "mapping of your keys to values, lists or mappings",
        _ => "text",
    };

    private static JsonObject Object(MapShape shape)
    {
        var properties = new JsonObject();
        foreach (var key in shape.Keys)
        {
            var value = Value(key);
            value["description"] = key.Description;
            properties[key.Name] = value;
        }
        var o = new JsonObject
        {
            ["description"] = shape.Description,
            ["type"] = "object",
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        var required = shape.Keys.Where(k => k.Required).Select(k => (JsonNode?)JsonValue.Create(k.Name)).ToArray();
        if (required.Length > 0)
        {
            o["required"] = new JsonArray(required);
        }
        return o;
    }

    /// <summary>A scalar as YAML 1.2 reads it: text, or a number or boolean when it looks like one (the loader reads them all as text).</summary>
    private static JsonObject Scalar() => new() { ["type"] = new JsonArray("string", "number", "boolean") };

    private static JsonObject Ref(string shape) => new() { ["$ref"] = $"#/definitions/{shape}" };

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);

    private static JsonObject Value(KeySpec key)
    {
        switch (key.Type)
        {
            case KeyType.Choice:
                return new JsonObject { ["enum"] = Strings(key.Values!) };
            case KeyType.Integer:
                var integer = new JsonObject { ["type"] = "integer" };
                if (key.Min is { } min)
                {
                    integer["minimum"] = min;
                }
                if (key.Max is { } max)
                {
                    integer["maximum"] = max;
                }
                return integer;
            case KeyType.Number:
                return new JsonObject { ["type"] = "number", ["exclusiveMinimum"] = 0 };
            case KeyType.Boolean:
                return new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "boolean" }, new JsonObject { ["enum"] = Strings(["yes", "no", "on", "off"]) }) };
            case KeyType.Duration:
                return new JsonObject
                {
                    ["anyOf"] = new JsonArray(
                        new JsonObject { ["type"] = "number", ["minimum"] = 0 },
                        new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9]+(\\.[0-9]+)?[ \\t]*([mM][sS]|[sS]|[mM]|[mM][iI][nN]|[hH]|[dD])?$" }),
                };
            case KeyType.Size:
                return new JsonObject
                {
                    ["anyOf"] = new JsonArray(
                        new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
                        new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9]+(\\.[0-9]+)?[ \\t]*([bB]|[kK]|[kK][bB]|[kK][iI][bB]|[mM]|[mM][bB]|[mM][iI][bB]|[gG]|[gG][bB]|[gG][iI][bB])?$" }),
                };
            case KeyType.Percent:
                return new JsonObject
                {
                    ["anyOf"] = new JsonArray(
                        new JsonObject { ["type"] = "number", ["minimum"] = 0, ["maximum"] = 1 },
                        new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9]+(\\.[0-9]+)?%$" }),
                };
            case KeyType.Share:
                return new JsonObject
                {
                    ["anyOf"] = new JsonArray(
                        new JsonObject { ["type"] = "integer", ["minimum"] = 0 },
                        new JsonObject { ["type"] = "string", ["pattern"] = "^[0-9]+(\\.[0-9]+)?%$" }),
                };
            case KeyType.Address:
            case KeyType.DateTime:
                return new JsonObject { ["type"] = "string" };
            case KeyType.Map:
                return Ref(key.Shape!);
            case KeyType.ListOfMaps:
                var list = new JsonObject { ["type"] = "array", ["items"] = Ref(key.Shape!) };
                return key.Values is { } words ? new JsonObject { ["anyOf"] = new JsonArray(list, new JsonObject { ["enum"] = Strings(words) }) } : list;
            case KeyType.OneOrMany:
                return new JsonObject { ["anyOf"] = new JsonArray(Ref(key.Shape!), new JsonObject { ["type"] = "array", ["items"] = Ref(key.Shape!) }) };
            case KeyType.Values:
                var item = key.Values is { } values ? new JsonObject { ["enum"] = Strings(values) } : Scalar();
                return new JsonObject { ["anyOf"] = new JsonArray(item.DeepClone(), new JsonObject { ["type"] = "array", ["items"] = item }) };
            case KeyType.Integers:
                return new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "integer" } }) };
            case KeyType.FreeMap:
                return new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("string", "number", "boolean", "null") } };
            case KeyType.DataMap:
                return new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = new JsonArray("string", "number", "boolean", "null", "array", "object") } };
            default:
                return Scalar();
        }
    }
}
