# PoapLab script bridge client: one JSON object per line over the Unix socket the
# host serves at /.poaplab/bridge.sock. Runs on Python 2.7 and 3.x alike, so no
# f-strings and no type hints.
import errno
import json
import os
import sys
import threading

# The C module, not socket.py: building socket.py's enums costs every run a millisecond or
# two, and a POAP script rarely imports socket itself.
import _socket

SOCKET_PATH = '/.poaplab/bridge.sock'

_lock = threading.Lock()
_state = {'pid': None, 'sock': None, 'reader': None, 'busy': False}


class BridgeError(RuntimeError):
    """The host side of the bridge failed; a simulator fault, not the script's."""


class _LineReader(object):
    """Reads the host's answers, one line each, from the socket."""

    def __init__(self, sock):
        self._sock = sock
        self._rest = b''

    def readline(self):
        chunks = [self._rest]
        newline = self._rest.find(b'\n')
        while newline < 0:
            try:
                data = self._sock.recv(65536)
            except EnvironmentError as e:
                # Python 2.7 does not retry a call a signal interrupted (PEP 475 came with 3.5).
                if e.errno == errno.EINTR:
                    continue
                raise
            if not data:
                self._rest = b''
                return b''.join(chunks)
            newline = data.find(b'\n')
            if newline >= 0:
                newline += sum(len(c) for c in chunks)
            chunks.append(data)
        line = b''.join(chunks)
        self._rest = line[newline + 1:]
        return line[:newline + 1]

    def close(self):
        self._rest = b''


def _connect():
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(SOCKET_PATH)
    except BaseException:
        sock.close()
        raise
    return sock, _LineReader(sock)


def _close(sock, reader):
    for closable in (reader, sock):
        try:
            closable.close()
        except Exception:
            pass


def _exchange(sock, reader, request):
    line = json.dumps(request) + '\n'
    sock.sendall(line.encode('utf-8'))
    response = reader.readline()
    if not response:
        raise BridgeError('the PoapLab bridge closed the connection')
    answer = json.loads(response.decode('utf-8'))
    if answer.get('status') == 'error':
        raise BridgeError('PoapLab bridge: ' + answer.get('output', ''))
    return answer


def call(op, **args):
    """Sends one request and returns the decoded answer (a dict)."""
    request = dict(args)
    request['op'] = op
    # A signal handler (SIGTERM on abort) may call cli/syslog while the main
    # thread waits inside call(): it gets a one-shot connection of its own, since
    # the shared one has a response still in flight.
    if _state['busy'] and _state['pid'] == os.getpid():
        sock, reader = _connect()
        try:
            return _exchange(sock, reader, request)
        finally:
            _close(sock, reader)
    with _lock:
        # A forked child must not share its parent's connection.
        if _state['pid'] != os.getpid() or _state['sock'] is None:
            _state['sock'], _state['reader'] = _connect()
            _state['pid'] = os.getpid()
        _state['busy'] = True
        try:
            return _exchange(_state['sock'], _state['reader'], request)
        except BaseException:
            # An interrupted exchange leaves an unread answer behind: start afresh next time.
            _close(_state['sock'], _state['reader'])
            _state['sock'] = None
            raise
        finally:
            _state['busy'] = False


def text(value):
    """Bridge text as the interpreter's native str (bytes on 2.7, like the switch's own module)."""
    if sys.version_info[0] == 2 and not isinstance(value, str):
        return value.encode('utf-8')
    return value
