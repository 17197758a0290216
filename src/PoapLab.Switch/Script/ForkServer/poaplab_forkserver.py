# PoapLab's fork server (Python 3.9+, Linux, run as root by PoapLab only).
#
# One interpreter per Python installation that has done, once, what every script run
# otherwise repeats: the interpreter's start-up (site, its .pth files) and the imports POAP
# scripts make (hashlib and its OpenSSL, subprocess, re, json, ...). Each run is forked from
# it into a sandbox of its own, built here the way bubblewrap builds it for the other path
# (ScriptHost.Sandbox.cs renders the same plan for both):
#
#   server ── fork ──> monitor (root, host namespaces: talks to PoapLab over the run's channel)
#                        unshare(pid), fork
#                        └─> init (pid 1 of the sandbox, root): unshare(mount, net, IPC, UTS,
#                              cgroup), new root (tmpfs + binds), pivot_root, setsid, fork
#                              └─> the script (pid 2): rlimits, its own uid, no groups, no
#                                  capabilities, no_new_privs, seccomp, then the script's code
#                                  in a fresh __main__, ended as `python3 -s script` ends.
#
# The server itself never sees a run's data: PoapLab sends it three descriptors (the run's
# channel, stdout and stderr) and a byte; the monitor reads the run's plan from the channel
# after the fork. So no switch's options, paths or script ever sit in the memory later runs
# are forked from. Nothing of the server is reachable from a script: the monitor closes the
# server's socket before anything else, the script every descriptor but its stdio, and it runs
# under its own uid in namespaces where no process of the host is visible.
import sys

# What a normal interpreter has loaded before it runs a script (taken before this file's own
# imports); anything beyond it is what the script finds already imported.
_STARTUP_MODULES = frozenset(sys.modules)

import array  # noqa: E402 (after the snapshot above, on purpose)
import base64
import builtins
import ctypes
import gc
import importlib
import importlib.machinery
import json
import os
import resource
import select
import signal
import site
import socket
import types

# The modules POAP scripts import (Cisco's reference script and its forks, PoapLab's
# fixtures): import time measured with -X importtime, hashlib's OpenSSL the largest.
PRELOADED = (
    'argparse', 'collections', 'copy', 'datetime', 'errno', 'glob', 'hashlib', 'json',
    'logging', 're', 'shutil', 'signal', 'socket', 'string', 'struct', 'subprocess',
    'tempfile', 'threading', 'traceback',
)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.sethostname.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.syscall.restype = ctypes.c_long

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
# statvfs f_flag bits that a bind remount must keep (the same values as MS_*).
_KEPT_FLAGS = 1 | 2 | 4 | 8 | 16 | 64 | 1024 | 2048 | 4096
MNT_DETACH = 2
CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAPBSET_DROP = 1, 4, 38, 22, 24
SECCOMP_MODE_FILTER = 2
SYS_PIVOT_ROOT = {'x86_64': 155, 'aarch64': 41}[os.uname().machine]

# The exit status of a run whose sandbox could not be built (bubblewrap uses 1; PoapLab
# tells the two apart by the message on stderr, which starts with SETUP_PREFIX).
SETUP_FAILED = 126
SETUP_PREFIX = 'sandbox: '


class SetupError(Exception):
    pass


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise SetupError('%s: %s' % (what, os.strerror(err)))


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source.encode() if source else None, target.encode(),
                       fstype.encode() if fstype else None, flags, data.encode() if data else None),
           'mount %s on %s' % (source or fstype or '', target))


def _remount(target, flags):
    kept = os.statvfs(target).f_flag & _KEPT_FLAGS
    _mount(None, target, None, MS_REMOUNT | MS_BIND | kept | flags)


