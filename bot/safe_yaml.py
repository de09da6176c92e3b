"""Strict, size-capped YAML reading that remembers line numbers.

Built on PyYAML's safe loader (libyaml's ``CSafeLoader`` when available, with identical
guarantees on the pure-Python fallback). On top of ``yaml.safe_load`` it:

* reads only regular files, without blocking (a FIFO or a device is refused before it is
  opened) and, given ``within``, only files whose real path stays inside that directory;
* reads bytes with a size cap and refuses non-UTF-8 input (a leading BOM is stripped);
* builds values straight from the parser's events, at most :data:`MAX_NODES` of them,
  so that the memory a capped file can cost is bounded (see :meth:`StrictLoader.build`);
* refuses anchors and aliases (so no alias bombs), merge keys (``<<``) and tags other
  than the plain YAML scalar/map/seq ones;
* refuses duplicate mapping keys, naming both lines;
* returns :class:`YamlMap` / :class:`YamlList` (plain ``dict`` / ``list`` subclasses)
  that carry the 1-based line of the node and of each key or item, so callers can point
  at the exact line of a bad field.

Every failure raises :class:`YamlError` with a short message and, where known, a line.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from yaml.composer import ComposerError
from yaml.nodes import ScalarNode

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_NODES",
    "StrictLoader",
    "TooManyValues",
    "YamlError",
    "YamlList",
    "YamlMap",
    "decode_utf8",
    "is_inside",
    "load_bytes",
    "load_file",
    "open_regular",
    "parse",
    "parse_counted",
    "read_capped",
]

DEFAULT_MAX_BYTES = 1 << 20  # 1 MiB per file
MAX_DEPTH = 64  # knowledge files nest 5 levels deep; anything far beyond is an error
# Values (scalars, mappings, sequences) in one file. A 95 KB Q&A file holds ~2,200 and a
# 37 KB eval file ~3,400, so a 1 MiB file of real content stays well under; 1 MiB of
# ``- {}`` would be 210,000. Building 100,000 costs ~20 MB at most.
MAX_NODES = 100_000

_BOM = b"\xef\xbb\xbf"
_TAG = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _TAG + "str", _TAG + "map", _TAG + "seq", _TAG + "merge"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("null", "bool", "int", "float", "timestamp"))

_Base: type = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


class YamlError(ValueError):
    """A file that is not acceptable YAML; ``line`` is 1-based, or ``None`` if unknown."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class TooManyValues(YamlError):
    """A document with more than ``limit`` values (see :data:`MAX_NODES`)."""

    def __init__(self, limit: int, line: int | None) -> None:
        super().__init__(f"more than {limit} YAML values in one file (the limit)", line)
        self.limit = limit


class YamlMap(dict):
    """A mapping with ``line`` (its first line) and ``key_lines`` (line of each key)."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class YamlList(list):
    """A sequence with ``line`` (its first line) and ``item_lines`` (line of each item)."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int = 0) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


class _Open:
    """A mapping or sequence being built, and (for a mapping) the key awaiting its value."""

    __slots__ = ("is_map", "key", "key_line", "value")

    def __init__(self, value: YamlMap | YamlList, is_map: bool) -> None:
        self.value = value
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.key_line = 0


_NO_KEY = object()
_SCALAR, _START_MAP = yaml.ScalarEvent, yaml.MappingStartEvent
_END_MAP, _END_SEQ, _END_DOC = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.DocumentEndEvent


class StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader's parser and scalar resolution, building values strictly."""

    nodes = 0  # values built so far

    def build(self, max_nodes: int = MAX_NODES) -> Any:
        """The single document's value (``None`` for an empty stream); ``nodes`` then
        says how many values it holds.

        Values are built straight from the parser's events, without PyYAML's node graph
        (a node and two position marks per value, ~0.5 KB each, all alive at once), and
        the file is refused at its ``max_nodes + 1``-th value: 1 MiB of ``- {}`` costs a
        few MB and a fraction of a second instead of hundreds of MB."""
        get_event = self.get_event
        get_event()  # StreamStart
        if self.check_event(yaml.StreamEndEvent):
            return None
        document = get_event()  # DocumentStart
        stack: list[_Open] = []
        root: list[Any] = []
        nodes = 0
        self.nodes = 0
        while True:
            event = get_event()
            kind = type(event)
            if kind is _END_MAP or kind is _END_SEQ:
                done = stack.pop().value
                _attach(stack, root, done, done.line)
                continue
            if kind is _END_DOC:
                break
            line = event.start_mark.line + 1
            if kind is yaml.AliasEvent:
                raise YamlError(
                    f"aliases are not allowed (found *{event.anchor}); write the value out", line
                )
            if event.anchor is not None:
                raise YamlError(
                    f"anchors are not allowed (found &{event.anchor}); write the value out", line
                )
            nodes += 1
            if nodes > max_nodes:
                raise TooManyValues(max_nodes, line)
            top = stack[-1] if stack else None
            if top is not None and top.key is _NO_KEY and top.is_map:
                self._key(top, event, line)
            elif len(stack) > MAX_DEPTH:
                raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", line)
            elif kind is _SCALAR:
                _attach(stack, root, self._scalar(event, self._tag(event), line), line)
            else:
                is_map = kind is _START_MAP
                tag = event.tag
                if tag is not None and tag != "!" and tag != (_MAP if is_map else _SEQ):
                    raise YamlError(f"unsupported tag {tag!r}", line)
                stack.append(_Open(YamlMap(line) if is_map else YamlList(line), is_map))
        self.nodes = nodes
        if not self.check_event(yaml.StreamEndEvent):
            raise ComposerError(
                "expected a single document in the stream",
                document.start_mark,
                "but found another document",
                get_event().start_mark,
            )
        return root[0] if root else None

    def _key(self, open_map: _Open, event: Any, line: int) -> None:
        if type(event) is not _SCALAR:
            raise YamlError("mapping keys must be plain values", line)
        tag = self._tag(event)
        if tag == _MERGE:
            raise YamlError("merge keys ('<<') are not allowed", line)
        key = self._scalar(event, tag, line)
        mapping = open_map.value
        if key in mapping:
            raise YamlError(
                f"duplicate key {key!r} (first defined on line {mapping.key_lines[key]})",
                line,
            )
        open_map.key, open_map.key_line = key, line

    def _tag(self, event: Any) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            return self.resolve(ScalarNode, event.value, event.implicit)
        return tag

    def _scalar(self, event: Any, tag: str, line: int) -> Any:
        if tag == _STR:
            return event.value
        if tag not in _SCALAR_TAGS:
            raise YamlError(f"unsupported tag {tag!r}", line)
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.yaml_constructors[tag](self, node)
        except (ValueError, yaml.YAMLError) as exc:  # e.g. an impossible date 2021-13-45
            raise YamlError(f"bad value {event.value!r}: {exc}", line) from None


def _attach(stack: list[_Open], root: list[Any], value: Any, line: int) -> None:
    """Put a finished value where it belongs: in the open collection, or as the root."""
    if not stack:
        root.append(value)
        return
    top = stack[-1]
    if not top.is_map:
        top.value.append(value)
        top.value.item_lines.append(line)
    else:
        top.value[top.key] = value
        top.value.key_lines[top.key] = top.key_line
        top.key = _NO_KEY


# ------------------------------------------------------------------------------ files

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # opening a FIFO that slipped through never blocks
    | getattr(os, "O_NOFOLLOW", 0)  # the real path is opened: a link there now is refused
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _not_regular(mode: int, path: Path) -> str | None:
    """Why a file of this mode is not read, or ``None`` for a regular file; a directory
    raises ``IsADirectoryError``, as ``open`` does."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    return f"is {kind}, not a regular file; only regular files are read"


def is_inside(path: Path | str, directory: Path | str) -> bool:
    """Is the real path of ``path`` (all links resolved) ``directory``'s or below it?"""
    real, root = os.path.realpath(path), os.path.realpath(directory)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


