# PoapLab's own small YAML module. A switch's Python has PyYAML and POAP scripts
# import it at the top; pyenv's 2.7 has none, so the sandbox gets this module
# instead, and only then (it sits after site-packages on sys.path). It reads and
# writes the subset POAP scripts and their recipes use, resolving plain scalars as
# YAML 1.1 does (as PyYAML does). Anything outside the subset (anchors, aliases,
# tags, complex keys, directives) raises YAMLError with the line number rather
# than being read some other way. Python 2.7 and 3.x.
import datetime
import math
import re
import sys

__version__ = '1.0-poaplab'

_PY2 = sys.version_info[0] == 2
if _PY2:
    _text = unicode  # noqa: F821 (Python 2 only)
    _bytes = str
    _ints = (int, long)  # noqa: F821 (Python 2 only)
    _chr = unichr  # noqa: F821 (Python 2 only)
else:
    _text = str
    _bytes = bytes
    _ints = (int,)
    _chr = chr


class YAMLError(Exception):
    """Every error this module raises (as PyYAML's base class)."""


class Mark(object):
    """Where a problem was found: line and column count from 0, as PyYAML's marks."""

    def __init__(self, name, line, column):
        self.name = name
        self.line = line
        self.column = column

    def __str__(self):
        return '  in "%s", line %d, column %d' % (self.name, self.line + 1, self.column + 1)


class MarkedYAMLError(YAMLError):
    """A problem in the document, with its position in problem_mark."""

    def __init__(self, problem, problem_mark):
        self.problem = problem
        self.problem_mark = problem_mark
        YAMLError.__init__(self, '%s\n%s' % (problem, problem_mark))


# What the reader and writer raise; the names scripts may catch besides YAMLError.
ScannerError = ParserError = ComposerError = ConstructorError = MarkedYAMLError


class RepresenterError(YAMLError):
    """dump() was given something that is not plain data."""


# Loader and Dumper classes only name a behaviour here: every loader reads the same subset.
class BaseLoader(object):
    pass


class SafeLoader(BaseLoader):
    pass


class FullLoader(SafeLoader):
    pass


class Loader(FullLoader):
    pass


class UnsafeLoader(Loader):
    pass


class BaseDumper(object):
    pass


class SafeDumper(BaseDumper):
    pass


class Dumper(SafeDumper):
    pass


# --- reading ---------------------------------------------------------------

# YAML 1.1 types (yaml.org/type/*.html), narrowed to what PyYAML resolves.
_BOOLS = {
    'yes': True, 'Yes': True, 'YES': True, 'no': False, 'No': False, 'NO': False,
    'true': True, 'True': True, 'TRUE': True, 'false': False, 'False': False, 'FALSE': False,
    'on': True, 'On': True, 'ON': True, 'off': False, 'Off': False, 'OFF': False,
}
_NULLS = ('', '~', 'null', 'Null', 'NULL')
_INT = re.compile(r'''^[-+]?(?:
      0b[01_]+
    | 0x[0-9a-fA-F_]+
    | 0[0-7_]+
    | 0
    | [1-9][0-9_]*(?::[0-5]?[0-9])*
    )$''', re.X)
_FLOAT = re.compile(r'''^(?:
      [-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?
    | \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    | [-+]?\.(?:inf|Inf|INF)
    | \.(?:nan|NaN|NAN)
    )$''', re.X)
_DATE = re.compile(r'^([0-9]{4})-([0-9]{2})-([0-9]{2})$')
_TIMESTAMP = re.compile(r'''^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})
    (?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?
    (?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?$''', re.X)

_ESCAPES = {
    '0': '\0', 'a': '\x07', 'b': '\x08', 't': '\t', '\t': '\t', 'n': '\n', 'v': '\x0b',
    'f': '\x0c', 'r': '\r', 'e': '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\',
    'N': u'\x85', '_': u'\xa0', 'L': u'\u2028', 'P': u'\u2029',
}
_HEX_ESCAPES = {'x': 2, 'u': 4, 'U': 8}

