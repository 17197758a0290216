using PoapLab.Switch.Poap;

namespace PoapLab.Switch.Tests.Poap;

public sealed class ScriptFailureTests
{
    private const string Script = "/bootflash/scripts/script.sh";

    private static string Headline(string stderr = "", string stdout = "", string? error = null, string? last = null, string? refused = null) =>
        ScriptFailure.Headline(new ScriptEvidence { Stderr = stderr, Stdout = stdout, LastErrorSyslog = error, LastSyslog = last, LastRefusedCommand = refused, ScriptPath = Script });

    [Fact]
    public void Headline_Traceback_TheExceptionLine()
    {
        const string stderr =
            "/bootflash/scripts/script.sh:40: SyntaxWarning: invalid escape sequence '\\d'\n" +
            "  m = re.match(\"(\\d+)\", text)\n" +
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 88, in <module>\n" +
            "    main()\n" +
            "TypeError: load() missing 1 required positional argument: 'Loader'\n";
        ScriptFailure.Headline(stderr, "POAP script failed", "Cleanup all files")
            .ShouldBe(" (script.sh:88: TypeError: load() missing 1 required positional argument: 'Loader')");
    }

    [Fact]
    public void Headline_TracebackThroughALibrary_InnermostFrameOfTheScript()
    {
        const string stderr =
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 512, in <module>\n" +
            "    main()\n" +
            "  File \"/bootflash/scripts/script.sh\", line 498, in main\n" +
            "    image = options[\"target_image\"]\n" +
            "            ~~~~~~~^^^^^^^^^^^^^^^^\n" +
            "KeyError: 'target_image'\n";
        Headline(stderr, error: "ERR : something earlier", last: "INFO: Cleanup all files").ShouldBe(" (script.sh:498: KeyError: 'target_image')");

        const string library =
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 77, in <module>\n" +
            "    cfg = yaml.load(open(path))\n" +
            "  File \"/usr/lib/python3/dist-packages/yaml/__init__.py\", line 79, in load\n" +
            "    loader = Loader(stream)\n" +
            "TypeError: 'NoneType' object is not callable\n";
        Headline(library).ShouldBe(" (script.sh:77: TypeError: 'NoneType' object is not callable)");
    }

    [Fact]
    public void Headline_ChainedTracebacks_TheLastException()
    {
        const string stderr =
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 10, in <module>\n" +
            "    import json\n" +
            "ImportError: No module named json\n" +
            "\n" +
            "During handling of the above exception, another exception occurred:\n" +
            "\n" +
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 12, in <module>\n" +
            "    import simplejson as json\n" +
            "ModuleNotFoundError: No module named 'simplejson'\n";
        Headline(stderr).ShouldBe(" (script.sh:12: ModuleNotFoundError: No module named 'simplejson')");
    }

    [Fact]
    public void Headline_UncaughtRefusedCliCommand_TheErrorWithTheSwitchsAnswer()
    {
        // cli_syntax_error's message is the switch's output: the command, its ^ marker, the verdict.
        const string stderr =
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 30, in <module>\n" +
            "    cli(\"show system internal platform internal info\")\n" +
            "  File \"/usr/lib/poaplab/cli.py\", line 84, in cli\n" +
            "    return _run(cmd, False)\n" +
            "cli.cli_syntax_error: show system internal foo\n" +
            "                     ^\n" +
            "% Invalid command at '^' marker.\n";
        Headline(stderr, last: "INFO: cleaning up").ShouldBe(" (script.sh:30: cli.cli_syntax_error: % Invalid command at '^' marker. (show system internal foo))");
    }

    [Fact]
    public void Headline_FailedCommandWithProgressLines_TheLineThatSaysWhatFailed()
    {
        const string stderr =
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 5, in <module>\n" +
            "    cli('install all nxos bootflash:junk.bin no-reload')\n" +
            "cli.cmd_exec_error: Performing image verification and compatibility check, please wait....\n" +
            "Image verification failed for bootflash:junk.bin: not a valid NX-OS image\n";
        Headline(stderr).ShouldBe(" (script.sh:5: cli.cmd_exec_error: Image verification failed for bootflash:junk.bin: not a valid NX-OS image)");
    }

    [Fact]
    public void Headline_Python2Traceback_TheExceptionLine()
    {
        const string stderr =
            "Traceback (most recent call last):\n" +
            "  File \"/bootflash/scripts/script.sh\", line 143, in <module>\n" +
            "    r = json.loads(clid(\"show version\"))\n" +
            "  File \"/usr/lib/python2.7/json/__init__.py\", line 339, in loads\n" +
            "    return _default_decoder.decode(s)\n" +
            "ValueError: No JSON object could be decoded\n";
        Headline(stderr).ShouldBe(" (script.sh:143: ValueError: No JSON object could be decoded)");
    }

    [Fact]
    public void Headline_SyntaxErrorWithoutTraceback_FileLineAndError()
    {
        // A Python 2 print statement under Python 3: no traceback header, the File line, the source, the carets.
        const string stderr =
            "  File \"/bootflash/scripts/script.sh\", line 21\n" +
            "    print \"poap_py_log:\" + info\n" +
            "    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n" +
            "SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?\n";
        Headline(stderr).ShouldBe(" (script.sh:21: SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?)");
    }

