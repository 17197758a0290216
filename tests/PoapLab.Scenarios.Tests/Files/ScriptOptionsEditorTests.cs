using System.Diagnostics;
using System.Text.Json.Nodes;
using PoapLab.Scenarios.Files;
using PoapLab.Testing;

namespace PoapLab.Scenarios.Tests.Files;

public sealed class ScriptOptionsEditorTests
{
    private const string Script = """
        #!/bin/env python
        #md5sum="0123"
        options = {
            "username": "poap",
            "hostname": "192.0.2.10",   # the server
            'transfer_protocol': 'scp',
            "required_space": 100000,
            "nested": {"a": 1, "b": 2},
        }
        other = {"hostname": "untouched"}
        """;

    [Fact]
    public void Apply_ExistingKeys_ReplacedInPlaceAndNothingElse()
    {
        var edited = ScriptOptionsEditor.Apply(Script, new Dictionary<string, object?>
        {
            ["hostname"] = "10.0.0.1",
            ["transfer_protocol"] = "tftp",
            ["required_space"] = 5L,
            ["nested"] = "x",
        }, "s.py");
        edited.ShouldContain("\"hostname\": \"10.0.0.1\",   # the server");
        edited.ShouldContain("'transfer_protocol': \"tftp\",");
        edited.ShouldContain("\"required_space\": 5,");
        edited.ShouldContain("\"nested\": \"x\",");
        edited.ShouldContain("other = {\"hostname\": \"untouched\"}");
        edited.ShouldContain("#md5sum=\"0123\"");
    }

    [Fact]
    public void Apply_NewKey_Added()
    {
        var edited = ScriptOptionsEditor.Apply(Script, new Dictionary<string, object?> { ["vrf"] = "management", ["disable_md5"] = true }, "s.py");
        edited.ShouldContain("\"vrf\": \"management\",");
        edited.ShouldContain("\"disable_md5\": True,");
    }

    [Fact]
    public void Apply_NoOptionsDict_ClearError()
    {
        var e = Should.Throw<InvalidOperationException>(() => ScriptOptionsEditor.Apply("print(1)\n", new Dictionary<string, object?> { ["a"] = "b" }, "x.py"));
        e.Message.ShouldContain("x.py");
        e.Message.ShouldContain("options");
    }