# Characters that cannot start a plain scalar (YAML 1.1 section 4.2.2 indicators).
_INDICATORS = '-?:,[]{}#&*!|>\'"%@`'
_FLOW_ENDS = ',[]{}'
_NOT_PRINTABLE = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]')
_OTHER_BREAKS = re.compile(u'[\x85\u2028\u2029]')


def _native(text):
    # PyYAML on Python 2 gives str for ASCII scalars and unicode otherwise.
    if _PY2:
        try:
            return text.encode('ascii')
        except UnicodeError:
            return text
    return text


def _unichr(code):
    try:
        return _chr(code)
    except ValueError:
        # A narrow Python 2 build: a character past U+FFFF is a surrogate pair.
        code -= 0x10000
        return _chr(0xD800 + (code >> 10)) + _chr(0xDC00 + (code & 0x3FF))


def _read(stream):
    if hasattr(stream, 'read'):
        stream = stream.read()
    if isinstance(stream, _bytes):
        try:
            stream = stream.decode('utf-8')
        except UnicodeError as e:
            raise YAMLError('the stream is not UTF-8: %s' % e)
    if not isinstance(stream, _text):
        raise TypeError('expected a string or a stream, not %s' % type(stream).__name__)
    if stream.startswith(u'\ufeff'):
        stream = stream[1:]
    return stream.replace(u'\r\n', u'\n').replace(u'\r', u'\n')