def _pdeathsig(parent_alive):
    """Killed with the parent; never runs on when the parent died before the signal was set."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not parent_alive():
        os._exit(SETUP_FAILED)


def _parent_is(pid):
    return lambda: os.getppid() == pid


def _lifeline():
    """A pipe whose write end only the parent keeps: its read end ends when the parent does
    (a child in a new pid namespace sees its parent as pid 0, so getppid() cannot tell)."""
    read, write = os.pipe()

    def alive():
        os.close(write)
        readable, _, _ = select.select([read], [], [], 0)
        os.close(read)
        return not readable

    def parent_side():
        os.close(read)
        return write

    return alive, parent_side


def _make_parents(path):
    parent = os.path.dirname(path)
    if parent and not os.path.isdir(parent):
        _make_parents(parent)
        os.mkdir(parent, 0o755)


def _mount_point(path, like_directory):
    if os.path.lexists(path):
        return
    _make_parents(path)
    if like_directory:
        os.mkdir(path, 0o755)
    else:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))


def _bind(source, target, readonly, devices=False, shown=None):
    """Binds source on target; errors name the host's path and the sandbox's (shown)."""
    try:
        if not os.path.exists(source):
            raise SetupError('no such file or directory')
        _mount_point(target, os.path.isdir(source))
        _mount(source, target, None, MS_BIND | MS_REC)
        _remount(target, MS_NOSUID | (0 if devices else MS_NODEV) | (MS_RDONLY if readonly else 0))
    except (SetupError, OSError) as e:
        old, new = shown or (source, target)
        raise SetupError("cannot bind %s on %s: %s" % (old, new, e.strerror if isinstance(e, OSError) else e))


# bubblewrap's --dev: a tmpfs with the harmless devices, the fd links and its own pts.
_DEVICES = ('null', 'zero', 'full', 'random', 'urandom', 'tty')
_DEV_LINKS = (('fd', '/proc/self/fd'), ('stdin', '/proc/self/fd/0'), ('stdout', '/proc/self/fd/1'),
              ('stderr', '/proc/self/fd/2'), ('core', '/proc/kcore'), ('ptmx', 'pts/ptmx'))
# bubblewrap's --proc covers these read-only: the kernel's knobs stay out of reach.
_PROC_COVERED = ('sys', 'sysrq-trigger', 'irq', 'bus')


def _apply(op, old, new):
    kind, target = op['op'], new + op['dst']
    if kind == 'tmpfs':
        _mount_point(target, True)
        data = 'mode=0755' + (',size=%d' % op['size'] if op.get('size') else '')
        _mount('tmpfs', target, 'tmpfs', MS_NOSUID | MS_NODEV, data)
    elif kind == 'bind':
        _bind(old + op['src'], target, op['ro'], shown=(op['src'], op['dst']))
    elif kind == 'dir':
        _make_parents(target)
        if not os.path.isdir(target):
            os.mkdir(target, op.get('mode', 0o755))
        os.chmod(target, op.get('mode', 0o755))
    elif kind == 'symlink':
        _make_parents(target)
        os.symlink(op['target'], target)
    elif kind == 'dev':
        _mount_point(target, True)
        _mount('tmpfs', target, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=0755')
        for name in _DEVICES:
            _bind(old + '/dev/' + name, target + '/' + name, False, devices=True)
        for name, link in _DEV_LINKS:
            os.symlink(link, target + '/' + name)
        os.mkdir(target + '/shm', 0o755)
        os.mkdir(target + '/pts', 0o755)
        _mount('devpts', target + '/pts', 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666,mode=620')
    elif kind == 'proc':
        _mount_point(target, True)
        _mount('proc', target, 'proc', MS_NOSUID | MS_NOEXEC | MS_NODEV)
        for name in _PROC_COVERED:
            if os.path.exists(target + '/' + name):
                _bind(target + '/' + name, target + '/' + name, True)
    elif kind == 'remount-ro':
        _remount(target, MS_RDONLY | MS_NOSUID | MS_NODEV)
    else:
        raise SetupError('unknown step %r' % kind)


def _build_root(plan):
    """In a fresh mount namespace: the plan's root, pivoted into; the host's root gone."""
    _mount(None, '/', None, MS_REC | MS_PRIVATE)
    # As bubblewrap: a scratch tmpfs to pivot into first, so that the host's tree stays
    # reachable at /oldroot (binds from it) while the new root is put together at /newroot.
    # Sources are resolved while the host's root is still /, where their links point.
    base = '/tmp'
    _mount('tmpfs', base, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=0755')
    ops = [dict(op, src=os.path.realpath(op['src'])) if 'src' in op else op for op in plan['mounts']]
    os.mkdir(base + '/newroot', 0o755)
    os.mkdir(base + '/oldroot', 0o755)
    os.chdir(base)
    _check(_libc.syscall(SYS_PIVOT_ROOT, b'.', b'oldroot'), 'pivot_root')
    os.chdir('/')
    old, new = '/oldroot', '/newroot'
    previous = os.umask(0)
    try:
        for op in ops:
            _apply(op, old, new)
    finally:
        os.umask(previous)
    _check(_libc.umount2(old.encode(), MNT_DETACH), 'umount ' + old)
    os.chdir(new)
    # pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the new.
    _check(_libc.syscall(SYS_PIVOT_ROOT, b'.', b'.'), 'pivot_root')
    _check(_libc.umount2(b'.', MNT_DETACH), 'umount the scratch root')
    os.chdir('/')


def _seccomp(program):
    buffer = ctypes.create_string_buffer(program, len(program))

    class Fprog(ctypes.Structure):
        _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]

    fprog = Fprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0), 'seccomp')


def _shadowed(directory):
    """Whether the script's directory holds a module that would stand in for a preloaded one."""
    suffixes = importlib.machinery.all_suffixes()
    preloaded = set(n.split('.')[0] for n in sys.modules if n not in _STARTUP_MODULES)
    try:
        names = os.listdir(directory)
    except OSError:
        return False
    for name in names:
        module = None
        if os.path.isfile(os.path.join(directory, name, '__init__.py')) or os.path.isfile(os.path.join(directory, name, '__init__.pyc')):
            module = name
        else:
            for suffix in suffixes:
                if name.endswith(suffix):
                    module = name[:-len(suffix)]
                    break
        if module in preloaded:
            return True
    return False


