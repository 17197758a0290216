using System.Diagnostics;
using System.Text.Json;
using PoapLab.Switch.Script;
using PoapLab.Testing;

namespace PoapLab.Switch.Tests.Script;

/// <summary>
/// PoapLab's own <c>yaml</c> module (Script/Python/yaml.py), offered in the sandbox to
/// interpreters without PyYAML. Python 3 compares it with the real PyYAML on the same
/// documents; Python 2.7 (where it matters: pyenv's 2.7 has no PyYAML) compares it with
/// PyYAML's answers on Python 3 and with values written out here.
/// </summary>
public sealed class YamlStandInTests(YamlStandInTests.Files files) : IClassFixture<YamlStandInTests.Files>
{
    private const string Python3 = "/usr/bin/python3";
    private const string Python27 = "/root/.pyenv/versions/2.7.18/bin/python2.7";

    /// <summary>What POAP recipes and scripts feed yaml, plus the corners of the subset.</summary>
    private static readonly string[] Corpus =
    [
        "key: value\nlist:\n- a\n- b\nnested:\n  x: 1\n  y: [1, 2]\n",
        "# recipe\n---\nswitches:\n  - serial: FDO23490570\n    hostname: leaf-101\n    image: nxos64-cs.10.3.4a.M.bin\n    vrf: management\n",
        "- name: x\n  v: 1\n- name: y\n  v: [a, {b: c}]\n",
        "a:\n  - b\n  -\n    c: d\n  - - e\n    - f\n",
        "- - - a\n    - b\n  - c",
        "a:\n  b:\n    c:\n      - 1\n",
        "a: |\n  line1\n  line2\n\n  line3\n\n\nb: 2",
        "a: >\n  folded\n  text\n\n  para\n    more\n  back\nb: >-\n  x\n  y\n\n",
        "a: |+\n  keep\n\n\nb: |-\n  strip\n",
        "a: |+\n\n\nb: 1",
        "a: |2\n    two\n",
        "a: |\n  x",
        "- |\n  lit\n- >\n  fold\n",
        "config: |\n  hostname leaf-101\n  interface mgmt0\n    vrf member management\n",
        "s: 'it''s'\nd: \"tab\\there \\u00e9 \\x41 \\\\ \\\"q\\\" \\U0001F600\"\n",
        "a: \"multi\n  line\n\n  quoted\"\nb: 'one\n  two'",
        "a: \"esc\\\n   aped\"",
        "yes: no\non: off\nTrue: FALSE\nn: ~\nm: null\ne:\nf: Null",
        "v: 010\nw: 0x_1F\nx: -1_000\ny: 1.5e-3\nz: .inf\nzz: -.Inf\nq: .NaN\nb: 0b101\ns: 1:30\nt: 190:20:30.15",
        "[1.0e3, 1e3, .5, -.5, 1_000.5, 1., 0o17, 08, +1, -0, 0_, 3.14]",
        "date: 2024-01-31\nstamp: 2001-12-14t21:59:43.10-05:00\nutc: 2001-12-14 21:59:43Z\nlocal: 2001-12-14 21:59:43",
        "url: http://h:80/p?q=1#frag\nx: a:b\nmd5: d41d8cd98f00b204e9800998ecf8427e\npath: /bootflash/poap_files/",
        "a: 1\na: 2",
        "plain: multi\n  line\n\n  text\nb: 1",
        "[1, \"2\", [3, {a: b}], {}, []]",
        "{a: [1, 2], b: {c: d}, e}",
        "k: [a,\n  b, # c\n  c]\n",
        "{a:1}\n",
        "[a:b, http://x, a: 1]",
        "{\"a\":1, 'b': [x, y,],}",
        "'q': 1\n\"r\": 2\nfoo bar: baz qux",
        "a: 1 # comment\nb: \"x\" # c\nc: [1] # c\n# trailing",
        "str: \"yes\"\nint: \"1\"\nempty1: ''\nempty2: \"\"",
        "x: -a\ny: -1\nz:\n",
        "a: b\n  - c",
        "--- \na: 1\n...\n",
        "--- >\n  folded root\n",
        "--- [a, b]",
        "plain root\nscalar",
        "",
        "# only a comment\n",
        "\ufeffa: 1\r\nb: 2\r\n",
        "key:\n- a\n- b\nother: 1",
        "- a: 1\n  b: 2\n- a: 3\n",
        "a:\t1\nb: x\ty",
    ];

