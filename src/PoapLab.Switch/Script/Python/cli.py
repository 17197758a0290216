# NX-OS's on-box `cli` module as PoapLab provides it: the commands run on the
# simulated switch through the bridge. Python 2.7 and 3.x.
from __future__ import print_function

# The switch's own module imports subprocess and POAP scripts use the name after
# `from cli import *`, so it is exported on purpose.
import subprocess
import sys

import _poaplab_bridge as _bridge

__all__ = ['cli', 'clip', 'clid', 'cli_syntax_error', 'cmd_exec_error', 'subprocess']


class cli_syntax_error(Exception):
    """The switch's parser rejected the command; str(e) is its output."""


class cmd_exec_error(Exception):
    """The command ran and failed; str(e) is its output."""


def _run(cmd, as_json):
    answer = _bridge.call('cli', command=cmd, json=as_json)
    output = _bridge.text(answer.get('output', ''))
    status = answer.get('status')
    if status == 'ok':
        return output
    if status == 'syntax':
        raise cli_syntax_error(output)
    if status == 'exec':
        raise cmd_exec_error(output)
    if status == 'bash':
        return _run_bash(output)
    raise _bridge.BridgeError('unknown cli status ' + repr(status))


# What `run bash` returns at most; a command printing more is killed there.
_BASH_OUTPUT_LIMIT = 1 << 20


def _run_bash(command):
    """`run bash CMD`: the switch's shell is this sandbox; CMD runs here, its output is the answer."""
    devnull = open('/dev/null', 'rb')
    try:
        proc = subprocess.Popen(['/bin/bash', '-c', command], stdin=devnull,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, close_fds=True)
    finally:
        devnull.close()
    chunks = []
    size = 0
    while True:
        data = proc.stdout.read(65536)
        if not data:
            break
        if size + len(data) > _BASH_OUTPUT_LIMIT:
            chunks.append(data[:_BASH_OUTPUT_LIMIT - size])
            proc.kill()
            break
        chunks.append(data)
        size += len(data)
    proc.stdout.close()
    proc.wait()
    out = b''.join(chunks)
    if sys.version_info[0] == 2:
        return out
    return out.decode('utf-8', 'replace')


def cli(cmd):
    """Runs the command(s) and returns the output text."""
    return _run(cmd, False)


def clid(cmd):
    """Runs the command and returns its structured output as JSON text."""
    return _run(cmd, True)


def clip(cmd):
    """Runs the command and prints its output."""
    output = cli(cmd)
    sys.stdout.write(output)
    if not output.endswith('\n'):
        sys.stdout.write('\n')
    sys.stdout.flush()
