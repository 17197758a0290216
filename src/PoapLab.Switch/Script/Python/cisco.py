# NX-OS 6.x's on-box `cisco` module (Nexus 3000/5000 before 7.x) as PoapLab provides
# it when a scenario emulates such an image: the host writes this file into the
# sandbox only then, so on a modern image `import cisco` fails as on the switch.
# Python 2.7 (what those images ran) and 3.x.
#
# What is modelled, and how (the legacy module's own documentation is scant):
# - cli(cmd) returns a 2-tuple (status, output): status 0 and the command's text on
#   success, so both `status, output = cli(c)` and `cli(c)[1]` work. A rejected or
#   failed command raises cli_syntax_error / cmd_exec_error (the same classes the
#   `cli` module has, so either module's except clause catches them).
# - transfer(protocol, host, source, dest, vrf, login_timeout, user, password) runs
#   `copy <protocol>://<user>@<host>/<source> <dest> vrf <vrf>` on the switch, with the
#   password given by `terminal password` in the same session. login_timeout is
#   accepted and ignored. As the shipped module did (the reference script carries a
#   comment about it), a copy that fails because bootflash is full does not fail:
#   the call returns and the file is simply absent or short.
# - clip(cmd) prints the output; clid(cmd) returns the JSON text, as in `cli`.
# Everything else of the old module (Interface, VLAN, BGP objects ...) is absent.
from __future__ import print_function

import sys

import _poaplab_bridge as _bridge
# One bridge call for both modules: the same command status maps to the same exceptions.
from cli import _run, cli_syntax_error, cmd_exec_error

__all__ = ['cli', 'clip', 'clid', 'transfer', 'cli_syntax_error', 'cmd_exec_error']

_NO_SPACE = 'No space left on device'


def cli(cmd):
    """Runs the command(s); returns (0, output)."""
    return (0, _run(cmd, False))


def clid(cmd):
    """Runs the command and returns its structured output as JSON text."""
    return _run(cmd, True)


def clip(cmd):
    """Runs the command and prints its output."""
    output = _run(cmd, False)
    sys.stdout.write(output)
    if not output.endswith('\n'):
        sys.stdout.write('\n')
    sys.stdout.flush()


def _quote(word):
    # vsh splits at blanks, ';' and '|' outside quotes; quotes are removed before use.
    word = str(word)
    if "'" in word:
        return '"' + word + '"'
    if word == '' or any(c in word for c in ' \t;|"'):
        return "'" + word + "'"
    return word


def transfer(protocol, host, source, dest, vrf, login_timeout=None, user=None, password=None):
    """Copies source from the server to dest (a bootflash path) through the switch's copy."""
    if not source.startswith('/'):
        source = '/' + source
    authority = host if not user else '%s@%s' % (user, host)
    commands = ['terminal dont-ask']
    if password:
        commands.append('terminal password ' + _quote(password))
    commands.append('copy %s://%s%s %s vrf %s' % (protocol, authority, source, dest, vrf))
    try:
        _run(' ; '.join(commands), False)
    except cmd_exec_error as error:
        if _NO_SPACE in str(error):
            return
        raise
