using System.Text;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>A script file's <c>options:</c> (values, lists, mappings) and <c>edit:</c> list, read and served.</summary>
public sealed class ScenarioLoaderScriptEditTests : IDisposable
{
    private const string Head = """
        name: edits
        switches:
          - name: leaf
            serial: FDO1
            mac: 00:11:22:33:44:55
        servers:
          dhcp:
            address: 10.0.0.1
            subnet: 10.0.0.0/24
            bootfile: poap.py
            tftp_server_address: 10.0.0.1
          tftp:
            address: 10.0.0.1
        files:
          - path: poap.py
            script: poap.py

        """;

    private const string Script = "#!/bin/env python3\n#md5sum=\"00000000000000000000000000000000\"\nSERVER = \"192.0.2.10\"\noptions = {\n    \"upgrade_path\": [],\n}\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-edit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private PoapLab.Scenarios.Model.Scenario Load(string fileKeys)
    {
        File.WriteAllText(Path.Combine(_dir, "poap.py"), Script);
        var path = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(path, Head + fileKeys);
        return ScenarioLoader.Load(path);
    }

    private ScenarioException LoadFails(string fileKeys) => Should.Throw<ScenarioException>(() => Load(fileKeys));

    [Fact]
    public void Load_ListAndMapOptionsAndEdits_ServedEditedWithTheMd5Fixed()
    {
        var scenario = Load("""
                options:
                  upgrade_path: [nxos.9.3.10.bin, nxos64-cs.10.3.6.M.bin]
                  by_serial: { FDO1: { config: conf.leaf, retries: 2, ok: true } }
                edit:
                  - replace: 192.0.2.10
                    with: 10.0.0.1
                  - regex: '^SERVER = "(.*)"$'
                    with: 'SERVER = "$1"  # set by the lab'
            """);

        var file = scenario.Files.Single();
        file.ScriptEdits.Count.ShouldBe(2);
        var served = Encoding.UTF8.GetString(ScenarioFiles.ServedScript(file, null));
        served.ShouldContain("SERVER = \"10.0.0.1\"  # set by the lab\n");
        served.ShouldContain("\"upgrade_path\": [\"nxos.9.3.10.bin\", \"nxos64-cs.10.3.6.M.bin\"],");
        served.ShouldContain("\"by_serial\": {\"FDO1\": {\"config\": \"conf.leaf\", \"retries\": 2, \"ok\": True}},");
        PoapLab.Protocols.Integrity.ScriptMd5.Check(Encoding.UTF8.GetBytes(served)).Status.ShouldBe(PoapLab.Protocols.Integrity.ScriptMd5Status.Valid);
    }

    [Fact]
    public void Load_EditThatMatchesNothing_ServingFailsNamingTheEdit()
    {
        var file = Load("""
                edit:
                  - replace: 198.51.100.7
                    with: 10.0.0.1
            """).Files.Single();

        Should.Throw<InvalidOperationException>(() => ScenarioFiles.ServedScript(file, null)).Message.ShouldContain("edit 1 (replace '198.51.100.7') matched nothing");
    }

    [Fact]
    public void Load_OptionNestedTooDeep_RefusedAtItsLine()
    {
        var deep = new string('[', ScriptOptionsEditor.MaxDepth + 1) + "x" + new string(']', ScriptOptionsEditor.MaxDepth + 1);
        var e = LoadFails($"    options: {{ path: {deep} }}\n");
        e.Problem.ShouldContain("option 'path' nests lists and mappings more than 16 deep");
        e.Location.Line.ShouldBe(17);
    }

    [Theory]
    [InlineData("    edit: [{ replace: a, regex: b, with: c }]\n", "exactly one of replace (literal text) or regex")]
    [InlineData("    edit: [{ with: c }]\n", "exactly one of replace (literal text) or regex")]
    [InlineData("    edit: [{ replace: a }]\n", "'with'")]
    [InlineData("    edit: [{ replace: '', with: x }]\n", "'replace' must not be empty")]
    [InlineData("    edit: [{ regex: '([', with: x }]\n", "'regex' is not a valid regular expression")]
    [InlineData("    edit: [{ regx: a, with: x }]\n", "unknown key 'regx'")]
    [InlineData("    edit: { replace: a, with: b }\n", "must be a list")]
    [InlineData("    options: { a: { [1]: x } }\n", "keys must be single values")]
    public void Load_BadEditOrOption_ClearError(string keys, string problem)
    {
        var e = LoadFails(keys);
        string.Join("\n", e.Errors.Select(x => x.Message).Append(e.Message)).ShouldContain(problem);
    }
}