def _exit_code(exit):
    code = exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + '\n')
    except Exception:
        pass
    return 1


def _run_script(plan):
    """The script's process, pid 2 of the sandbox: becomes the run's user, then runs the script."""
    # Every descriptor but stdin, stdout and stderr: from the sandbox's own /proc, since closing a
    # whole range is one system call only from Python 3.10 on.
    for name in os.listdir('/proc/self/fd'):
        if int(name) > 2:
            try:
                os.close(int(name))
            except OSError:
                pass  # the listing's own, closed already
    for name, value in plan['limits'].items():
        resource.setrlimit(getattr(resource, name), (value, value))
    uid, gid = plan.get('uid'), plan.get('gid')
    if uid is not None:
        # As setpriv --bounding-set=-all: no capability can come back, even through an exec.
        for capability in range(64):
            if _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                break
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        # Changing uid made the process undumpable, which an exec'd interpreter is not: its
        # /proc/self files (environ, mem) would be root's and closed to the script itself.
        _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), 'dumpable')
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'no_new_privs')
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.chdir(plan['cwd'])
    os.environ.clear()
    for name, value in plan['env']:
        os.environ[name] = value
    # As bubblewrap's --chdir does.
    os.environ['PWD'] = plan['cwd']
    script = plan['script']
    # As `python3 -s script`: PYTHONPATH, then the rest; the script's directory comes first only
    # once site has imported sitecustomize (the interpreter inserts it after its start-up), so
    # the bridge never imports a module the script's directory holds.
    directory = os.path.dirname(script)
    rest = [p for p in sys.path[1:] if p not in plan['pythonpath']]
    sys.path[:] = list(plan['pythonpath']) + rest
    sys.argv[:] = [script]
    if hasattr(sys, 'orig_argv'):
        sys.orig_argv[:] = [plan['argv'][0]] + plan['argv'][1:]
    sys.dont_write_bytecode = True
    if _shadowed(directory):
        # The script brought a module of the same name as one preloaded here: as a fresh
        # interpreter would, it gets its own — every preloaded module is forgotten.
        for name in [n for n in sys.modules if n not in _STARTUP_MODULES]:
            del sys.modules[name]
    importlib.invalidate_caches()
    sys.path_importer_cache.clear()
    sys.modules.pop('sitecustomize', None)
    _seccomp(plan['seccomp'])
    code = 0
    try:
        # PoapLab's bridge, imported as site.py imports it (its errors reported, not fatal).
        site.execsitecustomize()
        sys.path.insert(0, directory)
        try:
            with open(script, 'rb') as f:
                source = f.read()
        except OSError as e:
            # As the interpreter's own message and status for a script it cannot open.
            sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (plan['argv'][0], script, e.errno, e.strerror))
            _finish(2)
        compiled = compile(source, script, 'exec', dont_inherit=True)
        main = types.ModuleType('__main__')
        main.__dict__.update(__file__=script, __builtins__=builtins, __cached__=None, __package__=None, __spec__=None)
        main.__loader__ = importlib.machinery.SourceFileLoader('__main__', script)
        sys.modules['__main__'] = main
        exec(compiled, main.__dict__)
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException:
        kind, value, trace = sys.exc_info()
        # The traceback starts at the script's own frame, as the interpreter's does, not in this file.
        while trace is not None and trace.tb_frame.f_code.co_filename == __file__:
            trace = trace.tb_next
        sys.excepthook(kind, value.with_traceback(trace), trace)
        code = 1
    _finish(code)