    /// <summary>Outside the subset or not YAML: a YAMLError naming the line (1-based).</summary>
    public static TheoryData<string, string, int> Rejected => new()
    {
        { Python3, "a: &x 1", 1 },
        { Python3, "a: 1\nb: *x", 2 },
        { Python3, "a: !!str 1", 1 },
        { Python3, "? a\n: b", 1 },
        { Python3, "a: b: c", 1 },
        { Python3, "- a\nb: 1", 2 },
        { Python3, "a:\n  b: 1\n c: 2", 3 },
        { Python3, "a: \"x\"\n  b", 2 },
        { Python3, "<<: {a: 1}", 1 },
        { Python3, "%YAML 1.1\n---\na: 1", 1 },
        { Python3, "a: 1\n\tb: 2", 2 },
        { Python3, "a: 1\n---\nb: 2", 2 },
        { Python3, "key: - a", 1 },
        { Python3, "a: \u0001", 1 },
        { Python3, "x: 'a\n--- b'", 2 },
        { Python3, "x: \"bad \\q escape\"", 1 },
        { Python3, "x: |0\n  a", 1 },
        { Python3, "x: [a, , b]", 1 },
        { Python27, "a: b: c", 1 },
        { Python27, "a: &x 1", 1 },
        { Python27, "l:\n- a\n- b\nc", 4 },
        { Python3, "x: -", 1 },
        { Python27, "a: 1\n---\nb: 2", 2 },
        { Python27, "x: \"unterminated", 1 },
    };

    public static TheoryData<int> CorpusIndexes => new(Enumerable.Range(0, Corpus.Length));

    // The harness runs under 2.7 and 3.x: it loads the corpus with one implementation and
    // prints each result in a form both versions print alike (type-tagged; tz-aware
    // timestamps in UTC, as PyYAML gives them on 2.7).
    private const string Harness = """
        import datetime, io, json, sys
        which, ours_dir, cases = sys.argv[1], sys.argv[2], sys.argv[3]
        if which == 'ours':
            sys.path.insert(0, ours_dir)
        import yaml
        if which == 'ours':
            assert yaml.__file__.startswith(ours_dir), yaml.__file__
        try:
            text_types = (str, unicode)
            ints = (int, long)
        except NameError:
            text_types = (str,)
            ints = (int,)

        def canon(v):
            if v is None or isinstance(v, bool):
                return v
            if isinstance(v, ints):
                return ['int', str(v)]
            if isinstance(v, float):
                return ['float', repr(v)]
            if isinstance(v, datetime.datetime):
                if v.tzinfo is not None:
                    v = (v - v.utcoffset()).replace(tzinfo=None)
                return ['datetime', v.isoformat()]
            if isinstance(v, datetime.date):
                return ['date', v.isoformat()]
            if isinstance(v, text_types):
                return ['str', v if not isinstance(v, bytes) else v.decode('ascii')]
            if isinstance(v, list):
                return ['list', [canon(x) for x in v]]
            if isinstance(v, dict):
                pairs = [[canon(k), canon(x)] for k, x in v.items()]
                return ['map', sorted(pairs, key=lambda p: json.dumps(p, sort_keys=True))]
            return ['unexpected', repr(v)]

        out = []
        for doc in json.load(io.open(cases, encoding='utf-8')):
            try:
                value = canon(yaml.safe_load(doc))
                if which == 'ours':
                    # load() without a Loader (the reference script's call) and from a stream.
                    assert canon(yaml.load(io.StringIO(doc))) == value
                    assert canon(yaml.load(doc, Loader=yaml.FullLoader)) == value
                out.append({'value': value})
            except yaml.YAMLError as e:
                mark = getattr(e, 'problem_mark', None)
                out.append({'error': str(e).splitlines()[0], 'line': mark.line + 1 if mark else None})
        sys.stdout.write(json.dumps(out, sort_keys=True))
        """;

