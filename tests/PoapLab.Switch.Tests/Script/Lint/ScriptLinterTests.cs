using System.Text;
using PoapLab.Protocols.Integrity;
using PoapLab.Switch.Script;
using PoapLab.Switch.Script.Lint;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script.Lint;

public sealed class ScriptLinterTests : IDisposable
{
    private const string Python27 = "/root/.pyenv/versions/2.7.18/bin/python2.7";

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-lint-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "scripts", "lint", name);

    private static void RequirePython3() => Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");

    private static void RequirePython27() =>
        Requires.That(File.Exists(Python27), "Python 2.7.18 under /root/.pyenv/versions (pyenv install 2.7.18)");

    private static Task<LintReport> Lint(string path, string? python = null) =>
        ScriptLinter.LintAsync(path, python, TestContext.Current.CancellationToken);

    private async Task<string> Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(path, text, TestContext.Current.CancellationToken);
        return path;
    }

    [Fact]
    public async Task LintAsync_MissingCommaAfterNumber_LineLackingTheCommaAndFix()
    {
        RequirePython3();

        var report = await Lint(Fixture("missing_comma_number.py"));

        report.Passed.ShouldBeFalse();
        var finding = report.Findings.Single(f => f.Severity == LintSeverity.Error);
        finding.Code.ShouldBe(LintCodes.OptionsMissingComma);
        finding.Line.ShouldBe(8);
        finding.Column.ShouldBe("    \"required_space\": 100000".Length + 1);
        finding.Message.ShouldContain("only report that the POAP script failed");
        finding.Fix.ShouldBe("add a comma at the end of line 8: \"required_space\": 100000,");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("2.7")]
    public async Task LintAsync_MissingCommaAfterString_PointsAtTheLineBeforeTheError(string? python)
    {
        if (python is null)
        {
            RequirePython3();
        }
        else
        {
            RequirePython27();
        }

        var report = await Lint(Fixture("missing_comma_string.py"), python);

        var finding = report.Findings.Single(f => f.Severity == LintSeverity.Error);
        finding.Code.ShouldBe(LintCodes.OptionsMissingComma);
        // Python reports "invalid syntax" at line 7, the key after the line that lacks the comma.
        finding.Message.ShouldContain("at line 7");
        finding.Line.ShouldBe(6);
        finding.Fix.ShouldBe("add a comma at the end of line 6: \"username\": \"poap\",");
    }

    [Fact]
    public async Task LintAsync_SyntaxErrorOutsideOptions_PlainSyntaxFinding()
    {
        RequirePython3();
        var path = await Write("outside.py", "options = {\n    \"username\": \"poap\",\n}\n\ndef broken(:\n    pass\n");

        var report = await Lint(path);

        var finding = report.Findings.Single(f => f.Severity == LintSeverity.Error);
        finding.Code.ShouldBe(LintCodes.Syntax);
        finding.Line.ShouldBe(5);
    }

    [Fact]
    public async Task LintAsync_StaleMd5_ErrorWithTheCorrectLine()
    {
        RequirePython3();
        var path = Fixture("stale_md5.py");
        var computed = ScriptMd5.Compute(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));

        var report = await Lint(path);

        report.Passed.ShouldBeFalse();
        var finding = report.Findings.Single();
        finding.Code.ShouldBe(LintCodes.Md5Stale);
        finding.Severity.ShouldBe(LintSeverity.Error);
        finding.Line.ShouldBe(2);
        finding.Message.ShouldContain(computed);
        finding.Fix.ShouldNotBeNull();
        finding.Fix.ShouldContain($"#md5sum=\"{computed}\"");
        finding.Fix.ShouldContain("poaplab md5 --fix " + path);
    }

    [Theory]
    [InlineData("7.0(3)I1(3)", LintSeverity.Warning)]
    [InlineData("6.0(2)U6(10)", LintSeverity.Warning)]
    [InlineData("7.0(3)I7(9)", LintSeverity.Error)]
    [InlineData("10.3(6)", LintSeverity.Error)]
    public async Task LintAsync_UnquotedMd5ForARelease_ErrorOnlyWhereRefused(string version, LintSeverity severity)
    {
        RequirePython3();
        var body = "#!/bin/env python\nprint('hi')\n";
        var hash = ScriptMd5.Compute(Encoding.ASCII.GetBytes(body));
        var path = await Write("unquoted.py", $"#!/bin/env python\n#md5sum={hash}\nprint('hi')\n");
        var release = new PoapLab.Switch.Identity.NxosFeatures(PoapLab.Switch.Identity.NxosVersion.Parse(version), "N9K-C9372PX");

        var report = await ScriptLinter.LintAsync(path, null, release, TestContext.Current.CancellationToken);

        report.Findings.Single(f => f.Code == LintCodes.Md5Unquoted).Severity.ShouldBe(severity);
        report.Passed.ShouldBe(severity != LintSeverity.Error);
    }

    [Fact]
    public async Task LintAsync_UnquotedMd5_Error()
    {
        RequirePython3();
        var body = "#!/bin/env python\nprint('hi')\n";
        var hash = ScriptMd5.Compute(Encoding.ASCII.GetBytes(body));
        var path = await Write("unquoted.py", $"#!/bin/env python\n#md5sum={hash}\nprint('hi')\n");

        var report = await Lint(path);

        report.Passed.ShouldBeFalse();
        var finding = report.Findings.Single(f => f.Severity == LintSeverity.Error);
        finding.Code.ShouldBe(LintCodes.Md5Unquoted);
        finding.Severity.ShouldBe(LintSeverity.Error);
        // Says on which releases the unquoted form works.
        finding.Message.ShouldContain("7.0(3)I2 and later refuse");
        finding.Message.ShouldContain("6.x and 7.0(3)I1");
        finding.Fix!.ShouldContain($"#md5sum=\"{hash}\"");
    }

    [Fact]
    public async Task LintAsync_NoMd5Line_WarningOnlyAndPasses()
    {
        RequirePython3();
        var path = await Write("nomd5.py", "#!/bin/env python\noptions = {\"username\": \"poap\"}\n");

        var report = await Lint(path);

        report.Passed.ShouldBeTrue();
        report.Findings.Single().Code.ShouldBe(LintCodes.Md5Missing);
        report.Findings.Single().Severity.ShouldBe(LintSeverity.Warning);
    }

    [Fact]
    public async Task LintAsync_Python2ScriptUnderPython3_PrintErrorAtItsLineAndImportWarnings()
    {
        RequirePython3();

        var report = await Lint(Fixture("python2_only.py"));

        report.Passed.ShouldBeFalse();
        report.PythonVersion.ShouldStartWith("3.");
        var syntax = report.Findings.Single(f => f.Severity == LintSeverity.Error);
        syntax.Code.ShouldBe(LintCodes.Python2Syntax);
        syntax.Line.ShouldBe(14);
        syntax.Fix!.ShouldContain("print(\"POAP script started\")");
        var imports = report.Findings.Where(f => f.Code == LintCodes.ImportMissing).ToList();
        imports.Select(f => f.Line).ShouldBe([3, 4]);
        imports.ShouldAllBe(f => f.Severity == LintSeverity.Warning);
        imports[0].Fix!.ShouldContain("urllib.request");
    }

    [Fact]
    public async Task LintAsync_ExceptCommaUnderPython3_Python2SyntaxWithFix()
    {
        RequirePython3();
        var path = await Write("except.py", "try:\n    pass\nexcept ValueError, error:\n    pass\n");

        var report = await Lint(path);

        var finding = report.Findings.Single(f => f.Severity == LintSeverity.Error);
        finding.Code.ShouldBe(LintCodes.Python2Syntax);
        finding.Line.ShouldBe(3);
        finding.Fix.ShouldBe("except ValueError as error:");
    }

    [Fact]
    public async Task LintAsync_Python2ScriptUnderPython27_Passes()
    {
        RequirePython27();

        var report = await Lint(Fixture("python2_only.py"), "2.7");

        report.PythonVersion.ShouldBe("2.7.18");
        report.Passed.ShouldBeTrue();
        report.Findings.ShouldNotContain(f => f.Code == LintCodes.ImportMissing);
    }

    [Fact]
    public async Task LintAsync_UnknownOptionAndBadValues_ErrorsWithSuggestions()
    {
        RequirePython3();

        var report = await Lint(Fixture("unknown_option.py"));

        var errors = report.Findings.Where(f => f.Severity == LintSeverity.Error).ToList();
        var misspelt = errors.Single(f => f.Line == 5);
        misspelt.Code.ShouldBe(LintCodes.OptionUnknown);
        misspelt.Column.ShouldBe(5);
        misspelt.Message.ShouldContain("did you mean \"username\"");
        misspelt.Message.ShouldContain("Invalid option detected: usrname");
        misspelt.Fix.ShouldBe("rename it to \"username\"");
        var protocol = errors.Single(f => f.Code == LintCodes.OptionProtocol);
        protocol.Line.ShouldBe(8);
        protocol.Message.ShouldContain("did you mean \"scp\"");
        var mode = errors.Single(f => f.Code == LintCodes.OptionMode);
        mode.Line.ShouldBe(9);
        mode.Message.ShouldContain("did you mean \"serial_number\"");
        var invented = errors.Single(f => f.Line == 11);
        invented.Code.ShouldBe(LintCodes.OptionUnknown);
        invented.Message.ShouldNotContain("did you mean");
        errors.Count.ShouldBe(4);
    }

    [Fact]
    public async Task LintAsync_TftpWithCredentials_WarningAndComputedValueInfo()
    {
        RequirePython3();

        var report = await Lint(Fixture("tftp_credentials.py"));

        report.Passed.ShouldBeTrue();
        var tftp = report.Findings.Single(f => f.Code == LintCodes.OptionTftpCredentials);
        tftp.Severity.ShouldBe(LintSeverity.Warning);
        tftp.Line.ShouldBe(9);
        tftp.Message.ShouldContain("username and password");
        var computed = report.Findings.Single(f => f.Code == LintCodes.OptionComputed);
        computed.Severity.ShouldBe(LintSeverity.Info);
        computed.Line.ShouldBe(11);
        computed.Message.ShouldContain("vrf");
    }

    [Fact]
    public async Task LintAsync_DuplicateKey_Warning()
    {
        RequirePython3();
        var path = await Write("dup.py", "options = {\n    \"mode\": \"mac\",\n    \"mode\": \"raw\",\n}\n");

        var report = await Lint(path);

        var duplicate = report.Findings.Single(f => f.Code == LintCodes.OptionDuplicate);
        duplicate.Line.ShouldBe(3);
        duplicate.Message.ShouldContain("line 2");
    }

    [Fact]
    public async Task LintAsync_OptionsDictOfAnotherLineage_InfoAndKeysNotChecked()
    {
        RequirePython3();
        var path = await Write("own.py", "options = {\n    \"server\": \"10.0.0.1\",\n    \"upgrade_path\": [\"a.bin\"],\n    \"vrf\": \"management\",\n}\n");

        var report = await Lint(path);

        report.Findings.ShouldNotContain(f => f.Code == LintCodes.OptionUnknown);
        report.Findings.Single(f => f.Code == LintCodes.OptionsOwnDict).Severity.ShouldBe(LintSeverity.Info);
        report.Passed.ShouldBeTrue();

        // One key of the reference family makes it the reference's dict: the others are checked.
        var mixed = await Write("mixed.py", "options = {\n    \"hostname\": \"10.0.0.1\",\n    \"upgrade_path\": [\"a.bin\"],\n}\n");
        (await Lint(mixed)).Findings.Single(f => f.Code == LintCodes.OptionUnknown).Line.ShouldBe(3);
    }

    [Fact]
    public async Task LintAsync_UnguardedCisco_WarningGuardedCiscoSilent()
    {
        RequirePython3();

        var report = await Lint(Fixture("legacy_cisco.py"));

        var cisco = report.Findings.Single(f => f.Code == LintCodes.ImportCisco);
        cisco.Line.ShouldBe(2);
        cisco.Severity.ShouldBe(LintSeverity.Warning);
    }

    [Fact]
    public async Task LintAsync_GuardedAndVersionGatedImports_InfoNotWarning()
    {
        RequirePython3();
        var path = await Write("compat.py",
            "import sys\ntry:\n    import urllib2\nexcept ImportError:\n    import urllib.request\nif sys.version_info[0] < 3:\n    import commands\n");

        var report = await Lint(path);

        var imports = report.Findings.Where(f => f.Code == LintCodes.ImportMissing).ToList();
        imports.Select(f => f.Line).ShouldBe([3, 7]);
        imports.ShouldAllBe(f => f.Severity == LintSeverity.Info);
    }

    [Fact]
    public async Task LintAsync_FixtureScriptWithCurrentMd5_Clean()
    {
        RequirePython3();
        var path = Path.Combine(_dir, "poap_nexus.py");
        await File.WriteAllBytesAsync(path, ScriptMd5.Fix(await File.ReadAllBytesAsync(RepoPaths.FixtureScript, TestContext.Current.CancellationToken)),
            TestContext.Current.CancellationToken);

        var report = await Lint(path);

        report.Findings.ShouldBeEmpty(string.Join("\n", report.Findings));
        report.Passed.ShouldBeTrue();
    }

    [Fact]
    public async Task LintAsync_FixtureScriptUnderPython27_Clean()
    {
        RequirePython27();
        var path = Path.Combine(_dir, "poap_nexus.py");
        await File.WriteAllBytesAsync(path, ScriptMd5.Fix(await File.ReadAllBytesAsync(RepoPaths.FixtureScript, TestContext.Current.CancellationToken)),
            TestContext.Current.CancellationToken);

        var report = await Lint(path, "2.7");

        report.Findings.ShouldBeEmpty(string.Join("\n", report.Findings));
    }

    [Fact]
    public async Task LintAsync_MissingFile_FileNotFound() =>
        await Should.ThrowAsync<FileNotFoundException>(() => Lint(Path.Combine(_dir, "none.py")));

    [Fact]
    public async Task LintAsync_MissingInterpreter_PythonNotFound()
    {
        var path = await Write("x.py", "pass\n");

        await Should.ThrowAsync<PythonNotFoundException>(() => Lint(path, Path.Combine(_dir, "no-such-python")));
    }

    [Fact]
    public void Format_Finding_CompilerStyleLineAndFix()
    {
        var report = new LintReport("poap.py", "3.11.2",
            [new LintFinding(LintSeverity.Error, LintCodes.Md5Stale, 2, 1, "stale", "replace line 2"),
             new LintFinding(LintSeverity.Warning, LintCodes.Md5Missing, null, null, "none", null)]);

        var lines = report.Format().Split('\n');

        lines[0].ShouldBe("poap.py:2:1: error md5-stale: stale");
        lines[1].ShouldBe("  fix: replace line 2");
        lines[2].ShouldBe("poap.py: warning md5-missing: none");
        lines[3].ShouldBe("poap.py: FAILED under Python 3.11.2: 1 error(s), 1 warning(s), 0 info");
        report.Passed.ShouldBeFalse();
    }

    [Theory]
    [InlineData("usrname", "username")]
    [InlineData("Transfer-Protocol", "transfer_protocol")]
    [InlineData("target_sytem_image", "target_system_image")]
    [InlineData("colour", null)]
    public void Closest_Misspelling_Suggestion(string value, string? expected) =>
        ScriptLinter.Closest(value, PoapOptionKeys.Known).ShouldBe(expected);
}
