using PoapLab.Scenarios.Files;

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
}