@contextmanager
def open_regular(
    path: Path, within: Path | None = None, *, label: str = "its directory"
) -> Iterator[tuple[BinaryIO, int]]:
    """Open a regular file for reading; yields the binary file and its size.

    Nothing else is ever opened: the file's type is checked (``os.stat``) before it is
    opened, the open cannot block (``O_NONBLOCK``) and the opened file is checked again
    (``fstat``: still a regular file, still the same file). With ``within``, the file's
    real path (all symbolic links resolved) must lie inside that directory's real path:
    links inside it are followed, a link leading out of it is refused (``label`` names the
    directory in the message). Raises ``FileNotFoundError`` for a missing file and
    :class:`YamlError` for a refused one; other ``OSError`` errors (``IsADirectoryError``
    for a directory) pass through.
    """
    try:
        real = os.path.realpath(path, strict=True)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise YamlError("is a symbolic link to a file that does not exist") from None
        raise
    except OSError as exc:  # e.g. a loop of symbolic links
        raise YamlError(f"cannot resolve the path: {exc.strerror}") from None
    if within is not None and not is_inside(real, within):
        raise YamlError(
            f"is a symbolic link leading outside {label}; only files inside it are read"
        )
    before = os.stat(real)
    refused = _not_regular(before.st_mode, path)
    if refused:
        raise YamlError(refused)
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in (getattr(os, "ELOOP", None), getattr(os, "EMLINK", None)):
            raise YamlError("changed into a symbolic link while being read") from None
        raise
    with os.fdopen(fd, "rb") as fh:
        now = os.fstat(fd)
        refused = _not_regular(now.st_mode, path)
        if refused or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
            raise YamlError(refused or "was replaced while being read; try again")
        yield fh, now.st_size


def read_capped(
    path: Path, max_bytes: int = DEFAULT_MAX_BYTES, *, within: Path | None = None
) -> bytes:
    """Read at most ``max_bytes`` from the regular file ``path`` (see :func:`open_regular`);
    a larger file raises ``YamlError`` (without being read when its size says so)."""
    with open_regular(path, within) as (fh, size):
        data = fh.read(max_bytes + 1) if size <= max_bytes else b""
    if size > max_bytes or len(data) > max_bytes:
        raise YamlError(f"file is larger than the limit of {max_bytes} bytes")
    return data


def decode_utf8(data: bytes) -> str:
    """Decode strict UTF-8 (dropping one leading BOM); errors name the line."""
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlError(
            f"file is not valid UTF-8 (bad byte 0x{data[exc.start]:02x}); save it as UTF-8",
            line,
        ) from None


def _marked(exc: yaml.YAMLError, text: str) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        message = "YAML syntax error: " + ", ".join(parts) if parts else str(exc)
        return YamlError(message, mark.line + 1 if mark is not None else None)
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return YamlError(f"unacceptable character #x{exc.character:04x} in file", line)
    return YamlError(f"YAML error: {exc}")


def parse(text: str, max_nodes: int = MAX_NODES) -> Any:
    """Parse one YAML document strictly; an empty document gives ``None``. More than
    ``max_nodes`` values raise :class:`TooManyValues`."""
    return parse_counted(text, max_nodes)[0]


def parse_counted(text: str, max_nodes: int = MAX_NODES) -> tuple[Any, int]:
    """:func:`parse`, and how many values the document holds."""
    try:
        loader = StrictLoader(text)
        try:
            return loader.build(max_nodes), loader.nodes
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _marked(exc, text) from None
    except RecursionError:
        raise YamlError("YAML is nested too deeply") from None


def load_bytes(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Size-check, decode and parse YAML bytes."""
    if len(data) > max_bytes:
        raise YamlError(f"file is larger than the limit of {max_bytes} bytes")
    return parse(decode_utf8(data))


def load_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Read and parse one YAML file strictly (see the module docstring)."""
    return parse(decode_utf8(read_capped(path, max_bytes)))