class _Parser(object):
    """Recursive descent over lines: a block node's extent is its indentation."""

    def __init__(self, text, name='<unicode string>'):
        self.name = name
        for row, line in enumerate(text.split('\n')):
            bad = _NOT_PRINTABLE.search(line) or _OTHER_BREAKS.search(line)
            if bad:
                self.row, self.col = row, bad.start()
                self._fail('unacceptable character #x%04x: not supported here' % ord(bad.group()))
        self.final_break = text.endswith('\n')
        self.lines = text.split('\n')
        if self.final_break:
            self.lines.pop()
        self.row = 0
        self.col = 0

    # -- positions

    def _fail(self, problem, row=None, col=None):
        raise MarkedYAMLError(problem, Mark(self.name, self.row if row is None else row, self.col if col is None else col))

    def _line(self):
        return self.lines[self.row]

    def _char(self, offset=0):
        line = self.lines[self.row]
        i = self.col + offset
        return line[i] if i < len(line) else ''

    def _skip_ws(self):
        line = self.lines[self.row]
        while self.col < len(line) and line[self.col] in ' \t':
            self.col += 1

    def _rest_blank(self):
        """True when only whitespace or a comment is left on the current line."""
        line = self.lines[self.row]
        i = self.col
        while i < len(line) and line[i] in ' \t':
            i += 1
        return i == len(line) or line[i] == '#'

    def _at_content(self):
        """Moves past blank and comment lines to the next content; False at the end of the stream."""
        while self.row < len(self.lines):
            line = self.lines[self.row]
            fresh = self.col == 0
            i = self.col
            while i < len(line) and line[i] in ' \t':
                i += 1
            if i == len(line) or line[i] == '#':
                self.row += 1
                self.col = 0
                continue
            if fresh and '\t' in line[:i]:
                self._fail('found a tab character where an indentation space is expected', col=line.index('\t'))
            self.col = i
            return True
        return False

    def _is_marker(self, marker=None):
        if self.col != 0:
            return False
        line = self.lines[self.row]
        if marker is None:
            return self._is_marker('---') or self._is_marker('...')
        return line.startswith(marker) and (len(line) == 3 or line[3] in ' \t')

    def _indent(self):
        # A document marker ends every block collection.
        return -1 if self._is_marker() else self.col

    def _is_entry(self):
        return self._char() == '-' and self._char(1) in ('', ' ', '\t')

    def _end_line(self, what):
        start = self.col
        self._skip_ws()
        c = self._char()
        if c and c != '#':
            self._fail('expected the end of the line after %s, but found %r' % (what, c))
        if c == '#' and self.col == start and what == 'a block scalar header':
            self._fail('a comment must be separated from the block scalar header by whitespace')
        self.row += 1
        self.col = 0

    # -- documents

    def documents(self):
        docs = []
        while self._at_content():
            if self._is_marker('...'):
                self.row += 1
                self.col = 0
                continue
            start = self.row
            if self._is_marker('---'):
                self.col = 3
                if self._rest_blank():
                    self.row += 1
                    self.col = 0
                    value = self._block_node(-1)
                else:
                    self._skip_ws()
                    value = self._inline_value(-1)
            else:
                value = self._block_node(-1)
            docs.append((start, value))
            if not self._at_content():
                break
            if self._is_marker('...'):
                self.row += 1
                self.col = 0
            elif not self._is_marker('---'):
                self._fail('expected the end of the document, but found %r' % self._char())
        return docs

    # -- block context

    def _block_node(self, parent_indent, sequence_at_parent=False):
        """The node starting at the next content, if it is indented past its parent."""
        if not self._at_content():
            return None
        indent = self._indent()
        if indent <= parent_indent:
            # key:\n- a  is a sequence at the key's own indentation.
            if sequence_at_parent and indent == parent_indent and self._is_entry():
                return self._block_sequence(indent)
            return None
        if self._is_entry():
            return self._block_sequence(indent)
        if self._mapping_key() is not None:
            return self._block_mapping(indent)
        return self._scalar_node(parent_indent)

    def _block_sequence(self, indent):
        items = []
        while self._at_content():
            here = self._indent()
            if here < indent:
                break
            if here > indent:
                self._fail('bad indentation of a sequence entry (expected column %d)' % (indent + 1))
            if not self._is_entry():
                break
            self.col += 1
            if self._rest_blank():
                self.row += 1
                self.col = 0
            items.append(self._block_node(indent))
        return items

    def _block_mapping(self, indent):
        result = {}
        while self._at_content():
            here = self._indent()
            if here < indent:
                break
            if here > indent:
                self._fail('bad indentation of a mapping key (expected column %d)' % (indent + 1))
            if self._is_entry():
                break
            row, col = self.row, self.col
            key = self._mapping_key()
            if key is None:
                self._fail("could not find the expected ':' after a mapping key")
            self.col, key = key
            try:
                hash(key)
            except TypeError:
                self._fail('found an unhashable mapping key', row, col)
            if self._rest_blank():
                self.row += 1
                self.col = 0
                value = self._block_node(indent, sequence_at_parent=True)
            else:
                self._skip_ws()
                value = self._inline_value(indent)
            result[key] = value
        return result

    def _mapping_key(self):
        """(column past the ':', key) when a simple key and ':' start at the cursor, else None."""
        line = self.lines[self.row]
        c = line[self.col]
        if c in '"\'':
            row, col = self.row, self.col
            text = self._quoted(c, -1)
            end, same_line = self.col, self.row == row
            self.row, self.col = row, col
            if not same_line:
                return None
            while end < len(line) and line[end] in ' \t':
                end += 1
            if end < len(line) and line[end] == ':' and line[end + 1:end + 2] in ('', ' ', '\t'):
                return end + 1, _native(text)
            return None
        if not self._plain_start(False):
            return None
        j = self.col
        while j < len(line):
            if line[j] == ':' and line[j + 1:j + 2] in ('', ' ', '\t'):
                return j + 1, self._resolve(line[self.col:j].rstrip(' \t'), self.row, self.col)
            if line[j] == '#' and line[j - 1] in ' \t':
                return None
            j += 1
        return None

    def _inline_value(self, parent_indent):
        """A value on the same line as its key (or the document's ---): never a block collection."""
        if self._is_entry():
            self._fail('block sequence entries are not allowed here')
        return self._scalar_node(parent_indent)

    def _scalar_node(self, parent_indent):
        c = self._char()
        if c in '[{':
            value = self._flow_node()
            self._end_line('a flow collection')
            return value
        if c in '"\'':
            value = _native(self._quoted(c, parent_indent))
            self._end_line('a quoted scalar')
            return value
        if c in '|>':
            return _native(self._block_scalar(parent_indent))
        if c in '&*!':
            self._fail('anchors, aliases and tags (%s) are not supported by this YAML reader' % c)
        if c == '?' and self._char(1) in ('', ' ', '\t'):
            self._fail('complex mapping keys (?) are not supported by this YAML reader')
        if c == '-' and self._char(1) in ('', ' ', '\t'):
            self._fail('block sequence entries are not allowed here')
        if not self._plain_start(False):
            self._fail('found character %r that cannot start any token' % c)
        row, col = self.row, self.col
        return self._resolve(self._plain(parent_indent, False), row, col)

    def _plain_start(self, flow):
        c = self._char()
        if c not in _INDICATORS:
            return True
        following = self._char(1)
        return c in '-?:' and following not in ('', ' ', '\t') and not (flow and following in _FLOW_ENDS)

    def _plain_end(self, line, j, flow):
        """True when the plain scalar being read stops before column j."""
        c = line[j]
        following = line[j + 1:j + 2]
        if c == '#' and j > 0 and line[j - 1] in ' \t':
            return True
        if c == ':' and (following in ('', ' ', '\t') or (flow and following in _FLOW_ENDS)):
            if not flow:
                self._fail('mapping values are not allowed here', col=j)
            return True
        return flow and c in _FLOW_ENDS

    def _plain(self, parent_indent, flow):
        """A plain scalar from the cursor, folding continuation lines indented past the parent."""
        chunks = []
        while True:
            line = self.lines[self.row]
            j = self.col
            while j < len(line) and not self._plain_end(line, j, flow):
                j += 1
            chunks.append(line[self.col:j].rstrip(' \t'))
            self.col = j
            if j < len(line):
                # A comment, a ':' (flow) or a flow indicator ends the scalar on this line.
                break
            row, blank = self.row + 1, 0
            while row < len(self.lines) and not self.lines[row].strip(' \t'):
                row += 1
                blank += 1
            if row >= len(self.lines):
                break
            nxt = self.lines[row]
            start = len(nxt) - len(nxt.lstrip(' \t'))
            spaces = len(nxt) - len(nxt.lstrip(' '))
            if nxt[start] == '#' or (nxt.startswith(('---', '...')) and nxt[3:4] in ('', ' ', '\t')):
                break
            if not flow and spaces <= parent_indent:
                break
            if flow and (nxt[start] in _FLOW_ENDS or (nxt[start] == ':' and nxt[start + 1:start + 2] in ('', ' ', '\t'))):
                # The scalar ends at the line break; the flow collection goes on.
                self.row, self.col = row, start
                break
            chunks.append('\n' * blank if blank else ' ')
            self.row, self.col = row, start
        return ''.join(chunks)

    def _quoted(self, quote, parent_indent):
        """A single- or double-quoted scalar from the opening quote; may span lines (folded)."""
        start_row, start_col = self.row, self.col
        out = []
        line = self.lines[self.row]
        i = self.col + 1
        while True:
            pending = []  # literal whitespace: dropped when the line ends inside the quotes
            escaped_break = False
            while i < len(line):
                c = line[i]
                if c in ' \t':
                    pending.append(c)
                    i += 1
                    continue
                out.extend(pending)
                pending = []
                if quote == "'":
                    if c == "'":
                        if line[i + 1:i + 2] == "'":
                            out.append("'")
                            i += 2
                            continue
                        self.col = i + 1
                        return ''.join(out)
                    out.append(c)
                    i += 1
                    continue
                if c == '"':
                    self.col = i + 1
                    return ''.join(out)
                if c != '\\':
                    out.append(c)
                    i += 1
                    continue
                if i + 1 == len(line):
                    escaped_break = True
                    i += 1
                    break
                code = line[i + 1]
                if code in _ESCAPES:
                    out.append(_ESCAPES[code])
                    i += 2
                elif code in _HEX_ESCAPES:
                    width = _HEX_ESCAPES[code]
                    digits = line[i + 2:i + 2 + width]
                    if len(digits) != width or not re.match(r'^[0-9a-fA-F]+$', digits):
                        self._fail('expected %d hexadecimal digits after \\%s in a double-quoted scalar' % (width, code), col=i)
                    out.append(_unichr(int(digits, 16)))
                    i += 2 + width
                else:
                    self._fail('found unknown escape character %r in a double-quoted scalar' % code, col=i)
            if escaped_break:
                out.extend(pending)
            self.row += 1
            blank = 0
            while True:
                if self.row >= len(self.lines):
                    self._fail('found unexpected end of stream while scanning a quoted scalar', start_row, start_col)
                line = self.lines[self.row]
                if line.startswith(('---', '...')) and line[3:4] in ('', ' ', '\t'):
                    self._fail('found unexpected document separator while scanning a quoted scalar', self.row, 0)
                if line.strip(' \t'):
                    break
                blank += 1
                self.row += 1
            i = len(line) - len(line.lstrip(' \t'))
            if parent_indent >= 0 and len(line) - len(line.lstrip(' ')) <= parent_indent:
                self._fail('a quoted scalar continues at an indentation that ends its parent', col=0)
            if escaped_break:
                out.append('\n' * blank)
            else:
                out.append('\n' * blank if blank else ' ')

    def _block_scalar(self, parent_indent):
        """A literal (|) or folded (>) block scalar from its header (YAML 1.1 section 9.1)."""
        folded = self._char() == '>'
        self.col += 1
        chomp = None
        increment = None
        for _ in range(2):
            c = self._char()
            if c in ('+', '-') and chomp is None:
                chomp = c
                self.col += 1
            elif c and c in '123456789' and increment is None:
                increment = int(c)
                self.col += 1
            elif c == '0':
                self._fail('expected an indentation indicator in the range 1-9, but found 0')
        self._end_line('a block scalar header')

        least = max(parent_indent + 1, 1)
        if increment is not None:
            indent = least + increment - 1
        else:
            # The first non-empty line sets the indentation; leading empty lines may only be shorter.
            indent = least
            row = self.row
            while row < len(self.lines) and not self.lines[row].strip(' '):
                indent = max(indent, len(self.lines[row]))
                row += 1
            if row < len(self.lines):
                indent = max(indent, len(self.lines[row]) - len(self.lines[row].lstrip(' ')))

        leading = 0
        content = []  # (empty lines before it, text)
        blank = 0
        while self.row < len(self.lines):
            line = self.lines[self.row]
            if len(line) > indent and line[:indent] == ' ' * indent:
                if not content:
                    leading = blank
                content.append((blank, line[indent:]))
                blank = 0
            elif not line.strip(' ') and len(line) <= indent:
                blank += 1
            else:
                break
            self.row += 1
        self.col = 0

        chunks = ['\n' * leading] if content else []
        for n, (before, text) in enumerate(content):
            if n > 0:
                previous = content[n - 1][1]
                if folded and previous[:1] not in (' ', '\t') and text[:1] not in (' ', '\t'):
                    chunks.append(' ' if before == 0 else '\n' * before)
                else:
                    chunks.append('\n' * (before + 1))
            chunks.append(text)
        # The last content line's own break (absent when the stream ends without one).
        last_break = '\n' if content and (self.row < len(self.lines) or blank or self.final_break) else ''
        if chomp != '-':
            chunks.append(last_break)
        if chomp == '+':
            chunks.append('\n' * blank)
        return ''.join(chunks)

    # -- flow context

    def _flow_skip(self):
        """Whitespace, line breaks and comments between flow tokens."""
        while True:
            if self.row >= len(self.lines):
                self._fail('found unexpected end of stream inside a flow collection')
            line = self.lines[self.row]
            self._skip_ws()
            if self.col < len(line) and not (line[self.col] == '#' and (self.col == 0 or line[self.col - 1] in ' \t')):
                return
            self.row += 1
            self.col = 0
            if self.row < len(self.lines) and self._is_marker():
                self._fail('found a document separator inside a flow collection')

    def _flow_node(self):
        self._flow_skip()
        c = self._char()
        if c == '[':
            return self._flow_sequence()
        if c == '{':
            return self._flow_mapping()
        if c in '"\'':
            return _native(self._quoted(c, -1))
        if c in '&*!':
            self._fail('anchors, aliases and tags (%s) are not supported by this YAML reader' % c)
        if not self._plain_start(True) or (c == '-' and self._char(1) in ('', ' ', '\t')):
            self._fail('found character %r that cannot start a flow node' % c)
        row, col = self.row, self.col
        return self._resolve(self._plain(-1, True), row, col)

    def _flow_value_follows(self, after_quoted):
        c = self._char()
        following = self._char(1)
        return c == ':' and (after_quoted or following in ('', ' ', '\t') or following in _FLOW_ENDS)

    def _flow_sequence(self):
        items = []
        self.col += 1
        while True:
            self._flow_skip()
            if self._char() == ']':
                self.col += 1
                return items
            if self._char() in (',', '?'):
                self._fail('expected a node in a flow sequence, but found %r' % self._char())
            row, col = self.row, self.col
            quoted = self._char() in '"\'[{'
            item = self._flow_node()
            self._flow_skip()
            if self._flow_value_follows(quoted):
                # [key: value] is a one-pair mapping (YAML 1.1 section 7.4.2).
                self.col += 1
                self._flow_skip()
                value = None if self._char() in (',', ']') else self._flow_node()
                try:
                    item = {item: value}
                except TypeError:
                    self._fail('found an unhashable mapping key', row, col)
                self._flow_skip()
            items.append(item)
            c = self._char()
            if c == ',':
                self.col += 1
            elif c != ']':
                self._fail("expected ',' or ']' in a flow sequence, but found %r" % c)

    def _flow_mapping(self):
        result = {}
        self.col += 1
        while True:
            self._flow_skip()
            if self._char() == '}':
                self.col += 1
                return result
            if self._char() in (',', '?'):
                self._fail('expected a key in a flow mapping, but found %r' % self._char())
            row, col = self.row, self.col
            quoted = self._char() in '"\'[{'
            key = self._flow_node()
            self._flow_skip()
            value = None
            if self._flow_value_follows(quoted):
                self.col += 1
                self._flow_skip()
                if self._char() not in (',', '}'):
                    value = self._flow_node()
                    self._flow_skip()
            try:
                result[key] = value
            except TypeError:
                self._fail('found an unhashable mapping key', row, col)
            c = self._char()
            if c == ',':
                self.col += 1
            elif c != '}':
                self._fail("expected ',' or '}' in a flow mapping, but found %r" % c)

    # -- scalars

    def _resolve(self, text, row, col):
        """A plain scalar's value by YAML 1.1's implicit types, as PyYAML resolves them."""
        if text in _NULLS:
            return None
        if text in _BOOLS:
            return _BOOLS[text]
        if text in ('<<', '='):
            self._fail('merge keys (<<) and value keys (=) are not supported by this YAML reader', row, col)
        if _INT.match(text):
            return self._int(text.replace('_', ''), row, col)
        if _FLOAT.match(text):
            return _float(text.replace('_', '').lower())
        stamp = _DATE.match(text)
        if stamp:
            return self._date(stamp, row, col)
        stamp = _TIMESTAMP.match(text)
        if stamp:
            return self._timestamp(stamp, row, col)
        return _native(text)

    def _int(self, text, row, col):
        sign = -1 if text[0] == '-' else 1
        if text[0] in '+-':
            text = text[1:]
        try:
            if text == '0':
                value = 0
            elif text.startswith('0b'):
                value = int(text[2:], 2)
            elif text.startswith('0x'):
                value = int(text[2:], 16)
            elif text[0] == '0':
                value = int(text, 8)
            elif ':' in text:
                value = 0
                for part in text.split(':'):
                    value = value * 60 + int(part)
            else:
                value = int(text)
        except ValueError:
            self._fail('%r is not a valid integer' % text, row, col)
        return sign * value

    def _date(self, match, row, col):
        try:
            return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError as e:
            self._fail('invalid date: %s' % e, row, col)

    def _timestamp(self, match, row, col):
        year, month, day, hour, minute, second, fraction, zone, sign, zone_hours, zone_minutes = match.groups()
        micro = int((fraction or '')[:6].ljust(6, '0'))
        try:
            value = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
        except ValueError as e:
            self._fail('invalid timestamp: %s' % e, row, col)
        if not zone:
            return value
        offset = datetime.timedelta(0)
        if sign:
            offset = datetime.timedelta(hours=int(zone_hours), minutes=int(zone_minutes or 0))
            if sign == '-':
                offset = -offset
        if _PY2:
            # As PyYAML on Python 2: a naive datetime in UTC.
            return value - offset
        return value.replace(tzinfo=datetime.timezone(offset) if sign else datetime.timezone.utc)


