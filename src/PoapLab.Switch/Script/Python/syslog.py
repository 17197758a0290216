# Shadows the standard syslog module inside the PoapLab sandbox: messages go to
# the simulated switch's syslog through the bridge. Same names and semantics as
# the stdlib module. Python 2.7 and 3.x.
import sys

import _poaplab_bridge as _bridge

LOG_EMERG = 0
LOG_ALERT = 1
LOG_CRIT = 2
LOG_ERR = 3
LOG_WARNING = 4
LOG_NOTICE = 5
LOG_INFO = 6
LOG_DEBUG = 7

LOG_KERN = 0 << 3
LOG_USER = 1 << 3
LOG_MAIL = 2 << 3
LOG_DAEMON = 3 << 3
LOG_AUTH = 4 << 3
LOG_SYSLOG = 5 << 3
LOG_LPR = 6 << 3
LOG_NEWS = 7 << 3
LOG_UUCP = 8 << 3
LOG_CRON = 9 << 3
LOG_AUTHPRIV = 10 << 3
LOG_LOCAL0 = 16 << 3
LOG_LOCAL1 = 17 << 3
LOG_LOCAL2 = 18 << 3
LOG_LOCAL3 = 19 << 3
LOG_LOCAL4 = 20 << 3
LOG_LOCAL5 = 21 << 3
LOG_LOCAL6 = 22 << 3
LOG_LOCAL7 = 23 << 3

LOG_PID = 0x01
LOG_CONS = 0x02
LOG_ODELAY = 0x04
LOG_NDELAY = 0x08
LOG_NOWAIT = 0x10
LOG_PERROR = 0x20

if sys.version_info[0] == 2:
    _text_types = (str, unicode)  # noqa: F821 (Python 2 only)
else:
    _text_types = (str,)

_settings = {'ident': None, 'logoption': 0, 'facility': LOG_USER, 'mask': 0xff}


def LOG_MASK(pri):
    return 1 << pri


def LOG_UPTO(pri):
    return (1 << (pri + 1)) - 1


def openlog(ident=None, logoption=0, facility=LOG_USER):
    _settings['ident'] = ident
    _settings['logoption'] = logoption
    _settings['facility'] = facility


def closelog():
    _settings['ident'] = None
    _settings['logoption'] = 0
    _settings['facility'] = LOG_USER


def setlogmask(maskpri):
    old = _settings['mask']
    # As in C: a zero mask reads the current one without changing it.
    if maskpri != 0:
        _settings['mask'] = maskpri
    return old


def syslog(*args):
    """syslog(message) or syslog(priority, message), as the stdlib module."""
    if len(args) == 1:
        priority, message = LOG_INFO, args[0]
    elif len(args) == 2:
        priority, message = args
    else:
        raise TypeError('syslog.syslog() takes 1 or 2 arguments (%d given)' % len(args))
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise TypeError('syslog.syslog() priority must be an integer')
    if not isinstance(message, _text_types):
        raise TypeError('syslog.syslog() message must be a string')
    if not _settings['mask'] & LOG_MASK(priority & 0x07):
        return
    # As syslog(3): a priority without facility bits takes openlog's facility.
    if priority & ~0x07 == 0:
        priority |= _settings['facility']
    if sys.version_info[0] == 2 and isinstance(message, str):
        message = message.decode('utf-8', 'replace')
    _bridge.call('syslog', priority=priority, message=message)