def _finish(code):
    """What the interpreter does after a script's last line: threads, atexit, flush."""
    try:
        threading = sys.modules.get('threading')
        if threading is not None:
            threading._shutdown()
        import atexit
        atexit._run_exitfuncs()
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException:
        sys.excepthook(*sys.exc_info())
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = 120
    os._exit(code)


def _init(plan, monitor_alive):
    """pid 1 of the sandbox: builds its root, starts the script, reaps, mirrors its end."""
    _pdeathsig(monitor_alive)
    try:
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), 'unshare')
        # A cgroup namespace where the kernel has them (bubblewrap's --unshare-cgroup-try).
        _libc.unshare(CLONE_NEWCGROUP)
        _check(_libc.sethostname(plan['hostname'].encode(), len(plan['hostname'])), 'sethostname')
        _build_root(plan)
    except (SetupError, OSError) as e:
        os.write(2, (SETUP_PREFIX + str(e) + '\n').encode())
        os._exit(SETUP_FAILED)
    # stdin: a pipe nobody writes to (end-of-file at once), as the other sandbox's.
    stdin, writer = os.pipe()
    os.close(writer)
    os.dup2(stdin, 0)
    os.close(stdin)
    # A session of its own (bubblewrap's --new-session), led by init as bubblewrap's is: no
    # terminal of the host's to reach (TIOCSTI), and the script in init's process group.
    os.setsid()
    me = os.getpid()
    script = None

    def forward(number, _frame):
        if script:
            try:
                os.kill(script, number)
            except OSError:
                pass

    for number in _FORWARDED:
        signal.signal(number, forward)
    script = os.fork()
    if script == 0:
        try:
            _pdeathsig(_parent_is(me))
            _run_script(plan)
        except BaseException as e:
            try:
                os.write(2, (SETUP_PREFIX + str(e) + '\n').encode())
            finally:
                os._exit(SETUP_FAILED)
    # The script and what it starts hold stdout and stderr; init lets go of them.
    null = os.open('/dev/null', os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _FORWARDED)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            os._exit(SETUP_FAILED)
        if pid == script:
            # bubblewrap's convention: a script killed by a signal ends as 128 + its number.
            os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


# What init passes on to the script (PoapLab's abort is a SIGTERM).
_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _send(channel, message):
    data = (json.dumps(message) + '\n').encode()
    channel.sendall(data)


def _read_plan(channel):
    """The run's plan: one line of JSON; what follows it (an early command) is kept."""
    data = b''
    while b'\n' not in data:
        chunk = channel.recv(1 << 16)
        if not chunk or len(data) > (1 << 22):
            os._exit(SETUP_FAILED)
        data += chunk
    line, rest = data.split(b'\n', 1)
    plan = json.loads(line.decode())
    plan['seccomp'] = base64.b64decode(plan['seccomp'])
    return plan, rest


