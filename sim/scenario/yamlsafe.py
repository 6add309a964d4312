"""Safe YAML reading that remembers where every value came from.

Why not ``yaml.safe_load``: it forgets line and column numbers, silently keeps the last of
duplicate keys, and expands aliases without limit ("billion laughs"). Here we compose the
node graph ourselves, allow only the plain YAML tags, cap size, depth and expanded node
count, and return plain Python values plus a map from each value's path to its position.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor

from sim.errors import InputError, Problem

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 200_000

_TAG = "tag:yaml.org,2002:"
# libyaml's parser (C) when PyYAML has it: ~10x faster, same nodes and positions.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALAR_TAGS = {"str", "int", "float", "bool", "null", "timestamp"}
# what YAML forbids in a stream (PyYAML's reader): control characters other than tab, LF and CR
_NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")
# YAML 1.1 numbers a reader of YAML 1.2 (and of the file) does not expect: base 60 (``1:00`` is 60)
# and a leading 0 (``014`` is octal 12); refused, so the number written is the number read
_BASE_60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")

Key = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed YAML file: plain data plus where each value and mapping key stands."""

    path: str
    data: object
    value_pos: dict[Key, tuple[int, int]] = field(default_factory=dict)
    key_pos: dict[Key, tuple[int, int]] = field(default_factory=dict)
    quoted: set[Key] = field(default_factory=set)  # scalars written in quotes
    origin: dict[Key, str] = field(default_factory=dict)  # file of keys merged in by `extends`

    def where(self, key: Key, *, at_key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at ``key`` (or of its mapping key).

        Falls back to the nearest enclosing value so every problem gets a position.
        """
        table = self.key_pos if at_key else self.value_pos
        while key:
            if key in table:
                return table[key]
            if key in self.value_pos:
                return self.value_pos[key]
            key = key[:-1]
        return self.value_pos.get((), (1, 1))

    def file_of(self, key: Key) -> str:
        """The file a value came from (scenarios that extend others merge several)."""
        while key:
            if key in self.origin:
                return self.origin[key]
            key = key[:-1]
        return self.origin.get((), self.path)

    def problem(self, key: Key, message: str, *, at_key: bool = False, offset: int | None = None) -> Problem:
        """A located problem; ``offset`` moves the column into a scalar (e.g. a condition)."""
        line, column = self.where(key, at_key=at_key)
        if offset is not None:
            column += offset + (1 if key in self.quoted else 0)
        return Problem(self.file_of(key), line, column, message)


MAX_INDENT = 200  # columns of block indentation ("  ", "- ") on one line


_DEEP_INDENT = re.compile(f"^[ -]{{{MAX_INDENT + 1}}}", re.MULTILINE)
_NESTING = re.compile("[\n\"'#\\[\\]{}]")  # the characters that open or close a bracket, quote, comment or line


def nesting_problem(text: str) -> tuple[int, int, str] | None:
    """(line, column, message) where the text nests deeper than MAX_DEPTH, found in linear time
    before any parser runs: libyaml's composer recurses and would crash on ``[[[[...`` long before
    the depth check on the built values applies. The first problem in the text is reported."""
    problems = [p for p in (_indent_problem(text), _bracket_problem(text)) if p]
    return min(problems) if problems else None


def _indent_problem(text: str) -> tuple[int, int, str] | None:
    """Block indentation (``"  "``, ``"- "``) deeper than MAX_INDENT columns at the start of a line."""
    match = _DEEP_INDENT.search(text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()) + 1, MAX_INDENT + 1, f"indentation deeper than {MAX_INDENT} columns"


def _bracket_problem(text: str) -> tuple[int, int, str] | None:
    """Flow brackets (``[``, ``{``) open more than MAX_DEPTH deep, outside quotes and comments."""
    depth, quote, comment, line, line_start = 0, "", False, 1, 0
    for match in _NESTING.finditer(text):
        char, at = match.group(), match.start()
        if char == "\n":
            line, line_start, comment = line + 1, at + 1, False
        elif comment:
            continue
        elif quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            comment = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, at - line_start + 1, f"brackets nested deeper than {MAX_DEPTH} levels"
        else:
            depth = max(depth - 1, 0)
    return None


def read_yaml_file(path: str | Path, *, display: str | None = None) -> Document:
    """Read ``path`` as UTF-8 YAML; raise InputError with a located message on any problem.

    Only regular files are read (a FIFO would block, a device never end), and never more than
    MAX_FILE_BYTES + 1 bytes, so the size check holds before the whole stream is in memory.
    """
    import stat

    shown = display or str(path)
    try:
        info = Path(path).stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):
            raise InputError([Problem.about(shown, "not a regular file (a FIFO, socket or device?); expected a "
                                                   "YAML file")])
        if info.st_size > MAX_FILE_BYTES:
            raise InputError([Problem.about(shown, f"file is {info.st_size} bytes, more than the "
                                                   f"{MAX_FILE_BYTES} allowed")])
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError([Problem.about(shown, "file not found")]) from None
    except IsADirectoryError:
        raise InputError([Problem.about(shown, "is a directory, expected a YAML file")]) from None
    except (OSError, RuntimeError) as exc:  # pathlib reports a symbolic link loop as RuntimeError before 3.13
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
            raise InputError([Problem.about(shown, "symbolic link loop (too many levels of symbolic links); "
                                                   "expected a YAML file")]) from None
        raise InputError([Problem.about(shown, f"cannot read file: {exc.strerror}")]) from None
    return parse_yaml_bytes(raw, shown)


def parse_yaml_bytes(raw: bytes, shown: str) -> Document:
    """Parse bytes already read from ``shown`` (see :func:`read_yaml_file`)."""
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(
            [Problem.about(shown, f"file is {len(raw)} bytes, more than the {MAX_FILE_BYTES} allowed")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise InputError(
            [Problem(shown, line, column, f"byte 0x{byte} is not valid UTF-8; save the file as UTF-8")]
        ) from None
    control = _NOT_PRINTABLE.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        column = control.start() - (text.rfind("\n", 0, control.start()) + 1) + 1
        raise InputError([Problem(shown, line, column, f"control character U+{ord(control.group()):04X} "
                                                       f"({control.group()!r}) is not allowed in YAML; remove it")])
    nested = nesting_problem(text)
    if nested:
        raise InputError([Problem(shown, *nested)])
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "invalid YAML"
        raise InputError([Problem(shown, line, column, f"YAML syntax error: {reason}")]) from None
    except yaml.YAMLError as exc:  # one line: the problem, without the parser's "in <unicode string>"
        reason = " ".join(str(exc).split("\n")[0].split())
        raise InputError([Problem.about(shown, f"YAML error: {reason}")]) from None
    doc = Document(path=shown, data=None)
    if root is None:
        doc.data = {}
        return doc
    builder = _Builder(doc)
    doc.data = builder.build(root, (), 0)
    if builder.problems:
        raise InputError(builder.problems)
    return doc


class _Builder:
    """Turns a composed node graph into plain values, collecting problems as it goes."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.nodes = 0
        self.problems: list[Problem] = []
        self.constructor = SafeConstructor()

    def _fail(self, node: yaml.Node, message: str) -> None:
        self.problems.append(
            Problem(self.doc.path, node.start_mark.line + 1, node.start_mark.column + 1, message)
        )

    def build(self, node: yaml.Node, key: Key, depth: int) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self._fail(
                    node,
                    f"document expands to more than {MAX_NODES} values (alias bomb?); "
                    "expected a plain scenario file",
                )
            return None
        if depth > MAX_DEPTH:
            self._fail(node, f"nesting deeper than {MAX_DEPTH} levels")
            return None
        self.doc.value_pos.setdefault(key, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("'", '"'):
                self.doc.quoted.add(key)
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self._fail(node, f"unsupported YAML tag {node.tag!r}; only plain YAML is allowed")
                return None
            return [self.build(item, (*key, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, key, depth)
        self._fail(node, "unsupported YAML node")
        return None

    def _scalar(self, node: yaml.ScalarNode) -> object:
        tag = node.tag.removeprefix(_TAG)
        if tag not in _SCALAR_TAGS or not node.tag.startswith(_TAG):
            self._fail(node, f"unsupported YAML tag {node.tag!r}; only plain YAML is allowed")
            return None
        if tag in ("str", "timestamp"):
            return node.value  # dates stay text: the scenario layer parses YYYY-MM itself
        if tag in ("int", "float") and (_BASE_60.match(node.value) or _OCTAL.match(node.value)):
            self._yaml_11_number(node, tag)
            return None
        constructor = {
            "int": self.constructor.construct_yaml_int,
            "float": self.constructor.construct_yaml_float,
            "bool": self.constructor.construct_yaml_bool,
            "null": self.constructor.construct_yaml_null,
        }[tag]
        try:
            return constructor(node)
        except (ValueError, yaml.YAMLError):
            self._fail(node, f"cannot read {node.value!r} as {tag}")
            return None

    def _yaml_11_number(self, node: yaml.ScalarNode, tag: str) -> None:
        constructor = self.constructor.construct_yaml_int if tag == "int" else self.constructor.construct_yaml_float
        try:
            read = constructor(node)
        except (ValueError, yaml.YAMLError):
            read = None
        if _BASE_60.match(node.value):
            kind, hint = "a base-60 (sexagesimal) number", f"write {read!r} if that is the number meant"
        else:
            sign = node.value[0] if node.value[0] in "+-" else ""
            kind, hint = "an octal number", f"write {sign}{node.value.lstrip('+-').lstrip('0_') or '0'} without the " \
                                            "leading 0"
        self._fail(node, f"{node.value} reads as {kind} in YAML 1.1" + (f" ({read!r})" if read is not None else "")
                   + f"; {hint}, or quote it for text")

    def _mapping(self, node: yaml.MappingNode, key: Key, depth: int) -> dict:
        if node.tag != _TAG + "map":
            self._fail(node, f"unsupported YAML tag {node.tag!r}; only plain YAML is allowed")
            return {}
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._fail(key_node, "mapping keys must be plain scalars")
                continue
            if key_node.tag == _TAG + "merge":
                self._fail(key_node, "merge keys ('<<') are not supported; use 'extends:'")
                continue
            name = key_node.value
            if name in out:
                first = self.doc.key_pos.get((*key, name), (0, 0))[0]
                self._fail(key_node, f"duplicate key '{name}' (first defined on line {first})")
                continue
            child = (*key, name)
            self.doc.key_pos[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[name] = self.build(value_node, child, depth + 1)
        return out