def _float(text):
    sign = -1.0 if text[0] == '-' else 1.0
    if text[0] in '+-':
        text = text[1:]
    if text == '.inf':
        return sign * float('inf')
    if text == '.nan':
        return float('nan')
    if ':' in text:
        value = 0.0
        for part in text.split(':'):
            value = value * 60 + float(part)
        return sign * value
    return sign * float(text)


def _parse(stream):
    text = _read(stream)
    name = getattr(stream, 'name', '<unicode string>') if hasattr(stream, 'read') else '<unicode string>'
    return _Parser(text, name).documents()


def load(stream, Loader=None):
    """The single document in stream (None when empty); more than one is an error."""
    docs = _parse(stream)
    if len(docs) > 1:
        raise MarkedYAMLError('expected a single document in the stream, but found another document',
                              Mark('<unicode string>', docs[1][0], 0))
    return docs[0][1] if docs else None


def safe_load(stream):
    return load(stream, SafeLoader)


def full_load(stream):
    return load(stream, FullLoader)


def unsafe_load(stream):
    return load(stream, UnsafeLoader)


def load_all(stream, Loader=None):
    for _, value in _parse(stream):
        yield value


def safe_load_all(stream):
    return load_all(stream, SafeLoader)


def full_load_all(stream):
    return load_all(stream, FullLoader)


