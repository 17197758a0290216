using PoapLab.Core.Processes;

namespace PoapLab.Core.Tests.Processes;

public sealed class ExecutableSearchTests
{
    [Fact]
    public void Find_NameOnTheGivenPath_FirstDirectoryThatHasIt() =>
        ExecutableSearch.Find("sh", "/nonexistent:/bin:/usr/bin").ShouldBe("/bin/sh");

    [Fact]
    public void Find_NameNowhere_Null() =>
        ExecutableSearch.Find("no-such-program-poaplab", "/bin:/usr/bin").ShouldBeNull();

    [Fact]
    public void Find_PathWithASlash_AsItIsWhenItExists()
    {
        ExecutableSearch.Find("/bin/sh", "").ShouldBe("/bin/sh");
        ExecutableSearch.Find("/nonexistent/sh", "/bin").ShouldBeNull();
    }
}
