namespace PoapLab.Benchmarks.Reference;

/// <summary>
/// A stand-in for NX-OS's <c>cli</c> Python module for the bare-interpreter reference run:
/// every command answers at once, <c>copy</c> only creates the target file, and the script's
/// /bootflash and /tmp paths lead to a temp directory instead of a sandbox. What the run
/// measures is the interpreter start and the script's own work, with no switch behind it.
/// </summary>
internal static class StubCli
{
    /// <summary>The hash every <c>.md5</c> companion holds and every <c>show file ... md5sum</c> answers, so the script's checks pass.</summary>
    public const string Md5 = "0123456789abcdef0123456789abcdef";

    /// <summary>Environment variable naming the directory that stands in for /.</summary>
    public const string RootVariable = "POAPLAB_STUB_ROOT";

    public const string ModuleText = """
        # PoapLab benchmark: stand-in for NX-OS's cli module (reference run only).
        import builtins
        import glob as _glob_module
        import os as _os
        import re as _re
        import time as _time

        __all__ = ["cli", "clid", "clip", "cli_syntax_error", "cmd_exec_error"]

        _ROOT = _os.environ["POAPLAB_STUB_ROOT"]
        _MD5 = "0123456789abcdef0123456789abcdef"


        def _host(path):
            if isinstance(path, str) and (path == "/bootflash" or path.startswith("/bootflash/") or path.startswith("/tmp/")):
                return _ROOT + path
            return path


        def _wrap(function):
            return lambda path, *args, **kwargs: function(_host(path), *args, **kwargs)


        _open = builtins.open
        builtins.open = _wrap(_open)
        _os.path.exists = _wrap(_os.path.exists)
        _os.path.getmtime = _wrap(_os.path.getmtime)
        _os.remove = _wrap(_os.remove)
        _os.statvfs = _wrap(_os.statvfs)
        _rename = _os.rename
        _os.rename = lambda a, b: _rename(_host(a), _host(b))
        _glob = _glob_module.glob
        _glob_module.glob = lambda pattern: [p[len(_ROOT):] for p in _glob(_host(pattern))]
        # The switch models time.sleep on its own clock: no real wait there, none here.
        _time.sleep = lambda seconds: None


        class cli_syntax_error(Exception):
            pass


        class cmd_exec_error(Exception):
            pass


        def cli(command):
            out = []
            for part in command.split(";"):
                part = part.strip()
                copy = _re.match(r"copy \S+://\S+ bootflash:/?(\S+)", part)
                if copy:
                    target = _ROOT + "/bootflash/" + copy.group(1)
                    name = target[:-4] if target.endswith(".tmp") else target
                    with _open(target, "w") as handle:
                        handle.write(_MD5 + "  " + _os.path.basename(name)[:-4] + "\n" if name.endswith(".md5") else "hostname stub\n")
                elif part.startswith("show version"):
                    out.append("  NXOS: version 9.3(8)\n  NXOS image file is: bootflash:///nxos.9.3.8.bin\n")
                elif part.startswith("show file") and part.endswith("md5sum"):
                    out.append(_MD5 + "\n")
            return "".join(out)


        def clid(command):
            return "{}"


        def clip(command):
            print(cli(command))
        """;
}
