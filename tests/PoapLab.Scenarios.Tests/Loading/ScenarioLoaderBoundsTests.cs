using PoapLab.Testing;
using System.Diagnostics;
using PoapLab.Scenarios.Loading;

namespace PoapLab.Scenarios.Tests.Loading;

/// <summary>A scenario file is untrusted, bounded input: numbers, nesting, names and served files.</summary>
public sealed class ScenarioLoaderBoundsTests : IDisposable
{
    private const string Minimal = """
        name: minimal
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
            lease: 1d
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("poaplab-bounds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("20000000d")]
    [InlineData("99999999999999999999999999999d")]
    [InlineData("0s")]
    public void Parse_LeaseOutOfRange_ErrorWithLineAndRange(string lease)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Minimal.Replace("lease: 1d", $"lease: {lease}", StringComparison.Ordinal), "lease.yaml"));

        e.Location.ShouldBe(new PoapLab.Scenarios.Model.SourceLocation("lease.yaml", 12, 12));
        e.Problem.ShouldContain("'lease' must be a duration from 1s to 3650d");
    }

    [Fact]
    public void Parse_LeaseInRange_Accepted()
    {
        ScenarioLoader.Parse(Minimal.Replace("lease: 1d", "lease: 3650d", StringComparison.Ordinal), "lease.yaml").Servers.Dhcp[0].Lease.ShouldBe(TimeSpan.FromDays(3650));
    }

    [Theory]
    [InlineData("    bootflash: { size: 100000 GiB }", "'size' must be a size from 1 MiB to 1024 GiB")]
    [InlineData("    bootflash: { size: 64 MiB, used: 65 MiB }", "more than the bootflash 'size'")]
    [InlineData("    link: { mbps: 1e400 }", "'mbps' must be a positive number")]
    [InlineData("    link: { mbps: NaN }", "'mbps' must be a positive number")]
    [InlineData("    link: { delay: 1d }", "'delay' must be a duration from 0s to 600s")]
    [InlineData("    poap: { script_timeout: 1e3 }", "'script_timeout' must be a duration")]
    [InlineData("    poap: { retry_delay: ٣s }", "'retry_delay' must be a duration")]
    [InlineData("    faults: [{ kind: abort, phase: boot, attempt: 99999999999 }]", "'attempt' must be a whole number from 1 to 1000")]
    public void Parse_SwitchNumberOutOfRange_ErrorSaysRange(string line, string expected)
    {
        var text = Minimal.Replace("    mac: 00:11:22:33:44:55", "    mac: 00:11:22:33:44:55\n" + line, StringComparison.Ordinal);

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "n.yaml"));

        e.Location.Line.ShouldBe(6);
        e.Problem.ShouldContain(expected);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    public void Parse_NestedTwentyThousandDeep_ErrorNotStackOverflow(string open, string close)
    {
        var text = "name: deep\nswitches: " + string.Concat(Enumerable.Repeat(open, 20_000)) + string.Concat(Enumerable.Repeat(close, 20_000)) + "\n";
        Exception? caught = null;
        // A small stack: the depth limit, not the stack size, must be what stops it.
        var thread = new Thread(() => caught = Record.Exception(() => ScenarioLoader.Parse(text, "deep.yaml")), 256 * 1024);
        thread.Start();
        thread.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();

        var e = caught.ShouldBeOfType<ScenarioException>();
        e.Problem.ShouldContain($"nest more than {ScenarioLoader.MaxDepth} deep");
        e.Location.Line.ShouldBe(2);
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("\"a\\0b\"")]
    [InlineData("\"tab\\there\"")]
    [InlineData("report.json")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("\"caf\\u00e9\"")]
    public void Parse_UnsafeScenarioName_ErrorSaysAllowedCharacters(string name)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Minimal.Replace("name: minimal", $"name: {name}", StringComparison.Ordinal), "n.yaml"));

        e.Location.Line.ShouldBe(1);
        e.Problem.ShouldContain(name == "report.json" ? "PoapLab writes a file or folder of that name" : ScenarioLoader.NameRule);
        e.Message.ShouldNotContain("\0");
    }

    [Theory]
    [InlineData("..")]
    [InlineData("\"x\\0\"")]
    [InlineData("files")]
    [InlineData("timeline.json")]
    [InlineData("capture.pcapng")]
    [InlineData("capture.txt")]
    public void Parse_UnsafeSwitchName_Error(string name)
    {
        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(Minimal.Replace("name: leaf", $"name: {name}", StringComparison.Ordinal), "n.yaml"));

        e.Location.Line.ShouldBe(3);
    }

    [Theory]
    [InlineData("leaf-101")]
    [InlineData("06b-md5sum.unquoted_2")]
    public void Parse_SafeNames_Accepted(string name)
    {
        var s = ScenarioLoader.Parse(Minimal.Replace("- name: leaf", $"- name: {name}", StringComparison.Ordinal).Replace("name: minimal", $"name: {name}", StringComparison.Ordinal), "n.yaml");

        s.Name.ShouldBe(name);
        s.Switches[0].Name.ShouldBe(name);
    }

    [Fact]
    public void Parse_ImageOf100GiB_ErrorSaysTheBound()
    {
        var text = Minimal + "\nfiles:\n  - path: images/x.bin\n    image: { version: 10.3(6)M, size: 100 GiB }\n";

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, "img.yaml"));

        e.Location.Line.ShouldBe(15);
        e.Problem.ShouldContain("'size' must be a size from 4 KiB to 4 GiB");
    }

    [Fact]
    public async Task Parse_SourceIsFifo_ErrorAtValidationNoHang()
    {
        var fifo = Path.Combine(_dir, "pipe");
        MakeFifo(fifo);
        var text = Minimal + $"\nfiles:\n  - path: x\n    source: {fifo}\n";

        var e = await Task.Run(() => Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, Path.Combine(_dir, "f.yaml"))), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        e.Location.Line.ShouldBe(15);
        e.Problem.ShouldContain("is a FIFO (named pipe), not a regular file");
    }

    [Theory]
    [InlineData("source")]
    [InlineData("script")]
    public void Parse_ServedSecretAsRoot_RefusedUnlessEveryUserMayReadIt(string key)
    {
        Requires.That(Environment.IsPrivilegedProcess, "root (the rule guards what root can read)");
        // Attack: a scenario (from a merge request) serves /etc/shadow or a private key to its own script.
        var secret = Path.Combine(_dir, "id_ed25519");
        File.WriteAllText(secret, "options = {}\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        foreach (var path in new[] { secret, "/etc/shadow" })
        {
            var text = Minimal + $"\nfiles:\n  - path: x\n    {key}: {path}\n";

            var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, Path.Combine(_dir, "f.yaml")));

            e.Location.Line.ShouldBe(15);
            e.Problem.ShouldContain("is not readable by every user");
        }
        // The same file made world-readable is served.
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        ScenarioLoader.Parse(Minimal + $"\nfiles:\n  - path: x\n    {key}: {secret}\n", Path.Combine(_dir, "f.yaml")).Files.ShouldNotBeEmpty();
    }

    [Theory]
    [InlineData("source", "/dev/zero", "a character device")]
    [InlineData("script", "/dev/zero", "a character device")]
    [InlineData("source", "/tmp", "a directory")]
    [InlineData("source", "/nonexistent/x", "does not exist")]
    public void Parse_ServedFileNotRegular_ErrorNamesFileAndLine(string key, string path, string expected)
    {
        var text = Minimal + $"\nfiles:\n  - path: x\n    {key}: {path}\n";

        var e = Should.Throw<ScenarioException>(() => ScenarioLoader.Parse(text, Path.Combine(_dir, "f.yaml")));

        e.Location.Line.ShouldBe(15);
        e.Problem.ShouldContain(expected);
        e.Problem.ShouldContain("must be a regular file of at most");
    }

    [Fact]
    public async Task Load_ScenarioFileIsFifo_ErrorNoHang()
    {
        var fifo = Path.Combine(_dir, "scenario.yaml");
        MakeFifo(fifo);

        var e = await Task.Run(() => Should.Throw<ScenarioException>(() => ScenarioLoader.Load(fifo)), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        e.Problem.ShouldContain("FIFO");
    }

    [Fact]
    public void Load_ScenarioFileOverOneMiB_Error()
    {
        var big = Path.Combine(_dir, "big.yaml");
        File.WriteAllText(big, Minimal + "\ndescription: " + new string('x', 2 << 20) + "\n");

        Should.Throw<ScenarioException>(() => ScenarioLoader.Load(big)).Problem.ShouldContain("more than the 1048576 bytes");
    }

    private static void MakeFifo(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit(10_000).ShouldBeTrue();
        p.ExitCode.ShouldBe(0);
    }
}
