using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace PoapLab.Switch.Script.Lint;

public static partial class ScriptLinter
{
    private static readonly TimeSpan CheckerTimeout = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions CheckerJson = new(JsonSerializerDefaults.Web);

    // Modules the switch provides itself (cli, syslog, PyYAML) or that only
    // legacy platforms have (cisco): the host interpreter's answer says nothing about them.
    private static readonly string[] Unprobed = ["cli", "syslog", "yaml", "cisco"];

    /// <summary>
    /// Runs inside the TARGET interpreter (2.7 and 3.x alike, so no f-strings or print
    /// function): compiles the script as the switch's Python would, then walks its ast for
    /// imports the interpreter lacks and for the top-level options dict. Prints one JSON object.
    /// </summary>
    private const string CheckerProgram = """
import ast, json, re, sys, warnings
if sys.path and sys.path[0] in ('', '.'):
    # -c puts the working directory first; on the switch only the script's own
    # directory (/bootflash/scripts) would be there, so neither counts.
    del sys.path[0]
path = sys.argv[1]
unprobed = set(n for n in sys.argv[2].split(',') if n)
result = {'version': '%d.%d.%d' % tuple(sys.version_info[:3]), 'syntax': None,
          'warnings': [], 'imports': [], 'options': None}
probed = {}

def exists(name):
    if name in probed:
        return probed[name]
    found = True
    try:
        import importlib.util
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:
            found = False
        except Exception:
            pass
    except ImportError:
        import imp
        search = None
        for part in name.split('.'):
            try:
                handle, where, desc = imp.find_module(part, search)
            except ImportError:
                found = False
                break
            if handle:
                handle.close()
            if desc[2] != imp.PKG_DIRECTORY:
                break
            search = [where]
    probed[name] = found
    return found

def add_import(name, line, col, guarded):
    top = name.split('.')[0]
    if top == '__future__':
        return
    if top in unprobed:
        result['imports'].append({'module': name, 'line': line, 'col': col, 'guarded': guarded, 'found': None})
    elif not exists(name):
        result['imports'].append({'module': name, 'line': line, 'col': col, 'guarded': guarded, 'found': False})

GUARDS = ('ImportError', 'ModuleNotFoundError', 'Exception', 'BaseException')

def catches_import_error(handlers):
    for handler in handlers:
        kind = handler.type
        names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
        for n in names:
            if n is None or (isinstance(n, ast.Name) and n.id in GUARDS):
                return True
    return False

def version_gate(test):
    text = ast.dump(test)
    return 'version' in text or "'PY2'" in text or "'PY3'" in text

def visit(node, guarded):
    if isinstance(node, ast.Import):
        for alias in node.names:
            add_import(alias.name, node.lineno, node.col_offset + 1, guarded)
    elif isinstance(node, ast.ImportFrom):
        if not node.level and node.module:
            add_import(node.module, node.lineno, node.col_offset + 1, guarded)
    handlers = getattr(node, 'handlers', None)
    if handlers and catches_import_error(handlers):
        for child in node.body:
            visit(child, True)
        for field in ('handlers', 'orelse', 'finalbody'):
            for child in getattr(node, field, None) or []:
                visit(child, guarded)
        return
    gated = isinstance(node, ast.If) and version_gate(node.test)
    for child in ast.iter_child_nodes(node):
        # Statements only: imports are statements, and long expressions would recurse deeply.
        if isinstance(child, (ast.stmt, ast.excepthandler)) or type(child).__name__ == 'match_case':
            visit(child, guarded or gated)

def scan_imports_by_text(source):
    lines = source.decode('utf-8', 'replace').split('\n')
    pattern = re.compile(r'^(\s*)(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import\b)')
    for number, text in enumerate(lines, 1):
        match = pattern.match(text)
        if not match:
            continue
        indent = len(match.group(1))
        guarded = False
        if indent:
            for previous in reversed(lines[:number - 1]):
                stripped = previous.strip()
                if not stripped or stripped.startswith('#'):
                    continue
                if len(previous) - len(previous.lstrip()) < indent:
                    guarded = stripped.startswith('try:') or (stripped.startswith('if ') and 'version' in stripped)
                    break
        names = match.group(2).split(',') if match.group(2) else [match.group(3)]
        for name in names:
            name = name.strip()
            if name and not name.startswith('.'):
                add_import(name, number, indent + 1, guarded)

def scalar(value):
    if value is None or isinstance(value, (bool, int, float)):
        return True, value
    if sys.version_info[0] == 2 and isinstance(value, long):
        return True, value
    if isinstance(value, bytes) and sys.version_info[0] == 2:
        return True, value.decode('utf-8', 'replace')
    if sys.version_info[0] == 2 and isinstance(value, unicode):
        return True, value
    if isinstance(value, str):
        return True, value
    return False, None

def options_of(tree):
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name) and statement.targets[0].id == 'options'):
            continue
        found = {'line': statement.lineno, 'col': statement.col_offset + 1,
                 'isDict': isinstance(statement.value, ast.Dict), 'entries': []}
        if found['isDict']:
            for key, value in zip(statement.value.keys, statement.value.values):
                entry = {'line': value.lineno, 'col': value.col_offset + 1, 'key': None,
                         'keyLiteral': False, 'valueLiteral': False, 'value': None,
                         'valueLine': value.lineno, 'valueCol': value.col_offset + 1}
                if key is not None:
                    entry['line'] = key.lineno
                    entry['col'] = key.col_offset + 1
                    try:
                        ok, text = scalar(ast.literal_eval(key))
                        if ok and not isinstance(text, (bool, int, float)) and text is not None:
                            entry['key'] = text
                            entry['keyLiteral'] = True
                    except Exception:
                        pass
                try:
                    ok, literal = scalar(ast.literal_eval(value))
                    entry['valueLiteral'] = True
                    entry['value'] = literal if ok else None
                except Exception:
                    pass
                found['entries'].append(entry)
        return found
    return None

source = open(path, 'rb').read()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    try:
        compile(source, path, 'exec', 0, True)
    except SyntaxError as error:
        result['syntax'] = {'kind': type(error).__name__, 'msg': error.msg, 'line': error.lineno,
                            'col': error.offset, 'text': error.text}
    except (ValueError, TypeError) as error:
        result['syntax'] = {'kind': type(error).__name__, 'msg': str(error), 'line': None, 'col': None, 'text': None}
for warning in caught:
    if issubclass(warning.category, (SyntaxWarning, DeprecationWarning)):
        result['warnings'].append({'msg': str(warning.message), 'line': warning.lineno,
                                   'category': warning.category.__name__})
if result['syntax'] is None:
    tree = ast.parse(source, path)
    visit(tree, False)
    result['options'] = options_of(tree)
else:
    scan_imports_by_text(source)
sys.stdout.write(json.dumps(result))
""";

