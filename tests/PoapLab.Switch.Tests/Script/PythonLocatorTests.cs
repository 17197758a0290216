using PoapLab.Switch.Script;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script;

public sealed class PythonLocatorTests
{
    private const string Python27 = "/root/.pyenv/versions/2.7.18/bin/python2.7";

    [Fact]
    public void Resolve_Default_DebiansRealBinaryWithYaml()
    {
        Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");

        var python = PythonLocator.Resolve(null);

        python.Executable.ShouldStartWith("/usr/bin/python3.");
        new FileInfo(python.Executable).LinkTarget.ShouldBeNull();
        python.Prefix.ShouldBe("/usr");
        python.Major.ShouldBe(3);
        python.Version.ShouldMatch(@"^3\.\d+\.\d+$");
        PythonLocator.Resolve("default").ShouldBeSameAs(python);
        python.HasYaml.ShouldBeTrue();
    }

    [Fact]
    public async Task ResolveAsync_ManyCallersAtOnce_OneAnswerNoThreadBlocked()
    {
        Requires.Tool("/usr/bin/python3", "apt-get install python3 python3-yaml");

        // A fleet's switches all ask at once: they share one query and return the same answer.
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => PythonLocator.ResolveAsync(null, TestContext.Current.CancellationToken)));

        answers.Distinct().Count().ShouldBe(1);
        answers[0].ShouldBeSameAs(PythonLocator.Resolve(null));
    }

    [Fact]
    public async Task ResolveAsync_Missing_ThrowsAndIsAskedAgainNextTime()
    {
        var first = await Should.ThrowAsync<PythonNotFoundException>(() => PythonLocator.ResolveAsync("python3.98", TestContext.Current.CancellationToken));
        var second = await Should.ThrowAsync<PythonNotFoundException>(() => PythonLocator.ResolveAsync("python3.98", TestContext.Current.CancellationToken));

        second.ShouldNotBeSameAs(first);
        second.Message.ShouldContain("python3.98");
    }

    [Theory]
    [InlineData("2.7")]
    [InlineData("python2.7")]
    [InlineData("2")]
    [InlineData("2.7.18")]
    [InlineData(Python27)]
    public void Resolve_Python27_PyenvRealBinary(string requested)
    {
        Requires.That(File.Exists(Python27), $"Python 2.7.18 under /root/.pyenv/versions (pyenv install 2.7.18)");

        var python = PythonLocator.Resolve(requested);

        python.Version.ShouldBe("2.7.18");
        python.Major.ShouldBe(2);
        python.Executable.ShouldBe(Python27);
        python.Prefix.ShouldBe("/root/.pyenv/versions/2.7.18");
        // pyenv's 2.7 has no PyYAML (and this machine cannot fetch it): the sandbox offers PoapLab's yaml.
        python.HasYaml.ShouldBe(File.Exists("/root/.pyenv/versions/2.7.18/lib/python2.7/site-packages/yaml/__init__.py"));
    }

    [Fact]
    public void Resolve_MinorVersion_MatchingInterpreter()
    {
        var pyenv312 = Directory.Exists("/root/.pyenv/versions")
            && Directory.GetDirectories("/root/.pyenv/versions", "3.12*").Length > 0;
        Requires.That(pyenv312 || Requires.Find("python3.12") is not null, "a Python 3.12 on PATH or under /root/.pyenv/versions");

        var python = PythonLocator.Resolve("3.12");

        python.Version.ShouldStartWith("3.12.");
        PythonLocator.Resolve("python3.12").ShouldBe(python);
    }

    [Fact]
    public void Resolve_PyenvShim_TheRealBinaryBehindIt()
    {
        const string shim = "/root/.pyenv/shims/python3";
        Requires.That(File.Exists(shim), "pyenv shims under /root/.pyenv/shims");

        var python = PythonLocator.Resolve(shim);

        python.Executable.ShouldNotBe(shim);
        File.ReadAllBytes(python.Executable)[..4].ShouldBe(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' });
    }

    [Fact]
    public void Resolve_AbsentVersion_MessageNamesItAndHowToGetIt()
    {
        var e = Should.Throw<PythonNotFoundException>(() => PythonLocator.Resolve("python3.99"));

        e.Requested.ShouldBe("python3.99");
        e.Message.ShouldBe("python3.99 is needed by this scenario but was not found on PATH or under " +
            $"{Path.Combine(Environment.GetEnvironmentVariable("PYENV_ROOT") ?? "/root/.pyenv", "versions")}; " +
            "install it with pyenv install 3.99 or name another with python: in the scenario");
    }

    [Fact]
    public void Resolve_AbsentPath_NotFound()
    {
        var e = Should.Throw<PythonNotFoundException>(() => PythonLocator.Resolve("/opt/none/bin/python2.7"));

        e.Message.ShouldContain("/opt/none/bin/python2.7");
    }

    [Theory]
    [InlineData("ruby")]
    [InlineData("python4")]
    [InlineData("3.x")]
    public void Resolve_NotAPythonName_ArgumentException(string requested)
    {
        Should.Throw<ArgumentException>(() => PythonLocator.Resolve(requested));
    }
}