def _monitor(channel, stdout, stderr, server_pid):
    """In the server's namespaces, as root: reads the plan, starts init, relays its end."""
    _pdeathsig(_parent_is(server_pid))
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    for fd in (stdout, stderr):
        if fd > 2:
            os.close(fd)
    plan, commands = _read_plan(channel)
    # Only the pid namespace here (it applies to the monitor's children, not to itself): the
    # monitor stays in the host's mounts and /proc, which init's pivot_root must not move.
    try:
        _check(_libc.unshare(CLONE_NEWPID), 'unshare')
    except SetupError as e:
        os.write(2, (SETUP_PREFIX + str(e) + '\n').encode())
        _send(channel, {'exit': SETUP_FAILED})
        os._exit(SETUP_FAILED)
    # Blocked from here until init can hand them to the script: a SIGTERM that comes early
    # waits for it instead of being dropped (the kernel ignores a signal to a namespace's init
    # that has no handler for it).
    signal.pthread_sigmask(signal.SIG_BLOCK, _FORWARDED)
    alive, parent_side = _lifeline()
    init = os.fork()
    if init == 0:
        channel.close()
        _init(plan, alive)
    parent_side()  # the write end stays open here: init's lifeline
    null = os.open('/dev/null', os.O_RDWR)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    _send(channel, {'pid': init, 'pidns': os.readlink('/proc/%d/ns/pid' % init)})
    try:
        pidfd = os.pidfd_open(init)
    except OSError:
        pidfd = None  # a kernel before 5.3: init's end is polled for instead
    while True:
        # One byte a command: T sends SIGTERM (init hands it to the script), K SIGKILL; the
        # channel closing (PoapLab gone or done) is a K.
        for command in commands:
            os.kill(init, signal.SIGTERM if command == ord('T') else signal.SIGKILL)
        commands = b''
        if pidfd is not None:
            ready, _, _ = select.select([channel, pidfd], [], [])
            ended = pidfd in ready
        else:
            ready, _, _ = select.select([channel], [], [], 0.05)
            ended = False
        pid, status = os.waitpid(init, 0 if ended else os.WNOHANG)
        if pid == init:
            _send(channel, {'exit': os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)})
            os._exit(0)
        if channel in ready:
            commands = channel.recv(64) or b'K'


def _receive(control):
    """One request: a byte with the run's channel, stdout and stderr; None at end of stream."""
    fds = array.array('i')
    data, ancillary, flags, _ = control.recvmsg(1, socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - (len(payload) % fds.itemsize)])
    if not data:
        for fd in fds:
            os.close(fd)
        return None
    if len(fds) != 3 or flags & socket.MSG_CTRUNC:
        for fd in fds:
            os.close(fd)
        return ()
    return tuple(fds)


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _reap_all():
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def serve(path):
    for name in PRELOADED:
        __import__(name)
    # The preloaded objects out of the collector's reach (gc.freeze, as its documentation
    # advises before fork): a script's full collection would otherwise write to every one of
    # them and copy the pages they sit on (about 1,000 pages a run, measured).
    gc.collect()
    gc.freeze()
    # Nothing of the server's start-up is left for a run to print or inherit.
    sys.stdout.flush()
    sys.stderr.flush()
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.connect(path)
    me = os.getpid()
    while True:
        ready, _, _ = select.select([control], [], [], 1.0)
        _reap()
        if not ready:
            continue
        fds = _receive(control)
        if fds is None:
            # PoapLab is closing: the runs that ended are reaped here, not left to init.
            _reap_all()
            return
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                channel = socket.socket(fileno=fds[0])
                _monitor(channel, fds[1], fds[2], me)
            finally:
                os._exit(SETUP_FAILED)
        for fd in fds:
            os.close(fd)


if __name__ == '__main__':
    serve(sys.argv[1])