    [Theory]
    [MemberData(nameof(CorpusIndexes))]
    public void SafeLoad_Python3_SameAsPyYaml(int index)
    {
        RequirePython3WithYaml();

        var ours = files.OursOnPython3.Value[index].GetRawText();
        var real = files.RealOnPython3.Value[index].GetRawText();

        ours.ShouldBe(real, $"document: {JsonSerializer.Serialize(Corpus[index])}");
        real.ShouldNotContain("\"error\"", customMessage: "the corpus holds documents PyYAML reads");
    }

    [Theory]
    [MemberData(nameof(CorpusIndexes))]
    public void SafeLoad_Python27_SameAsPyYamlOnPython3(int index)
    {
        RequirePython3WithYaml();
        RequirePython27();

        files.OursOnPython27.Value[index].GetRawText().ShouldBe(files.RealOnPython3.Value[index].GetRawText(), $"document: {JsonSerializer.Serialize(Corpus[index])}");
    }

    [Theory]
    [MemberData(nameof(Rejected))]
    public void SafeLoad_OutsideTheSubset_YamlErrorWithLine(string python, string document, int line)
    {
        if (python == Python27)
        {
            RequirePython27();
        }
        else
        {
            RequirePython3WithYaml();
        }
        const string script = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            import yaml
            try:
                print(json.dumps({'value': repr(yaml.safe_load(sys.argv[2]))}))
            except yaml.YAMLError as e:
                print(json.dumps({'line': e.problem_mark.line + 1, 'message': str(e)}))
            """;

        var answer = JsonDocument.Parse(RunPython(python, script, files.Directory, document)).RootElement;

        answer.TryGetProperty("value", out var value).ShouldBeFalse($"read as {value}");
        answer.GetProperty("line").GetInt32().ShouldBe(line, answer.GetProperty("message").GetString());
        answer.GetProperty("message").GetString()!.ShouldContain($"line {line}, column ");
    }

    [Fact]
    public void SafeLoad_Python27Recipe_ExpectedValuesAndStringTypes()
    {
        RequirePython27();
        const string script = """
            # -*- coding: utf-8 -*-
            import datetime, sys
            sys.path.insert(0, sys.argv[1])
            import yaml
            doc = '''
            # POAP recipe
            ---
            switches:
              - serial: FDO23490570
                hostname: leaf-101
                config: |
                  hostname leaf-101
                  feature ssh
                verify_md5: yes
                retries: 3
                timeout: 1.5
                notes: >
                  folded
                  text
                vlans: [10, 20, 30]
                tags: {role: leaf, rack: "R1", site: "Zürich"}
                missing: ~
                installed: 2024-05-01
            '''
            expected = {'switches': [{
                'serial': 'FDO23490570', 'hostname': 'leaf-101',
                'config': 'hostname leaf-101\nfeature ssh\n', 'verify_md5': True, 'retries': 3,
                'timeout': 1.5, 'notes': 'folded text\n', 'vlans': [10, 20, 30],
                'tags': {'role': 'leaf', 'rack': 'R1', 'site': u'Z\xfcrich'}, 'missing': None,
                'installed': datetime.date(2024, 5, 1)}]}
            got = yaml.load(doc)
            assert got == expected, repr(got)
            tags = got['switches'][0]['tags']
            # As PyYAML on 2.7: str for ASCII text, unicode only when it must be.
            assert type(tags['role']) is str and type(tags['site']) is unicode, repr(tags)
            assert type(list(tags)[0]) is str
            assert yaml.safe_load(b'a: caf\xc3\xa9') == {'a': u'caf\xe9'}
            assert yaml.safe_load('n: 123456789012345678901') == {'n': 123456789012345678901}
            assert yaml.Loader and yaml.SafeLoader and yaml.FullLoader
            print('ok')
            """;

        RunPython(Python27, script, files.Directory).ShouldBe("ok\n");
    }

    [Fact]
    public void SafeDump_Python3_SameTextAsPyYaml()
    {
        RequirePython3WithYaml();
        const string script = """
            import sys
            import yaml as real
            del sys.modules['yaml']
            sys.path.insert(0, sys.argv[1])
            import yaml as ours
            assert ours is not real
            data = [
                {'a': [1, {'b': [2, 3]}], 'c': [[1, 2], [3]], 'd': {}, 'e': [], 'f': None, 'g': True,
                 'h': 1.5, 'i': 1e20, 'j': 'yes', 'k': '1', 'm': u'\xe9', 'n': "it's",
                 'o': '- x', 'p': 'a: b', 'q': '', 'r': ' sp ', 's': '#x', 't': 'a#b', 'u': 'null',
                 'v': '2024-01-01', 'w': '1:30', 'x': '0x1', 'y': float('inf'), 'lst': ['[x]', '{y}']},
                {'image': 'nxos64-cs.10.3.4a.M.bin', 'md5': 'd41d8cd98f00b204e9800998ecf8427e', 'size': 1234},
                'top', 3, [], None,
            ]
            for d in data:
                assert ours.safe_dump(d) == real.safe_dump(d), (d, ours.safe_dump(d))
                assert ours.dump(d) == real.dump(d, Dumper=real.SafeDumper)
                assert ours.safe_dump(d, default_flow_style=None) == real.safe_dump(d, default_flow_style=None)
                for style in (False, None, True):
                    text = ours.safe_dump(d, default_flow_style=style)
                    assert real.safe_load(text) == d, (d, style, text)
                    assert ours.safe_load(text) == d, (d, style, text)
            # Not the same text, read back alike: PyYAML folds text with line breaks in single
            # quotes, wraps flow style at 80 columns and sometimes leaves a,b plain.
            for d in ({'l': 'a\nb', 'm': ['x\n\ny ', '\ttab', u'\u2028']}, 'one\ntwo', ['a,b', 'c]'], {'k': 'v' * 100}):
                for style in (False, None, True):
                    assert real.safe_load(ours.safe_dump(d, default_flow_style=style)) == d, (d, style)
            print('ok')
            """;

        RunPython(Python3, script, files.Directory).ShouldBe("ok\n");
    }

    [Fact]
    public void SafeDump_Python27_ReadsBackTheSameData()
    {
        RequirePython27();
        const string script = """
            import io, sys
            sys.path.insert(0, sys.argv[1])
            import yaml
            data = {'a': [1, {'b': u'\xe9'}], 'c': 'x', 'l': 10 ** 20, 'f': 0.1, 'n': None, 't': True, 'q': 'on', 'e': []}
            text = yaml.safe_dump(data)
            assert type(text) is str, type(text)
            assert yaml.safe_load(text) == data, text
            assert text == "a:\n- 1\n- b: \"\\xE9\"\nc: x\ne: []\nf: 0.1\nl: 100000000000000000000\nn: null\nq: 'on'\nt: true\n", text
            stream = io.BytesIO()
            assert yaml.dump(data, stream) is None and stream.getvalue() == text
            try:
                yaml.safe_dump(object())
                raise AssertionError('an object was written')
            except yaml.YAMLError:
                pass
            print('ok')
            """;

        RunPython(Python27, script, files.Directory).ShouldBe("ok\n");
    }

    [Fact]
    public async Task RunAsync_Python27WithoutPyYaml_ImportYamlWorks()
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = ScriptHostBridgeTests.ResolveOrSkip("2.7");
        interpreter.HasYaml.ShouldBeFalse("pyenv's 2.7 has no PyYAML: this test is about the stand-in");

        var result = await sw.RunAsync("import yaml; print(yaml.safe_load(\"a: [1, 2]\")); print(yaml.__file__)\n", interpreter,
            cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        // Loaded from the bytecode compiled once for this interpreter (2.7 names a module by its .pyc).
        result.Stdout.ShouldBe($"{{'a': [1, 2]}}\n{ScriptHost.BridgeMountPoint}/{ScriptHost.FallbackDirectoryName}/yaml.pyc\n");
    }

    [Fact]
    public async Task RunAsync_InterpreterWithPyYaml_RealPyYamlNoStandIn()
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = PythonLocator.Resolve(null);
        interpreter.HasYaml.ShouldBeTrue();

        var result = await sw.RunAsync(
            "import os, yaml\nprint(yaml.__file__.startswith('/usr/'))\nprint(os.path.exists('/.poaplab/fallback'))\nprint(yaml.safe_load('a: [1, 2]'))\n",
            interpreter, cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldBe("True\nFalse\n{'a': [1, 2]}\n");
    }

    [Fact]
    public async Task RunAsync_StandInOfferedToAnInterpreterWithPyYaml_RealPyYamlStillWins()
    {
        using var sw = SandboxedSwitch.Create();
        var interpreter = PythonLocator.Resolve(null) with { HasYaml = false };

        var result = await sw.RunAsync("import yaml\nprint(yaml.__file__.startswith('/usr/'))\n", interpreter,
            cancellationToken: TestContext.Current.CancellationToken);

        result.ExitCode.ShouldBe(0, result.Stderr);
        result.Stdout.ShouldBe("True\n");
    }

    /// <summary>Runs inline Python code with arguments and returns stdout; fails on a non-zero exit.</summary>
    private static string RunPython(string python, string code, params string[] args) =>
        RunPythonWith(python, ["-c", code, .. args]);

    private static string RunPythonWith(string python, string[] arguments)
    {
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -E/-s: neither the caller's PYTHONPATH nor a user site may supply a yaml.
        foreach (var arg in (string[])["-E", "-s", .. arguments])
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{python} did not finish within 60 s");
        }
        process.ExitCode.ShouldBe(0, stderr.GetAwaiter().GetResult());
        return stdout.GetAwaiter().GetResult();
    }

    private static void RequirePython3WithYaml() =>
        Requires.Tool(Python3, "apt-get install python3 python3-yaml");

    private static void RequirePython27() =>
        Requires.That(File.Exists(Python27), "Python 2.7.18 under /root/.pyenv/versions (pyenv install 2.7.18)");

    /// <summary>The stand-in, the harness and the corpus in a temp directory; each implementation's answers, computed once.</summary>
    public sealed class Files : IDisposable
    {
        public Files()
        {
            Directory = System.IO.Directory.CreateTempSubdirectory("poaplab-yaml-test-").FullName;
            File.WriteAllText(Path.Combine(Directory, "yaml.py"), ScriptHost.PythonModuleSource("yaml.py"));
            File.WriteAllText(Path.Combine(Directory, "harness.py"), Harness);
            File.WriteAllText(Path.Combine(Directory, "corpus.json"), JsonSerializer.Serialize(Corpus));
            RealOnPython3 = new(() => RunHarness(Python3, "real"));
            OursOnPython3 = new(() => RunHarness(Python3, "ours"));
            OursOnPython27 = new(() => RunHarness(Python27, "ours"));
        }

        public string Directory { get; }

        public Lazy<JsonElement[]> RealOnPython3 { get; }

        public Lazy<JsonElement[]> OursOnPython3 { get; }

        public Lazy<JsonElement[]> OursOnPython27 { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

        private JsonElement[] RunHarness(string python, string which)
        {
            var output = RunPythonWith(python, [Path.Combine(Directory, "harness.py"), which, Directory, Path.Combine(Directory, "corpus.json")]);
            var results = JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
            results.Length.ShouldBe(Corpus.Length);
            return results;
        }
    }
}