    private static async Task<CheckerFacts> RunCheckerAsync(PythonInterpreter interpreter, string scriptPath, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(interpreter.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        // -E/-s: the caller's PYTHON* variables and user site must not change the answer; -B: no .pyc litter.
        foreach (var arg in new[] { "-E", "-s", "-B", "-c", CheckerProgram, scriptPath, string.Join(',', Unprobed) })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"{interpreter.Executable} could not be started");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckerTimeout);
        string stdout;
        string stderr;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            stdout = await output.ConfigureAwait(false);
            stderr = await error.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{interpreter.Executable} did not finish checking {scriptPath} within {CheckerTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        if (process.ExitCode != 0 || string.IsNullOrWhiteSpace(stdout))
        {
            throw new InvalidOperationException(
                $"{interpreter.Executable} could not check {scriptPath} (exit {process.ExitCode.ToString(CultureInfo.InvariantCulture)}): {stderr.Trim()}");
        }
        return JsonSerializer.Deserialize<CheckerFacts>(stdout, CheckerJson)
            ?? throw new InvalidOperationException($"{interpreter.Executable} printed no result for {scriptPath}");
    }

    private sealed record CheckerFacts(
        string Version,
        SyntaxFact? Syntax,
        IReadOnlyList<WarningFact>? Warnings,
        IReadOnlyList<ImportFact>? Imports,
        OptionsFact? Options);

    /// <param name="Col">1-based, as Python's SyntaxError.offset.</param>
    private sealed record SyntaxFact(string Kind, string Msg, int? Line, int? Col, string? Text);

    private sealed record WarningFact(string Msg, int? Line, string Category);

    /// <param name="Found">False: the interpreter lacks it; null: not asked (switch-provided).</param>
    private sealed record ImportFact(string Module, int Line, int Col, bool Guarded, bool? Found);

    private sealed record OptionsFact(int Line, int Col, bool IsDict, IReadOnlyList<OptionEntryFact> Entries);

    /// <param name="Key">The key when it is a string literal; null for computed keys and <c>**spread</c>.</param>
    /// <param name="Value">The value when it is a scalar literal (string, number, bool, None).</param>
    private sealed record OptionEntryFact(
        int Line,
        int Col,
        string? Key,
        bool KeyLiteral,
        bool ValueLiteral,
        JsonElement? Value,
        int ValueLine,
        int ValueCol);
}
