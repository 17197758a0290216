using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NJsonSchema;
using PoapLab.Scenarios.Loading;
using PoapLab.Testing;
using YamlDotNet.RepresentationModel;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>schema/scenario.schema.json is what the key table generates, and every scenario of the repository follows it and names it.</summary>
public sealed partial class ScenarioSchemaTests
{
    private static string SchemaPath => Path.Combine(RepoPaths.Root, "schema", "scenario.schema.json");

    public static TheoryData<string> ScenarioFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in ScenarioLoader.Find([RepoPaths.Scenarios]))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Scenarios, f));
        }
        return data;
    }

    [Fact]
    public void Generate_SameAsTheRepositorysSchemaFile()
    {
        var committed = File.ReadAllText(SchemaPath);

        committed.ShouldBe(ScenarioSchema.Generate(), "schema/scenario.schema.json is stale: regenerate it with 'poaplab schema --out schema/scenario.schema.json'");
    }

    [Fact]
    public void KeyReference_SameAsTheReadmes()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")).ReplaceLineEndings("\n");
        var m = ReadmeKeys().Match(readme);

        m.Success.ShouldBeTrue("README.md has no <!-- scenario-keys:begin --> ... <!-- scenario-keys:end --> section");
        m.Groups[1].Value.ShouldBe(ScenarioSchema.KeyReference(), "the README's key reference is stale: regenerate it with 'poaplab schema --markdown'");
    }

    [Theory]
    [MemberData(nameof(ScenarioFiles))]
    public async Task CatalogueScenario_FollowsTheSchema(string file)
    {
        var schema = await JsonSchema.FromJsonAsync(await File.ReadAllTextAsync(SchemaPath, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);

        var errors = schema.Validate(YamlToJson(Path.Combine(RepoPaths.Scenarios, file)));

        errors.Select(e => $"{e.Path}: {e.Kind}").ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(ScenarioFiles))]
    public void CatalogueScenario_FirstLineNamesTheSchema(string file)
    {
        var path = Path.Combine(RepoPaths.Scenarios, file);
        var first = File.ReadLines(path).First();

        first.ShouldStartWith("# yaml-language-server: $schema=");
        var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, first["# yaml-language-server: $schema=".Length..]));
        target.ShouldBe(SchemaPath);
    }

    [Fact]
    public async Task Schema_MisspeltKey_Refused()
    {
        var schema = await JsonSchema.FromJsonAsync(await File.ReadAllTextAsync(SchemaPath, TestContext.Current.CancellationToken), TestContext.Current.CancellationToken);
        var path = Path.Combine(Directory.CreateTempSubdirectory("poaplab-schema-").FullName, "typo.yaml");
        try
        {
            await File.WriteAllTextAsync(path, "switches:\n  - { serail: X, mac: 00:11:22:33:44:55 }\nservers: { dhcp: { address: 10.0.0.1 } }\n", TestContext.Current.CancellationToken);

            var errors = schema.Validate(YamlToJson(path));

            errors.ShouldNotBeEmpty();
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    /// <summary>A YAML file as JSON, each plain scalar typed as YAML 1.2's core schema does (what an editor's YAML language server sees).</summary>
    private static string YamlToJson(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }
        return (Convert(stream.Documents[0].RootNode) ?? JsonValue.Create((string?)null))!.ToJsonString();
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, Convert(kv.Value)))),
        YamlSequenceNode s => new JsonArray([.. s.Children.Select(Convert)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } p => Plain(p.Value ?? ""),
        YamlScalarNode q => JsonValue.Create(q.Value),
        _ => null,
    };

    private static JsonNode? Plain(string text) => text switch
    {
        "" or "~" or "null" or "Null" or "NULL" => null,
        "true" or "True" or "TRUE" => JsonValue.Create(true),
        "false" or "False" or "FALSE" => JsonValue.Create(false),
        _ when IntPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => JsonValue.Create(n),
        _ when FloatPattern().IsMatch(text) => JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(text),
    };

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"<!-- scenario-keys:begin -->\n(.*?)<!-- scenario-keys:end -->", RegexOptions.Singleline)]
    private static partial Regex ReadmeKeys();
}
