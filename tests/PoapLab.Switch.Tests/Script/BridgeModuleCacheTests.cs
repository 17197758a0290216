using PoapLab.Switch.Script;

namespace PoapLab.Switch.Tests.Script;

/// <summary>The bridge's Python modules, byte-compiled once per interpreter and bound read-only into every run.</summary>
public sealed class BridgeModuleCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Inside the sandbox: is each module's bytecode there, and current for its source (the
    // mtime and size in the header of a timestamp .pyc, PEP 552), so the import system uses it?
    private const string BytecodeProbe = """
        import os, struct, sys, importlib.util
        for name in ('sitecustomize', '_poaplab_bridge', 'cli', 'syslog'):
            source = '/.poaplab/lib/%s.py' % name
            cached = importlib.util.cache_from_source(source)
            with open(cached, 'rb') as f:
                header = f.read(16)
            flags, mtime, size = struct.unpack('<III', header[4:16])
            st = os.stat(source)
            print(name, header[:4] == importlib.util.MAGIC_NUMBER, flags == 0 and mtime == int(st.st_mtime) & 0xFFFFFFFF and size == st.st_size)
        """;

    private static (ScriptHost Host, BridgeModuleCache Cache) NewHost(SandboxedSwitch sw)
    {
        var cache = new BridgeModuleCache(Directory.CreateDirectory(Path.Combine(sw.Parent, "pycache")).FullName);
        return (new ScriptHost { BridgeDirectoryCreated = sw.BridgeDirectories.Add, ModuleCache = cache }, cache);
    }

    [Fact]
    public void Modules_EveryByteAscii_SoPython27ReadsThem()
    {
        // Python 2.7 (the 7.x images' interpreter) refuses a source file with a non-ASCII byte
        // and no coding line (PEP 263), and every script imports these modules before it runs.
        var modules = Directory.GetFiles(Path.Combine(PoapLab.Testing.RepoPaths.Root, "src", "PoapLab.Switch", "Script", "Python"), "*.py");

        modules.ShouldNotBeEmpty();
        foreach (var module in modules)
        {
            var bytes = File.ReadAllBytes(module);
            var at = Array.FindIndex(bytes, b => b > 0x7F);
            at.ShouldBe(-1, $"{Path.GetFileName(module)} has a non-ASCII byte at offset {at}");
        }
    }

    [Fact]
    public async Task RunAsync_Python3_EveryModuleHasCurrentBytecodeBuiltOnce()
    {
        using var sw = SandboxedSwitch.Create();
        var (host, cache) = NewHost(sw);
        sw.WriteScript(BytecodeProbe);

        var first = await host.RunAsync(sw.Request(), sw.Bridge, Ct);
        var second = await host.RunAsync(sw.Request(), sw.Bridge, Ct);

        first.ExitCode.ShouldBe(0, first.Stderr);
        second.Stdout.ShouldBe(first.Stdout);
        first.Stdout.ShouldBe("sitecustomize True True\n_poaplab_bridge True True\ncli True True\nsyslog True True\n");
        cache.Builds.ShouldBe(1);
    }

    [Fact]
    public async Task RunAsync_Python27_ModulesLoadedFromBytecodeBesideTheSource()
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip("2.7");
        var (host, _) = NewHost(sw);
        sw.WriteScript("import sys, cli, _poaplab_bridge\nprint(cli.__file__)\nprint(_poaplab_bridge.__file__)\nprint(sys.modules['sitecustomize'].__file__)\n");

        var result = await host.RunAsync(sw.Request(interpreter), sw.Bridge, Ct);

        // Python 2.7 names a module by the .pyc it was loaded from.
        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldBe("/.poaplab/lib/cli.pyc\n/.poaplab/lib/_poaplab_bridge.pyc\n/.poaplab/lib/sitecustomize.pyc\n");
    }

    [Fact]
    public async Task RunAsync_ScriptWritesTheCachedModules_RefusedAndCacheIntact()
    {
        using var sw = SandboxedSwitch.Create();
        var (host, cache) = NewHost(sw);
        sw.WriteScript("""
            import os, importlib.util
            def attempt(what, action):
                try:
                    action()
                    print(what + ': done')
                except (OSError, IOError) as e:
                    print(what + ': refused')
            pyc = importlib.util.cache_from_source('/.poaplab/lib/cli.py')
            attempt('overwrite pyc', lambda: open(pyc, 'wb').write(b'x'))
            attempt('replace pyc', lambda: os.rename(pyc, pyc + '.old'))
            attempt('unlink pyc', lambda: os.unlink(pyc))
            attempt('plant re.py', lambda: open('/.poaplab/lib/re.py', 'w').write('raise SystemExit(9)\n'))
            attempt('plant pycache', lambda: open('/.poaplab/lib/__pycache__/re.cpython-311.pyc', 'wb').write(b'x'))
            attempt('chmod lib', lambda: os.chmod('/.poaplab/lib', 0o777))
            attempt('fallback', lambda: os.mkdir('/.poaplab/fallback'))
            from cli import cli
            cli('show version')
            """);

        var result = await host.RunAsync(sw.Request(), sw.Bridge, Ct);
        var again = await host.RunAsync(sw.Request(), sw.Bridge, Ct);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldNotContain(": done");
        result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(7);
        again.Stdout.ShouldBe(result.Stdout);
        // Nothing changed on the host: the second run found the cache intact and rebuilt nothing.
        cache.Builds.ShouldBe(1);
        sw.Bridge.CliCalls.Select(c => c.Command).ShouldBe(["show version", "show version"]);
    }

    [Theory]
    [InlineData("pyc")]
    [InlineData("source")]
    [InlineData("extra")]
    public async Task RunAsync_CacheChangedOnTheHost_NotUsedAndRebuilt(string change)
    {
        using var sw = SandboxedSwitch.Create();
        var (host, cache) = NewHost(sw);
        sw.WriteScript("from cli import cli\nprint(cli('show version'))\n");
        var first = await host.RunAsync(sw.Request(), sw.Bridge, Ct);
        first.ExitCode.ShouldBe(0, first.Stderr);
        var lib = Directory.GetDirectories(Path.Combine(sw.Parent, "pycache")).ShouldHaveSingleItem() + "/lib";
        const string Evil = "import sys\nsys.stdout.write('TAMPERED\\n')\ndef cli(c):\n    return 'faked'\n";
        switch (change)
        {
            case "pyc":
                // Bytecode of other code, with a header that matches the source: Python itself would take it.
                var pyc = Directory.GetFiles(Path.Combine(lib, "__pycache__"), "cli.*.pyc").ShouldHaveSingleItem();
                var evil = Path.Combine(sw.Parent, "evil.py");
                File.WriteAllText(evil, Evil);
                var compiled = System.Diagnostics.Process.Start("/usr/bin/python3", ["-c", $"import py_compile; py_compile.compile('{evil}', cfile='{evil}c')"])!;
                await compiled.WaitForExitAsync(Ct);
                var bytes = File.ReadAllBytes(evil + "c");
                File.ReadAllBytes(pyc).AsSpan(0, 16).CopyTo(bytes);
                File.WriteAllBytes(pyc, bytes);
                break;
            case "source":
                File.WriteAllText(Path.Combine(lib, "cli.py"), Evil);
                Directory.Delete(Path.Combine(lib, "__pycache__"), recursive: true);
                break;
            default:
                File.WriteAllText(Path.Combine(lib, "re.py"), "import sys\nsys.stdout.write('TAMPERED\\n')\n");
                break;
        }

        var second = await host.RunAsync(sw.Request(), sw.Bridge, Ct);

        second.ExitCode.ShouldBe(0, second.Stderr);
        second.Stdout.ShouldNotContain("TAMPERED");
        second.Stdout.ShouldNotContain("faked");
        cache.Builds.ShouldBe(2);
        sw.Bridge.CliCalls.Count.ShouldBe(2);
    }

    [Fact]
    public void RemoveAbandoned_CacheOfAProcessGone_RemovedOneStillLockedKept()
    {
        var temp = Directory.CreateTempSubdirectory("poaplab-cache-test-").FullName;
        try
        {
            var gone = Directory.CreateDirectory(Path.Combine(temp, BridgeModuleCache.RootPrefix + "1-gone")).FullName;
            File.WriteAllText(Path.Combine(gone, BridgeModuleCache.LockFileName), "");
            var alive = Directory.CreateDirectory(Path.Combine(temp, BridgeModuleCache.RootPrefix + "2-alive")).FullName;
            var other = Directory.CreateDirectory(Path.Combine(temp, "poaplab-script-other")).FullName;
            using (new FileStream(Path.Combine(alive, BridgeModuleCache.LockFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                BridgeModuleCache.RemoveAbandoned(temp);
            }

            Directory.Exists(gone).ShouldBeFalse();
            Directory.Exists(alive).ShouldBeTrue();
            Directory.Exists(other).ShouldBeTrue();
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }
}
