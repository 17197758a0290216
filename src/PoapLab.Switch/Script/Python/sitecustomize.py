# Loaded by site.py in every interpreter started inside the PoapLab sandbox. It
# makes time.sleep cost no real time (the switch's clock advances instead),
# time.time read the switch's clock, and os.statvfs report the modelled bootflash.
# Python 2.7 and 3.x.
import os
import sys
import time as _time

import _poaplab_bridge as _bridge

_real_time = _time.time
_real_localtime = _time.localtime
_real_gmtime = _time.gmtime
_real_ctime = _time.ctime
_real_asctime = _time.asctime
_real_strftime = _time.strftime
_real_statvfs = os.statvfs
_monotonic = getattr(_time, 'monotonic', _real_time)

try:
    _NUMBERS = (int, float, long)  # noqa: F821 (Python 2 only)
except NameError:
    _NUMBERS = (int, float)

try:
    _NotFound = ModuleNotFoundError
except NameError:
    _NotFound = ImportError

# CPython keeps times as signed 64-bit nanoseconds: longer sleeps overflow there too.
_LONGEST_SLEEP = 9223372036.0

# Switch time = base + real time elapsed since `real`; base is fetched from the
# switch lazily so interpreters that never look at the clock never ask.
_clock = {'base': None, 'real': 0.0}


def _advance_to(switch_now):
    current = _switch_time() if _clock['base'] is not None else switch_now
    # Never step back: the local estimate may be ahead of a clock that only moves on sleeps.
    _clock['base'] = max(current, switch_now)
    _clock['real'] = _monotonic()


def _switch_time():
    if _clock['base'] is None:
        _advance_to(float(_bridge.call('now')['now']))
    return _clock['base'] + (_monotonic() - _clock['real'])


def time():
    return _switch_time()


def time_ns():
    return int(_switch_time() * 1000000000)


def sleep(secs):
    if not isinstance(secs, _NUMBERS):
        raise TypeError("'%s' object cannot be interpreted as an integer or float" % type(secs).__name__)
    if secs != secs:
        raise ValueError('Invalid value NaN (not a number)')
    if secs < 0:
        raise ValueError('sleep length must be non-negative')
    if secs > _LONGEST_SLEEP:
        raise OverflowError('timestamp too large to convert to C _PyTime_t')
    before = _switch_time()
    answer = _bridge.call('sleep', seconds=float(secs))
    # A sleep lasts at least its length even though the local estimate ran ahead of the switch.
    _advance_to(max(before + secs, float(answer['now'])))


def localtime(secs=None):
    return _real_localtime(_switch_time() if secs is None else secs)


def gmtime(secs=None):
    return _real_gmtime(_switch_time() if secs is None else secs)


def ctime(secs=None):
    return _real_ctime(_switch_time() if secs is None else secs)


def asctime(t=None):
    return _real_asctime(localtime() if t is None else t)


def strftime(format, t=None):
    return _real_strftime(format, localtime() if t is None else t)


_time.time = time
_time.sleep = sleep
_time.localtime = localtime
_time.gmtime = gmtime
_time.ctime = ctime
_time.asctime = asctime
_time.strftime = strftime
if hasattr(_time, 'time_ns'):
    _time.time_ns = time_ns

_BLOCK = 4096


def _on_bootflash(path):
    if isinstance(path, int):
        return None
    if isinstance(path, bytes) and not isinstance(path, str):
        path = path.decode('utf-8', 'surrogateescape')
    if hasattr(os, 'fspath'):
        path = os.fspath(path)
    full = os.path.realpath(path)
    if full == '/bootflash' or full.startswith('/bootflash/'):
        return full
    return None


def statvfs(path):
    real = _real_statvfs(path)
    full = _on_bootflash(path)
    if full is None:
        return real
    answer = _bridge.call('statvfs', path=full)
    capacity = int(answer['capacity'])
    free = int(answer['free'])
    fields = (_BLOCK, _BLOCK, capacity // _BLOCK, free // _BLOCK, free // _BLOCK,
              real.f_files, real.f_ffree, real.f_favail, real.f_flag, real.f_namemax)
    if hasattr(real, 'f_fsid'):
        fields = fields + (real.f_fsid,)
    return os.statvfs_result(fields)