    [Theory]
    [InlineData(null, "None")]
    [InlineData(false, "False")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    public void ToPython_Values_PythonLiterals(object? value, string literal) => ScriptOptionsEditor.ToPython(value).ShouldBe(literal);

    [Fact]
    public void ToPython_ListsAndMaps_PythonLiterals()
    {
        var value = new Dictionary<string, object?>
        {
            ["upgrade_path"] = new List<object?> { "nxos.9.3.10.bin", "nxos64-cs.10.3.6.M.bin" },
            ["retries"] = 3L,
            ["by_serial"] = new Dictionary<string, object?> { ["FDO1"] = new List<object?> { true, null }, ["FDO2"] = new Dictionary<string, object?>() },
            ["none"] = new List<object?>(),
        };
        ScriptOptionsEditor.ToPython(value).ShouldBe(
            "{\"upgrade_path\": [\"nxos.9.3.10.bin\", \"nxos64-cs.10.3.6.M.bin\"], \"retries\": 3, \"by_serial\": {\"FDO1\": [True, None], \"FDO2\": {}}, \"none\": []}");
    }

    [Fact]
    public void Apply_ListOption_ReplacesTheWholeValueInPlace()
    {
        const string script = "options = {\n    \"upgrade_path\": [\"a.bin\",\n                     \"b.bin\"],  # oldest first\n    \"x\": 1,\n}\n";
        var edited = ScriptOptionsEditor.Apply(script, new Dictionary<string, object?> { ["upgrade_path"] = new List<object?> { "c.bin" } }, "s.py");
        edited.ShouldBe("options = {\n    \"upgrade_path\": [\"c.bin\"],  # oldest first\n    \"x\": 1,\n}\n");
    }

    [Fact]
    public void ToPython_HostileStrings_SameValueBackInPython3AndPython27()
    {
        // Quotes, backslashes, line breaks, a triple quote, control characters, non-ASCII (BMP and
        // beyond), a fake #md5sum line: each must come back from Python exactly, in one source line.
        string[] hostile =
        [
            "a\"b'c", "back\\slash\\", "trailing\\", "line\nbreak\r\n", "\"\"\"triple\"\"\"", "'''", "tab\tnul\0bel\u0007del\u007f",
            "caf\u00e9 \u2028 \u6f22\u5b57", "\U0001F600 emoji", "x\n#md5sum=\"0123456789abcdef0123456789abcdef\"\nimport os", "\\u00e9 not an escape", "",
        ];
        var value = new Dictionary<string, object?> { ["strings"] = hostile.Cast<object?>().ToList(), ["k\"ey\n"] = "v" };
        var literal = ScriptOptionsEditor.ToPython(value);
        literal.All(c => c is >= ' ' and < '\x7f').ShouldBeTrue("the literal is one line of printable ASCII");

        var python3 = Requires.Tool("python3", "apt-get install python3");
        Evaluate(python3, literal).ShouldBe(Expected());
        const string python27 = "/root/.pyenv/versions/2.7.18/bin/python2.7";
        Requires.Tool(python27, "Python 2.7, see README");
        Evaluate(python27, literal).ShouldBe(Expected());

        string Expected() => new JsonObject { ["strings"] = new JsonArray([.. hostile.Select(h => (JsonNode)h)]), ["k\"ey\n"] = "v" }.ToJsonString();
    }

    private static string Evaluate(string python, string literal)
    {
        var dir = Directory.CreateTempSubdirectory("poaplab-literal-").FullName;
        try
        {
            var file = Path.Combine(dir, "v.py");
            File.WriteAllText(file, "import json, sys\nv = " + literal + "\nsys.stdout.write(json.dumps(v))\n");
            using var p = Process.Start(new ProcessStartInfo(python, [file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            p.WaitForExit(TimeSpan.FromSeconds(60)).ShouldBeTrue();
            p.ExitCode.ShouldBe(0, stderr.Result);
            // Compared as parsed JSON: key order and escaping style differ between the versions.
            var parsed = JsonNode.Parse(stdout.Result)!.AsObject();
            return new JsonObject { ["strings"] = parsed["strings"]!.DeepClone(), ["k\"ey\n"] = parsed["k\"ey\n"]!.DeepClone() }.ToJsonString();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ToPython_NestedTooDeep_Refused()
    {
        object? value = "leaf";
        for (var i = 0; i < ScriptOptionsEditor.MaxDepth; i++)
        {
            value = new List<object?> { value };
        }
        ScriptOptionsEditor.ToPython(value).ShouldStartWith(new string('[', ScriptOptionsEditor.MaxDepth) + "\"leaf\"");
        var deeper = new List<object?> { value };
        Should.Throw<ArgumentException>(() => ScriptOptionsEditor.ToPython(deeper)).Message.ShouldContain("nest more than 16 deep");
        var e = Should.Throw<InvalidOperationException>(() => ScriptOptionsEditor.Apply(Script, new Dictionary<string, object?> { ["path"] = deeper }, "s.py"));
        e.Message.ShouldBe("s.py: option 'path': the option's lists and mappings nest more than 16 deep");
    }

    [Fact]
    public void ToPython_LoneSurrogate_Refused() =>
        Should.Throw<ArgumentException>(() => ScriptOptionsEditor.ToPython("\ud800x")).Message.ShouldContain("lone surrogate");

    [Fact]
    public void Apply_NewKeyWithQuotes_KeyEscaped()
    {
        var edited = ScriptOptionsEditor.Apply(Script, new Dictionary<string, object?> { ["a\": 1, \"b"] = 2L }, "s.py");
        edited.ShouldContain("\"a\\\": 1, \\\"b\": 2,", Case.Sensitive, edited);
    }
}
