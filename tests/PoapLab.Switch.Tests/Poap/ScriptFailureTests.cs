using PoapLab.Switch.Poap;

namespace PoapLab.Switch.Tests.Poap;

public sealed class ScriptFailureTests
{
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
            .ShouldBe(" (TypeError: load() missing 1 required positional argument: 'Loader')");
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
    public void Headline_NothingButALastMessage_ThatMessage()
    {
        ScriptFailure.Headline("", null, "Done").ShouldBe(" (its last message: Done)");
        ScriptFailure.Headline("", null, null).ShouldBe("");
        ScriptFailure.Headline("plain text on stderr\n", null, "x").ShouldBe(" (plain text on stderr)");
    }

    [Theory]
    [InlineData("ERR : copy failed", true)]
    [InlineData("Image verification failed", true)]
    [InlineData("Aborting: no config", true)]
    [InlineData("Cleanup all files", false)]
    [InlineData("INFO: Verification passed. (system : 9.3(8))", false)]
    [InlineData("Terminating: timed out waiting for copy", true)]
    public void LooksLikeError_ScriptWording(string message, bool error) => ScriptFailure.LooksLikeError(message).ShouldBe(error);
}
