# PoapLab script bridge client: one JSON object per line over the Unix socket the
# host serves at /.poaplab/bridge.sock. Runs on Python 2.7 and 3.x alike, so no
# f-strings and no type hints.
#
# Every interpreter in the sandbox imports this module before the script runs, so it
# imports only what is already loaded or built in: the C parts of json (_json) instead of
# the json package (whose decoder imports re and enum: several milliseconds a run, in a
# script that may never import them), the C lock instead of threading, the C socket
# instead of socket.py. Nothing is imported later, on first use: a module the script
# puts on sys.path (its own directory comes first there) can never stand in for one.
# (Only an answer that is not JSON would make the C scanner import json.decoder for its
# error; the host writes every answer with a JSON writer.)
import errno
import os
import sys

# The C module, not socket.py: building socket.py's enums costs every run a millisecond or
# two, and a POAP script rarely imports socket itself.
import _socket

try:
    import _thread as _threads
except ImportError:  # Python 2.7
    import thread as _threads

try:
    import _json
except ImportError:  # an interpreter built without the C accelerator
    _json = None
    import json as _json_package

SOCKET_PATH = '/.poaplab/bridge.sock'

_lock = _threads.allocate_lock()
_state = {'pid': None, 'sock': None, 'reader': None}


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


if sys.version_info[0] == 2:
    _TEXT_TYPES = (str, unicode)  # noqa: F821 (Python 2 only)
    _INT_TYPES = (int, long)  # noqa: F821 (Python 2 only)
else:
    _TEXT_TYPES = (str,)
    _INT_TYPES = (int,)

_INFINITY = float('inf')


def _json_value(value):
    """One request value as json.dumps writes it (ensure_ascii): text, numbers, booleans, null."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, _TEXT_TYPES):
        return _json.encode_basestring_ascii(value)
    if isinstance(value, _INT_TYPES):
        return '%d' % value
    if isinstance(value, float):
        if value != value:
            return 'NaN'
        if value == _INFINITY:
            return 'Infinity'
        if value == -_INFINITY:
            return '-Infinity'
        return float.__repr__(value)
    raise TypeError('Object of type %s is not JSON serializable' % type(value).__name__)


class _ScanContext(object):
    """What the C scanner reads from json.JSONDecoder: json.loads's defaults."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {'-Infinity': -_INFINITY, 'Infinity': _INFINITY, 'NaN': _INFINITY - _INFINITY}.__getitem__
    encoding = 'utf-8'  # Python 2.7's scanner asks for it


def _encode(request):
    if _json is None:
        return _json_package.dumps(request)
    return '{' + ', '.join(_json.encode_basestring_ascii(name) + ': ' + _json_value(value)
                           for name, value in request.items()) + '}'


if _json is not None:
    _scan = _json.make_scanner(_ScanContext())


def _decode(text):
    if _json is None:
        answer = _json_package.loads(text)
    else:
        start = len(text) - len(text.lstrip())
        try:
            answer, end = _scan(text, start)
        except (StopIteration, ValueError):
            raise BridgeError('the PoapLab bridge sent an answer that is not JSON')
        if text[end:].strip():
            raise BridgeError('the PoapLab bridge sent more than one JSON value on a line')
    if not isinstance(answer, dict):
        raise BridgeError('the PoapLab bridge sent an answer that is not a JSON object')
    return answer


def _exchange(sock, reader, request):
    line = _encode(request) + '\n'
    sock.sendall(line.encode('utf-8'))
    response = reader.readline()
    if not response:
        raise BridgeError('the PoapLab bridge closed the connection')
    answer = _decode(response.decode('utf-8'))
    if answer.get('status') == 'error':
        raise BridgeError('PoapLab bridge: ' + answer.get('output', ''))
    return answer


def call(op, **args):
    """Sends one request and returns the decoded answer (a dict)."""
    request = dict(args)
    request['op'] = op
    # A call while another is under way -- from a thread, or from a signal handler
    # (SIGTERM on abort) that interrupted this very thread inside call() -- gets a
    # one-shot connection of its own: the shared one has a response in flight, and
    # waiting for the lock would wait forever on the call the handler interrupted.
    # Never a blocking acquire, so no moment of call() (the lock taken but not yet
    # marked, or released a bytecode later) can leave a handler waiting on itself.
    if not _lock.acquire(False):
        sock, reader = _connect()
        try:
            return _exchange(sock, reader, request)
        finally:
            _close(sock, reader)
    try:
        # A forked child must not share its parent's connection.
        if _state['pid'] != os.getpid() or _state['sock'] is None:
            _state['sock'], _state['reader'] = _connect()
            _state['pid'] = os.getpid()
        try:
            return _exchange(_state['sock'], _state['reader'], request)
        except BaseException:
            # An interrupted exchange leaves an unread answer behind: start afresh next time.
            _close(_state['sock'], _state['reader'])
            _state['sock'] = None
            raise
    finally:
        _lock.release()


def text(value):
    """Bridge text as the interpreter's native str (bytes on 2.7, like the switch's own module)."""
    if sys.version_info[0] == 2 and not isinstance(value, str):
        return value.encode('utf-8')
    return value
