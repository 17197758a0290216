using System.CommandLine;
using System.Text.Json;
using PoapLab.Cli;
using PoapLab.Protocols.Integrity;
using PoapLab.Testing;

namespace PoapLab.Cli.Tests.Commands;

public sealed class LintCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-lint-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _output.Dispose();
        _error.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<int> Run(params string[] args) =>
        Program.BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = _output, Error = _error }, TestContext.Current.CancellationToken);

    private async Task<string> FixtureWithCurrentMd5()
    {
        var path = Path.Combine(_dir, "poap_nexus.py");
        var bytes = await File.ReadAllBytesAsync(RepoPaths.FixtureScript, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(path, ScriptMd5.Fix(bytes), TestContext.Current.CancellationToken);
        return path;
    }

    [Fact]
    public async Task Lint_CleanScript_Exit0()
    {
        Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");
        var path = await FixtureWithCurrentMd5();

        (await Run("lint", path)).ShouldBe(0);

        _output.ToString().ShouldContain("passed under Python 3.");
    }

    [Fact]
    public async Task Lint_MissingComma_Exit1AndCompilerStyleLine()
    {
        Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");
        var path = Path.Combine(RepoPaths.Fixtures, "scripts", "lint", "missing_comma_number.py");

        (await Run("lint", path)).ShouldBe(1);

        var text = _output.ToString();
        text.ShouldContain($"{path}:8:29: error options-missing-comma: ");
        text.ShouldContain("  fix: add a comma at the end of line 8");
    }

    [Fact]
    public async Task Lint_Json_ReportWithFindings()
    {
        Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");
        var path = Path.Combine(RepoPaths.Fixtures, "scripts", "lint", "stale_md5.py");

        (await Run("lint", path, "--json")).ShouldBe(1);

        using var json = JsonDocument.Parse(_output.ToString());
        json.RootElement.GetProperty("passed").GetBoolean().ShouldBeFalse();
        json.RootElement.GetProperty("script").GetString().ShouldBe(path);
        var finding = json.RootElement.GetProperty("findings")[0];
        finding.GetProperty("severity").GetString().ShouldBe("error");
        finding.GetProperty("code").GetString().ShouldBe("md5-stale");
        finding.GetProperty("line").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task Lint_Python27ForPython2Script_Exit0()
    {
        Requires.That(File.Exists("/root/.pyenv/versions/2.7.18/bin/python2.7"), "Python 2.7.18 under /root/.pyenv/versions (pyenv install 2.7.18)");

        (await Run("lint", Path.Combine(RepoPaths.Fixtures, "scripts", "lint", "python2_only.py"), "--python", "2.7")).ShouldBe(0);
    }

    [Fact]
    public async Task Lint_MissingFile_Exit2NamesIt()
    {
        var path = Path.Combine(_dir, "none.py");

        (await Run("lint", path)).ShouldBe(2);

        _error.ToString().ShouldContain(path + ": no such file");
    }

    [Fact]
    public async Task Lint_MissingInterpreter_Exit2SaysHowToGetIt()
    {
        var path = await FixtureWithCurrentMd5();

        (await Run("lint", path, "--python", "3.99")).ShouldBe(2);

        _error.ToString().ShouldContain("pyenv install 3.99");
    }
}
