using System.Text.Json;
using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

/// <summary>
/// <c>yaml.load(stream)</c> without a Loader in the sandbox: NX-OS images ship a PyYAML older
/// than 6.0, where that call works (Cisco's POAPv3 script makes it); Debian's PyYAML 6 raises
/// TypeError, so the sandbox's site module gives it the 5.x default (FullLoader) back.
/// </summary>
public sealed class YamlAsOnTheSwitchTests
{
    private const string Recipe = """
        import io, json, yaml
        doc = "Version: 1\nTarget_image: nxos64-cs.10.3.6.M.bin\nLicense:\n  - lic1.lic\n"
        result = {
            'load': yaml.load(io.StringIO(doc)),
            'load_all': list(yaml.load_all(doc)),
            'explicit': yaml.load(doc, Loader=yaml.SafeLoader),
            'safe_load': yaml.safe_load(doc),
            'version': yaml.__version__,
        }
        print(json.dumps(result, sort_keys=True))
        """;

    private const string Hostile = """
        import json, os, yaml
        doc = '!!python/object/apply:os.system ["touch /bootflash/pwned"]\n'
        try:
            yaml.load(doc)
            outcome = 'constructed'
        except yaml.YAMLError as e:
            outcome = type(e).__name__
        print(json.dumps({'outcome': outcome, 'pwned': os.path.exists('/bootflash/pwned'), 'site': yaml.load.__module__}))
        """;

    [Fact]
    public async Task YamlLoad_WithoutLoader_ReadsAsPyYaml5()
    {
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript(Recipe);

        var result = await sw.NewHost().RunAsync(sw.Request(PythonLocator.Resolve(null)), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        var seen = JsonDocument.Parse(result.Stdout).RootElement;
        seen.GetProperty("load").GetProperty("Target_image").GetString().ShouldBe("nxos64-cs.10.3.6.M.bin");
        seen.GetProperty("load").GetProperty("License")[0].GetString().ShouldBe("lic1.lic");
        seen.GetProperty("load_all")[0].GetProperty("Version").GetInt32().ShouldBe(1);
        seen.GetProperty("explicit").GetProperty("Version").GetInt32().ShouldBe(1);
        seen.GetProperty("safe_load").GetProperty("Version").GetInt32().ShouldBe(1);
        result.Stderr.ShouldNotContain("TypeError");
    }

    [Fact]
    public async Task YamlLoad_WithoutLoader_PythonTagsStillRefused()
    {
        using var sw = SandboxedSwitch.Create();
        sw.WriteScript(Hostile);

        var result = await sw.NewHost().RunAsync(sw.Request(PythonLocator.Resolve(null)), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        var seen = JsonDocument.Parse(result.Stdout).RootElement;
        seen.GetProperty("outcome").GetString().ShouldBe("ConstructorError");
        seen.GetProperty("pwned").GetBoolean().ShouldBeFalse();
        File.Exists(Path.Combine(sw.Filesystem.BootflashPath, "pwned")).ShouldBeFalse();
        // The wrapper lives in the sandbox's own site module, nowhere the host reads.
        seen.GetProperty("site").GetString().ShouldBe("sitecustomize");
    }

    [Fact]
    public async Task YamlLoad_StandInOnPython27_NeedsNoWrapper()
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip("2.7");
        sw.WriteScript("import yaml\nprint(yaml.load('a: 1\\n')['a'])\n");

        var result = await sw.NewHost().RunAsync(sw.Request(interpreter), sw.Bridge, TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.Trim().ShouldBe("1");
    }
}
