using System.Security.Cryptography;
using System.Text;
using PoapLab.Cli;

namespace PoapLab.Cli.Tests.Commands;

public sealed class Md5CommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-md5-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<int> Run(params string[] args) => Program.BuildRoot().Parse(args).InvokeAsync(cancellationToken: TestContext.Current.CancellationToken);

    [Fact]
    public async Task Md5_StaleThenFix_ExitCodesAndCurrentValue()
    {
        var path = Path.Combine(_dir, "poap.py");
        await File.WriteAllTextAsync(path, "#!/bin/env python\n#md5sum=\"00000000000000000000000000000000\"\nprint('hi')\n", TestContext.Current.CancellationToken);
        (await Run("md5", path)).ShouldBe(1);
        (await Run("md5", path, "--fix")).ShouldBe(0);
        (await Run("md5", path)).ShouldBe(0);
        var expected = Convert.ToHexStringLower(MD5.HashData(Encoding.ASCII.GetBytes("#!/bin/env python\nprint('hi')\n")));
        (await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken)).ShouldContain($"#md5sum=\"{expected}\"");
    }

    [Fact]
    public async Task Md5_MissingFile_Exit2() => (await Run("md5", Path.Combine(_dir, "none.py"))).ShouldBe(2);
}