os.statvfs = statvfs


class _NoCisco(object):
    """A modern NX-OS has no `cisco` module; scripts probe it to pick the legacy path."""

    def _refuse(self, fullname):
        if fullname == 'cisco' or fullname.startswith('cisco.'):
            raise _NotFound("No module named '%s'" % fullname)

    def find_spec(self, fullname, path=None, target=None):
        self._refuse(fullname)
        return None

    def find_module(self, fullname, path=None):
        self._refuse(fullname)
        return None


# A scenario emulating a 6.x image puts cisco.py beside this file; otherwise the name
# must not resolve to anything, not even a package the host happens to have.
if not os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cisco.py')):
    sys.meta_path.insert(0, _NoCisco())


def _shadow_syslog():
    # Debian's python3 has syslog built in, and built-in modules are found before
    # anything on sys.path: install ours under the name before any script imports it.
    # Loaded through the import system's own loader, so the bytecode PoapLab compiled once
    # for this interpreter is used instead of compiling the source on every run.
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'syslog.py')
    # CPython 3 has the loader loaded already (frozen): importing importlib.machinery for
    # it would cost every run more than it saves.
    bootstrap = sys.modules.get('_frozen_importlib')
    external = sys.modules.get('_frozen_importlib_external')
    try:
        if bootstrap is not None and external is not None:
            ModuleSpec, SourceFileLoader = bootstrap.ModuleSpec, external.SourceFileLoader
        else:
            from importlib.machinery import ModuleSpec, SourceFileLoader
    except (ImportError, AttributeError):
        # Python 2.7: imp.load_source uses syslog.pyc beside the source when it is current.
        import imp
        module = imp.load_source('syslog', path)
        module.__file__ = path
        sys.modules['syslog'] = module
        return
    loader = SourceFileLoader('syslog', path)
    spec = ModuleSpec('syslog', loader, origin=path)
    spec.has_location = True
    module = type(sys)('syslog')
    module.__file__ = path
    module.__loader__ = loader
    module.__spec__ = spec
    sys.modules['syslog'] = module
    loader.exec_module(module)


_shadow_syslog()


def _yaml_as_on_the_switch(module):
    # Every NX-OS image's PyYAML predates 6.0, where yaml.load(stream) without a Loader
    # became a TypeError; Cisco's own POAPv3 script calls it so. A host PyYAML 6 gets the
    # 5.x default back (FullLoader, which still refuses python/object tags); an explicit
    # Loader is passed through unchanged. The stand-in yaml module needs nothing.
    try:
        major = int(str(getattr(module, '__version__', '0')).split('.')[0])
    except ValueError:
        return
    if major < 6 or getattr(module.load, '_poaplab_switch', False):
        return
    default = getattr(module, 'FullLoader', None) or module.SafeLoader
    real_load = module.load
    real_load_all = module.load_all

    def load(stream, Loader=None):
        return real_load(stream, Loader=default if Loader is None else Loader)

    def load_all(stream, Loader=None):
        return real_load_all(stream, Loader=default if Loader is None else Loader)

    load.__doc__ = real_load.__doc__
    load_all.__doc__ = real_load_all.__doc__
    load._poaplab_switch = True
    module.load = load
    module.load_all = load_all


class _YamlFinder(object):
    """Patches PyYAML as it is imported (nothing is imported before the script asks)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'yaml':
            return None
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, 'exec_module'):
            return spec
        real_exec = spec.loader.exec_module

        def exec_module(module):
            real_exec(module)
            _yaml_as_on_the_switch(module)

        spec.loader.exec_module = exec_module
        return spec


# PyYAML 6 exists only for Python 3; Python 2.7 has an older one or the stand-in.
if sys.version_info[0] >= 3:
    sys.meta_path.insert(0, _YamlFinder())


def _add_fallbacks():
    # PoapLab's yaml stand-in is there only for an interpreter without PyYAML; last on
    # sys.path all the same, so it can never hide a real PyYAML.
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'fallback')
    if os.path.isdir(path):
        sys.path.append(path)


_add_fallbacks()

# Tells the host the interpreter is up (so a later failure is the script's, not the
# sandbox's) and starts the clock from the switch's.
_advance_to(float(_bridge.call('hello', pid=os.getpid())['now']))
