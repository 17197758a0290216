using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;

namespace PoapLab.Switch.Cli.Commands;

/// <summary>Names the <c>clid</c> key of a field of a <see cref="CliRecord"/>.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class CliKeyAttribute(string key) : Attribute
{
    public string Key { get; } = key;
}

/// <summary>Marks a list of rows that <c>clid</c> prints as <c>TABLE_name</c>/<c>ROW_name</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class CliTableAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>
/// One command's output as one record: its fields are declared once, as properties marked
/// with their <c>clid</c> key; <see cref="ToText"/> lays the same fields out as the CLI prints
/// them, and <see cref="ToJson"/> is derived from the marks (a field list is never written
/// twice). Properties without a mark are text-only.
/// </summary>
internal abstract record CliRecord
{
    /// <summary>The text NX-OS prints.</summary>
    public abstract string ToText();

    /// <summary>The marked properties of each record type, in declaration order: found by reflection once a type.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Field[]> Fields = new();

    /// <summary>A marked property: its table name (a list of rows) or its <c>clid</c> key.</summary>
    private sealed record Field(PropertyInfo Property, string? Table, string? Key);

    /// <summary>The structured form, keys in declaration order; tables as NX-OS nests them.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var field in Fields.GetOrAdd(GetType(), MarkedFields))
        {
            if (field.Table is { } table)
            {
                var rows = ((IEnumerable?)field.Property.GetValue(this))?.OfType<CliRecord>().Select(r => r.ToJson()).ToList() ?? [];
                CliJson.AddTable(json, table, rows);
            }
            else if (field.Key is { } key)
            {
                var value = field.Property.GetValue(this);
                if (value is IReadOnlyList<string> list)
                {
                    // One value is a string, several an array (NX-OS's clid); none is null.
                    json[key] = CliJson.OneOrMany(list);
                    continue;
                }
                if (value is null)
                {
                    // An absent field is left out, as NX-OS leaves out keys a release lacks.
                    continue;
                }
                json[key] = value switch
                {
                    string s => JsonValue.Create(s),
                    int i => JsonValue.Create(i),
                    long l => JsonValue.Create(l),
                    bool b => JsonValue.Create(b),
                    var other => JsonValue.Create(other.ToString()),
                };
            }
        }
        return json;
    }

    private static Field[] MarkedFields(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .OrderBy(p => p.MetadataToken)
            .Select(p => new Field(p, p.GetCustomAttribute<CliTableAttribute>()?.Name, p.GetCustomAttribute<CliKeyAttribute>()?.Key))
            .Where(f => f.Table is not null || f.Key is not null)];
}