# --- writing ---------------------------------------------------------------

class _Writer(object):
    def __init__(self, flow_style, allow_unicode, sort_keys, indent):
        self.flow_style = flow_style
        self.allow_unicode = allow_unicode
        self.sort_keys = sort_keys
        self.step = indent if isinstance(indent, _ints) and 1 < indent < 10 else 2

    def is_collection(self, value):
        return isinstance(value, (dict, list, tuple))

    def flow(self, value):
        """Whether value is written in flow style ([a, b], {a: 1})."""
        if isinstance(value, (list, tuple, dict)) and not value:
            return True
        if self.flow_style is None:
            items = value.values() if isinstance(value, dict) else value
            return not any(self.is_collection(v) for v in items)
        return bool(self.flow_style)

    def items(self, mapping):
        keys = list(mapping)
        if self.sort_keys:
            try:
                keys = sorted(keys)
            except TypeError:
                pass
        return [(k, mapping[k]) for k in keys]

    def scalar(self, value):
        if value is None:
            return 'null', True
        if value is True or value is False:
            return ('true' if value else 'false'), True
        if isinstance(value, _ints):
            return str(value), True
        if isinstance(value, float):
            if value != value:
                return '.nan', True
            if math.isinf(value):
                return ('.inf' if value > 0 else '-.inf'), True
            text = repr(value).lower()
            if '.' not in text and 'e' in text:
                text = text.replace('e', '.0e', 1)
            return text, True
        if isinstance(value, datetime.datetime):
            return value.isoformat(' '), True
        if isinstance(value, datetime.date):
            return value.isoformat(), True
        if isinstance(value, _bytes) and _PY2:
            try:
                value = value.decode('utf-8')
            except UnicodeError:
                raise RepresenterError('cannot represent a byte string that is not UTF-8: %r' % value)
        if isinstance(value, _text):
            return self.string(value)
        raise RepresenterError('cannot represent an object: %r' % (value,))

    def string(self, text):
        """(text as YAML, plain) in the plainest style that reads back as the same string."""
        if self.plain_ok(text):
            return text, True
        if not _NOT_PRINTABLE.search(text) and not _OTHER_BREAKS.search(text) and '\n' not in text \
                and (self.allow_unicode or all(ord(c) < 0x80 for c in text)):
            return "'" + text.replace("'", "''") + "'", False
        out = ['"']
        for c in text:
            code = ord(c)
            if c == '"' or c == '\\':
                out.append('\\' + c)
            elif c == '\n':
                out.append('\\n')
            elif c == '\t':
                out.append('\\t')
            elif 0x20 <= code < 0x7f or (self.allow_unicode and code >= 0xa0 and not _NOT_PRINTABLE.match(c) and not _OTHER_BREAKS.match(c)):
                out.append(c)
            elif code <= 0xff:
                out.append('\\x%02X' % code)
            elif code <= 0xffff:
                out.append('\\u%04X' % code)
            else:
                out.append('\\U%08X' % code)
        out.append('"')
        return ''.join(out), False

    def plain_ok(self, text):
        if not text or text != text.strip(' \t') or text[0] in _INDICATORS:
            return False
        if text.startswith(('---', '...')):
            return False
        if ': ' in text or ' #' in text or text.endswith(':') or '\t' in text:
            return False
        if any(c in _FLOW_ENDS for c in text):
            return False
        if any(ord(c) < 0x20 or ord(c) >= 0x7f for c in text) and not (
                self.allow_unicode and not _NOT_PRINTABLE.search(text) and not _OTHER_BREAKS.search(text) and '\n' not in text):
            return False
        try:
            return _Parser(u'', '<dump>')._resolve(text, 0, 0) == text
        except YAMLError:
            return False

    def flow_text(self, value):
        if isinstance(value, dict):
            parts = []
            for k, v in self.items(value):
                parts.append('%s: %s' % (self.key(k), self.flow_text(v)))
            return '{' + ', '.join(parts) + '}'
        if isinstance(value, (list, tuple)):
            return '[' + ', '.join(self.flow_text(v) for v in value) + ']'
        return self.scalar(value)[0]

    def key(self, key):
        if self.is_collection(key):
            raise RepresenterError('cannot represent a collection as a mapping key: %r' % (key,))
        return self.scalar(key)[0]

    def block(self, value, indent):
        """Lines of a block collection whose entries start at column indent."""
        pad = ' ' * indent
        lines = []
        if isinstance(value, dict):
            for k, v in self.items(value):
                head = pad + self.key(k) + ':'
                if self.is_collection(v) and not self.flow(v):
                    lines.append(head)
                    # PyYAML's default: a sequence under a key is not indented further.
                    lines.extend(self.block(v, indent if isinstance(v, (list, tuple)) else indent + self.step))
                else:
                    lines.append(head + ' ' + self.flow_text(v))
            return lines
        for v in value:
            if self.is_collection(v) and not self.flow(v):
                inner = self.block(v, indent + 2)
                lines.append(pad + '- ' + inner[0][indent + 2:])
                lines.extend(inner[1:])
            else:
                lines.append(pad + '- ' + self.flow_text(v))
        return lines

    def document(self, value, explicit_start):
        if self.is_collection(value) and not self.flow(value):
            text = '\n'.join(self.block(value, 0)) + '\n'
            return ('---\n' if explicit_start else '') + text
        if self.is_collection(value):
            text = self.flow_text(value)
            plain = True
        else:
            text, plain = self.scalar(value)
        text = ('--- ' if explicit_start else '') + text + '\n'
        # A plain scalar at the top is open-ended: mark the document's end as PyYAML does.
        return text + '...\n' if plain and not self.is_collection(value) else text


def dump_all(documents, stream=None, Dumper=None, default_flow_style=False, indent=None,
             allow_unicode=False, sort_keys=True, explicit_start=False, encoding=None, **ignored):
    """Plain data (dicts, lists, strings, numbers, booleans, None) as YAML."""
    writer = _Writer(default_flow_style, allow_unicode, sort_keys, indent)
    documents = list(documents)
    parts = []
    for n, data in enumerate(documents):
        parts.append(writer.document(data, explicit_start or n > 0))
    text = ''.join(parts)
    if _PY2 or encoding is not None:
        text = text.encode(encoding or 'utf-8')
    if stream is None:
        return text
    stream.write(text)
    return None


def dump(data, stream=None, Dumper=None, **kwds):
    return dump_all([data], stream, Dumper, **kwds)


def safe_dump_all(documents, stream=None, **kwds):
    return dump_all(documents, stream, SafeDumper, **kwds)


def safe_dump(data, stream=None, **kwds):
    return dump_all([data], stream, SafeDumper, **kwds)
