using System.Diagnostics;
using System.Text;
using PoapLab.Protocols.Integrity;
using PoapLab.Testing;

namespace PoapLab.Protocols.Tests.Integrity;

public sealed class ScriptMd5Tests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-md5-").FullName;

    public static TheoryData<string> Scripts() => new()
    {
        "#!/bin/env python\n#md5sum=\"0123456789abcdef0123456789abcdef\"\nimport os\nprint('x')\n",
        "#!/bin/env python\r\n#md5sum=\"0123456789abcdef0123456789abcdef\"\r\nimport os\r\n",
        "#!/bin/env python\nimport os\n#md5sum=\"deadbeef\"\nx = 1  #md5sum kept\n  #md5sum indented kept\nlast line without newline",
        "#md5sum=\"0123456789abcdef0123456789abcdef\"",
        "#!/bin/sh\n#md5sum=unquoted\n#md5sumXYZ removed too\necho hi\n",
        "\n\n#md5sum=\"\"\n\n",
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ComputeAndFix_AgreeWithCiscosShellRecipe(string script)
    {
        var bash = Requires.Tool("bash", "apt-get install bash");
        Requires.Tool("md5sum", "apt-get install coreutils");
        Requires.Tool("sed", "apt-get install sed");
        var bytes = Encoding.UTF8.GetBytes(script);
        var path = Path.Combine(_dir, "poap.py");
        File.WriteAllBytes(path, bytes);

        // The recipe of the "Creating md5 Files" section of Cisco's NX-OS Fundamentals guide (POAP chapter).
        RunBash(bash, "f=poap.py ; cat $f | sed '/^#md5sum/d' > $f.md5 ; sed -i \"s/^#md5sum=.*/#md5sum=\\\"$(md5sum $f.md5 | sed 's/ .*//')\\\"/\" $f");
        var shellHash = RunBash(bash, "md5sum poap.py.md5 | sed 's/ .*//'").Trim();

        ScriptMd5.Compute(bytes).ShouldBe(shellHash);
        var fixedScript = ScriptMd5.Fix(bytes);
        fixedScript.ShouldBe(File.ReadAllBytes(path));
        ScriptMd5.Check(fixedScript).Status.ShouldBe(ScriptMd5Status.Valid);
    }

    [Fact]
    public void Fix_NoMd5Line_AddsOneAfterFirstLineAndValidates()
    {
        var fixedScript = ScriptMd5.Fix("#!/bin/env python\nimport os\n"u8);

        var text = Encoding.ASCII.GetString(fixedScript);
        text.ShouldStartWith("#!/bin/env python\n#md5sum=\"");
        text.ShouldEndWith("\"\nimport os\n");
        var check = ScriptMd5.Check(fixedScript);
        check.Status.ShouldBe(ScriptMd5Status.Valid);
        check.LineNumber.ShouldBe(2);
        check.Computed.ShouldBe(ScriptMd5.Compute("#!/bin/env python\nimport os\n"u8));
    }

    [Fact]
    public void Fix_OneLineWithoutNewline_HashCoversAddedNewline()
    {
        var fixedScript = ScriptMd5.Fix("print(1)"u8);

        Encoding.ASCII.GetString(fixedScript).ShouldStartWith("print(1)\n#md5sum=\"");
        ScriptMd5.Check(fixedScript).Status.ShouldBe(ScriptMd5Status.Valid);
    }

    [Theory]
    [InlineData("echo\n", ScriptMd5Status.Missing, null, null)]
    [InlineData("echo\n#md5sum=\"00000000000000000000000000000000\"\n", ScriptMd5Status.Mismatch, "00000000000000000000000000000000", 2)]
    [InlineData("echo\n#md5sum=00000000000000000000000000000000\n", ScriptMd5Status.Unquoted, "00000000000000000000000000000000", 2)]
    [InlineData("#md5sum=\"abc\"\n", ScriptMd5Status.Malformed, "abc", 1)]
    [InlineData("#md5sum=\"0000000000000000000000000000000g\"\n", ScriptMd5Status.Malformed, "0000000000000000000000000000000g", 1)]
    public void Check_Variants_Classified(string script, ScriptMd5Status status, string? declared, int? line)
    {
        var check = ScriptMd5.Check(Encoding.ASCII.GetBytes(script));

        check.Status.ShouldBe(status);
        check.Declared.ShouldBe(declared);
        check.LineNumber.ShouldBe(line);
        check.Computed.Length.ShouldBe(32);
    }

    [Fact]
    public void Check_StaleValueAfterEdit_Mismatch()
    {
        var valid = ScriptMd5.Fix("#!/bin/env python\nx = 1\n"u8);
        var edited = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(valid).Replace("x = 1", "x = 2", StringComparison.Ordinal));

        ScriptMd5.Check(valid).Status.ShouldBe(ScriptMd5Status.Valid);
        ScriptMd5.Check(edited).Status.ShouldBe(ScriptMd5Status.Mismatch);
    }

    [Fact]
    public void Compute_EmptyScript_Md5OfNothing()
    {
        ScriptMd5.Compute([]).ShouldBe("d41d8cd98f00b204e9800998ecf8427e");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string RunBash(string bash, string command)
    {
        var psi = new ProcessStartInfo(bash) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        process.ExitCode.ShouldBe(0, error);
        return output;
    }
}
