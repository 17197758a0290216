using System.Text.Json;
using PoapLab.Switch.Cli.Commands;

namespace PoapLab.Switch.Tests.Cli.Commands;

public sealed class CliRecordTests
{
    private sealed record Row([property: CliKey("name")] string Name, [property: CliKey("size")] long Size) : CliRecord
    {
        public override string ToText() => $"{Size,8} {Name}\n";
    }

    private sealed record Listing(
        [property: CliTable("dir")] IReadOnlyList<Row> Rows,
        [property: CliKey("total")] int Total,
        [property: CliKey("note")] string? Note,
        string TextOnly) : CliRecord
    {
        public override string ToText() => string.Concat(Rows.Select(r => r.ToText())) + $"{Total} files\n";
    }

    [Fact]
    public void ToJson_MarkedFields_KeysTablesNullsLeftOut()
    {
        var one = new Listing([new Row("a", 1)], 1, null, "x");
        var json = JsonDocument.Parse(one.ToJson().ToJsonString()).RootElement;
        json.GetProperty("TABLE_dir").GetProperty("ROW_dir").GetProperty("name").GetString().ShouldBe("a");
        json.GetProperty("total").GetInt32().ShouldBe(1);
        json.TryGetProperty("note", out _).ShouldBeFalse();
        json.TryGetProperty("TextOnly", out _).ShouldBeFalse();
        one.ToText().ShouldBe("       1 a\n1 files\n");

        var two = new Listing([new Row("a", 1), new Row("b", 2)], 2, "n", "x");
        var rows = JsonDocument.Parse(two.ToJson().ToJsonString()).RootElement.GetProperty("TABLE_dir").GetProperty("ROW_dir");
        rows.GetArrayLength().ShouldBe(2);
    }

    private sealed record Ordered(
        [property: CliKey("z")] int Z,
        [property: CliKey("a")] string A,
        string TextOnly,
        [property: CliTable("t")] IReadOnlyList<Row> Rows) : CliRecord
    {
        public override string ToText() => "";
    }

    [Fact]
    public void ToJson_SameTypeManyTimes_SameKeysInDeclarationOrderEachTime()
    {
        // The marks are read once a type: every later record of the type gives what the first did.
        var expected = "{\"z\":1,\"a\":\"x\",\"TABLE_t\":{\"ROW_t\":{\"name\":\"r\",\"size\":2}}}";
        for (var i = 0; i < 3; i++)
        {
            new Ordered(1, "x", "ignored", [new Row("r", 2)]).ToJson().ToJsonString().ShouldBe(expected);
        }
        new Ordered(2, "y", "ignored", []).ToJson()["z"]!.GetValue<int>().ShouldBe(2);
    }

    private sealed record Tags([property: CliKey("tag")] IReadOnlyList<string> Values) : CliRecord
    {
        public override string ToText() => string.Join(' ', Values) + "\n";
    }

    [Fact]
    public void ToJson_StringList_OneIsAStringSeveralAnArray()
    {
        new Tags(["switch"]).ToJson().ToJsonString().ShouldBe("{\"tag\":\"switch\"}");
        new Tags(["router", "switch"]).ToJson().ToJsonString().ShouldBe("{\"tag\":[\"router\",\"switch\"]}");
    }

    [Fact]
    public async Task ShowVersion_TextAndClid_SameFields()
    {
        using var sw = new CliTestSwitch("10.3(6)M");
        var text = await sw.Ok("show version");
        var json = JsonDocument.Parse(await sw.Ok("show version", json: true)).RootElement;
        text.ShouldContain(" NXOS: version " + json.GetProperty("nxos_ver_str").GetString() + " [" + json.GetProperty("nxos_release_type").GetString() + "]\n");
        text.ShouldContain("  NXOS image file is: " + json.GetProperty("nxos_file_name").GetString() + "\n");
        text.ShouldContain("  Processor Board ID " + json.GetProperty("proc_board_id").GetString() + "\n");
        json.GetProperty("kick_file_name").GetString().ShouldBe(json.GetProperty("nxos_file_name").GetString());
        (await sw.Ok("show boot", json: true)).ShouldContain("\"poap_status\":\"Disabled\"");
    }
}