    [Fact]
    public void Headline_OnlyWarningsOnStderr_LastErrorLoggedNotTheWarningNorCleanup()
    {
        const string stderr =
            "/bootflash/scripts/script.sh:40: SyntaxWarning: invalid escape sequence '\\d'\n" +
            "  m = re.match(\"(\\d+)\", text)\n";
        ScriptFailure.Headline(stderr, "ERR : MD5 verification failed for system image", "Cleanup all files")
            .ShouldBe(" (its last error: ERR : MD5 verification failed for system image)");
    }

    [Fact]
    public void Headline_ExitAfterAnErrorPrintedOnStdout_ThatError()
    {
        // Scripts of the older lineage log to a file and print each line; nothing on stderr, no syslog.
        const string stdout =
            "poap_py_log:INFO: Starting\n" +
            "poap_py_log:CLI : copy scp://poap@10.0.0.1/img.bin bootflash:img.bin vrf management\n" +
            "poap_py_log:ERR: image copy failed: No such file or directory\n" +
            "poap_py_log:INFO: cleaning up\n";
        Headline(stdout: stdout, last: null).ShouldBe(" (its last error: poap_py_log:ERR: image copy failed: No such file or directory)");
    }

    [Fact]
    public void Headline_GenericScriptFailedAfterTheError_TheError()
    {
        const string stdout =
            "FDO26021005 - Copy of tftp://poap@10.0.0.1/images/x.bin failed: % TFTP get operation failed:Timed out waiting for 10.0.0.1\n" +
            "FDO26021005 - POAP script failed; the switch will retry POAP\n";
        Headline(stdout: stdout).ShouldBe(" (its last error: FDO26021005 - Copy of tftp://poap@10.0.0.1/images/x.bin failed: % TFTP get operation failed:Timed out waiting for 10.0.0.1)");
    }

    [Fact]
    public void Headline_SysExitWithAMessage_ThatMessage()
    {
        Headline("ERROR: no config for serial FDO23490570\n", stdout: "poap_py_log:INFO: cleaning up\n").ShouldBe(" (its last error: ERROR: no config for serial FDO23490570)");
    }

    [Fact]
    public void Headline_AbortNoticeAfterTheError_TheErrorNotTheNotice()
    {
        const string stdout = "ERR: md5 mismatch for nxos.10.3.6.M.bin\nAborting\nCleanup all files\n";
        Headline(stdout: stdout).ShouldBe(" (its last error: ERR: md5 mismatch for nxos.10.3.6.M.bin)");
        Headline(stdout: "Aborting: nothing to do\nCleanup all files\n").ShouldBe(" (its last error: Aborting: nothing to do)");
    }

    [Fact]
    public void Headline_CaughtRefusedCommandThenSilentExit_TheRefusedCommand()
    {
        var refused = ScriptFailure.Refused("show inventory chassis", "show inventory chassis\n               ^\n% Invalid command at '^' marker.\n");
        refused.ShouldBe("'show inventory chassis': % Invalid command at '^' marker.");
        Headline(last: "INFO: cleaning up", refused: refused).ShouldBe(" (its last refused command: 'show inventory chassis': % Invalid command at '^' marker.)");
        // A logged error outranks it: scripts delete files that may not exist and carry on.
        Headline(error: "ERR : config copy failed", last: "INFO: cleaning up", refused: refused).ShouldBe(" (its last error: ERR : config copy failed)");
    }

    [Fact]
    public void Headline_NothingButALastMessage_ThatMessage()
    {
        ScriptFailure.Headline("", null, "Done").ShouldBe(" (its last message: Done)");
        ScriptFailure.Headline("", null, null).ShouldBe("");
        ScriptFailure.Headline("plain text on stderr\n", null, "x").ShouldBe(" (plain text on stderr)");
    }

    [Fact]
    public void Headline_HostileText_OneBoundedLine()
    {
        var stderr = "Traceback (most recent call last):\n  File \"/bootflash/scripts/script.sh\", line 1, in <module>\nValueError: " + new string('x', 100_000) + "\u001b[2J\n";
        var shown = Headline(stderr);
        shown.Length.ShouldBeLessThanOrEqualTo(ScriptFailure.MaxChars + 4);
        shown.ShouldEndWith("…)");
        Headline("boom\u001b[31m\r\n", last: null).ShouldBe(" (boom [31m)");
        // A traceback cut off before its exception: no exception to report, the stderr's last line stands.
        Headline("Traceback (most recent call last):\n  File \"/bootflash/scripts/script.sh\", line 3, in <module>\n").ShouldBe(" (File \"/bootflash/scripts/script.sh\", line 3, in <module>)");
    }

    [Theory]
    [InlineData("ERR : copy failed", 2)]
    [InlineData("Image verification failed", 2)]
    [InlineData("Aborting: no config", 1)]
    [InlineData("INFO: cleaning up", 0)]
    [InlineData("Cleanup all files", 0)]
    [InlineData("INFO: Verification passed. (system : 9.3(8))", 0)]
    [InlineData("Terminating: timed out waiting for copy", 2)]
    [InlineData("% Invalid command at '^' marker.", 2)]
    [InlineData("FDO26021005 - POAP script failed; the switch will retry POAP", 1)]
    [InlineData("ERR : POAP script failed: copy of the image failed", 2)]
    [InlineData("Copy of tftp://poap@10.0.0.1/images/x.bin failed: % TFTP get operation failed:Timed out waiting for 10.0.0.1", 2)]
    public void Weight_ScriptWording(string message, int weight)
    {
        ScriptFailure.Weight(message).ShouldBe(weight);
        ScriptFailure.LooksLikeError(message).ShouldBe(weight > 0);
    }
}
