using System.Diagnostics;
using PoapLab.Scenarios.Files;
using PoapLab.Scenarios.Model;

namespace PoapLab.Scenarios.Tests.Files;

public sealed class ScriptEditsTests
{
    private const string Script = """
        #!/bin/env python3
        SERVER = "192.0.2.10"
        CONFIG_DIR = "/srv/poap/configs/"
        VRF = "management"
        url = "tftp://" + SERVER + CONFIG_DIR
        """;

    [Fact]
    public void Apply_LiteralAndRegex_InOrderEveryOccurrence()
    {
        var edited = ScriptEdits.Apply(Script,
        [
            new ScriptEdit { Replace = "192.0.2.10", With = "10.0.0.1" },
            new ScriptEdit { Regex = "^CONFIG_DIR = \"([^\"]*)\"$", With = "CONFIG_DIR = \"/lab$1\"" },
            new ScriptEdit { Replace = "SERVER", With = "HOST" },
        ], "s.py");

        edited.ShouldContain("HOST = \"10.0.0.1\"");
        edited.ShouldContain("CONFIG_DIR = \"/lab/srv/poap/configs/\"");
        edited.ShouldContain("url = \"tftp://\" + HOST + CONFIG_DIR");
        edited.ShouldNotContain("SERVER");
    }

    [Fact]
    public void Apply_LiteralWithDollar_TakenLiterally() =>
        ScriptEdits.Apply("a = 1\n", [new ScriptEdit { Replace = "1", With = "$0$1" }], "s.py").ShouldBe("a = $0$1\n");

    [Fact]
    public void Apply_NoEdits_TextUnchanged() => ScriptEdits.Apply(Script, [], "s.py").ShouldBeSameAs(Script);

    [Fact]
    public void Apply_EditMatchesNothing_ErrorNamesTheEdit()
    {
        var e = Should.Throw<InvalidOperationException>(() => ScriptEdits.Apply(Script,
        [
            new ScriptEdit { Replace = "192.0.2.10", With = "10.0.0.1" },
            new ScriptEdit { Regex = "^HOSTNAME =", With = "x" },
        ], "poap.py"));
        e.Message.ShouldBe("poap.py: edit 2 (regex '^HOSTNAME =') matched nothing in the script: is it the script the scenario was written for?");

        Should.Throw<InvalidOperationException>(() => ScriptEdits.Apply(Script, [new ScriptEdit { Replace = "not there", With = "x" }], "poap.py"))
            .Message.ShouldStartWith("poap.py: edit 1 (replace 'not there') matched nothing");
    }

    [Fact]
    public void Apply_CatastrophicBacktracking_StoppedAtItsTimeoutWithAClearError()
    {
        // (a+)+$ against a's that end in b backtracks exponentially: the timeout must stop it.
        var text = new string('a', 50_000) + "b\n";
        var clock = Stopwatch.StartNew();
        var e = Should.Throw<InvalidOperationException>(() =>
            ScriptEdits.Apply(text, [new ScriptEdit { Regex = "^(a+)+$", With = "x" }], "s.py", TimeSpan.FromMilliseconds(200), 1 << 20));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
        e.Message.ShouldStartWith("s.py: edit 1 (regex '^(a+)+$') took longer than 0.2 s on the script and was stopped");
    }

    [Fact]
    public void Apply_ResultTooLarge_Refused()
    {
        var text = new string('a', 1000);
        Should.Throw<InvalidOperationException>(() => ScriptEdits.Apply(text, [new ScriptEdit { Replace = "a", With = new string('b', 1000) }], "s.py", ScriptEdits.RegexTimeout, 100_000))
            .Message.ShouldBe("s.py: edit 1 (replace 'a') would make the script larger than 100000 characters");
        Should.Throw<InvalidOperationException>(() => ScriptEdits.Apply(text, [new ScriptEdit { Regex = "a", With = string.Concat(Enumerable.Repeat("$0", 200)) }], "s.py", ScriptEdits.RegexTimeout, 100_000))
            .Message.ShouldContain("would make the script larger than 100000 characters");
        // Repeated edits each doubling the text stop at the bound too.
        var doubling = Enumerable.Repeat(new ScriptEdit { Regex = "(?s)^.*\\z", With = "$0$0" }, 40).ToList();
        Should.Throw<InvalidOperationException>(() => ScriptEdits.Apply("#x\n", doubling, "s.py"))
            .Message.ShouldContain($"larger than {PoapLab.Scenarios.Files.RegularFile.MaxScriptBytes} characters");
    }

    [Fact]
    public void Apply_InvalidRegex_ClearError() =>
        Should.Throw<InvalidOperationException>(() => ScriptEdits.Apply(Script, [new ScriptEdit { Regex = "([", With = "x" }], "s.py"))
            .Message.ShouldStartWith("s.py: edit 1 (regex '([') is not a valid regular expression");

    [Fact]
    public void Describe_LongOrMultiLineText_OneShortLine() =>
        new ScriptEdit { Replace = "line1\nline2" + new string('x', 100), With = "" }.Describe().ShouldBe("replace 'line1\\nline2" + new string('x', 48) + "...'");
}
